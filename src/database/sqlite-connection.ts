import { resolve } from 'node:path';
import type Database from 'better-sqlite3';
import type { DataSource } from 'typeorm';

/** The better-sqlite3 connection behind a SQLite data source (TypeORM keeps one per data source). */
export function sqliteConnection(ds: DataSource): Database.Database {
  return (ds.driver as unknown as { databaseConnection: Database.Database }).databaseConnection;
}

/**
 * The file behind a SQLite data source, resolved; undefined where there is none to share (an
 * in-memory or unnamed temporary database, private to its connection) or the source is not SQLite.
 */
export function sqliteFile(ds: DataSource): string | undefined {
  const database = ds.options.type === 'better-sqlite3' ? ds.options.database : undefined;
  return typeof database === 'string' && database !== '' && database !== ':memory:'
    ? resolve(database)
    : undefined;
}
