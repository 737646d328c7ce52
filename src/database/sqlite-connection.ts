import type Database from 'better-sqlite3';
import type { DataSource } from 'typeorm';

/** The better-sqlite3 connection behind a SQLite data source (TypeORM keeps one per data source). */
export function sqliteConnection(ds: DataSource): Database.Database {
  return (ds.driver as unknown as { databaseConnection: Database.Database }).databaseConnection;
}
