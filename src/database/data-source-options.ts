import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { DataSourceOptions } from 'typeorm';
import { DatabaseSettings } from '../config/settings';
import { migrations } from './migrations';

/** The one place that turns settings into TypeORM options, for the app, the CLI and the tests. */
export function dataSourceOptions(
  db: DatabaseSettings,
  entities: DataSourceOptions['entities'] = [],
): DataSourceOptions {
  const common = { entities, migrations, synchronize: false, migrationsRun: false, logging: false } as const;
  if (db.type === 'mysql') {
    return {
      ...common,
      type: 'mysql',
      host: db.host,
      port: db.port,
      username: db.username,
      password: db.password,
      database: db.database,
      charset: 'utf8mb4_unicode_ci',
      timezone: 'Z',
      supportBigNumbers: true,
      // BIGINT (row ids, ms times) as numbers while exact; TypeORM's default is always strings.
      bigNumberStrings: false,
      extra: { connectionLimit: 10 },
    };
  }
  if (db.path !== ':memory:') mkdirSync(dirname(db.path), { recursive: true });
  return {
    ...common,
    type: 'better-sqlite3',
    database: db.path,
    prepareDatabase: (conn: Database.Database) => {
      conn.pragma('journal_mode = WAL');
      // NORMAL is durable across process crashes in WAL mode; only an OS crash may lose the last commit.
      conn.pragma('synchronous = NORMAL');
      conn.pragma('busy_timeout = 5000');
      conn.pragma('foreign_keys = ON');
      // The WAL grows past its usual size when a long read holds it: give the disk back afterwards.
      conn.pragma('journal_size_limit = 67108864');
    },
  };
}
