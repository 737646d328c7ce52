import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Settings } from '../config/settings';
import { dataSourceOptions } from './data-source-options';

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
    }),
  ],
})
export class DatabaseModule {}
