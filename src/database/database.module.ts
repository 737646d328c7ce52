import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, DataSourceOptions } from 'typeorm';
import { Settings } from '../config/settings';
import { dataSourceOptions } from './data-source-options';
import { serializeSqliteWork } from './sqlite-serializer';
import { WalCheckpointer } from './wal-checkpointer';

/** Migrations run at start-up, so `npm start` on an empty data directory needs no other step. */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Settings, true>) => ({
        ...dataSourceOptions(config.get('database', { infer: true })),
        autoLoadEntities: true,
        migrationsRun: true,
        migrationsTransactionMode: 'each',
        retryAttempts: 3,
        retryDelay: 1000,
      }),
      dataSourceFactory: async (options?: DataSourceOptions) => {
        const ds = new DataSource(options!);
        if (ds.options.type === 'better-sqlite3') serializeSqliteWork(ds);
        return ds.initialize();
      },
    }),
  ],
  providers: [WalCheckpointer],
})
export class DatabaseModule {}
