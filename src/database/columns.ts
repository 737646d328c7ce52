import { TableColumnOptions } from 'typeorm';

/**
 * Portable column definitions for migrations: one place decides how a kind of column looks on
 * SQLite and on MySQL/MariaDB. Times are written by the application in UTC (no database defaults),
 * so both databases hold the same values whatever the server's time zone.
 */
export type Dialect = 'sqlite' | 'mysql';

export function dialectOf(driverType: string): Dialect {
  return driverType === 'mysql' || driverType === 'mariadb' ? 'mysql' : 'sqlite';
}

export const col = {
  id: (name = 'id'): TableColumnOptions => ({
    name,
    type: 'integer',
    isPrimary: true,
    isGenerated: true,
    generationStrategy: 'increment',
  }),
  /** 64 characters hold every LINE id (U/C/R + 32 hex) and ULIDs. */
  lineId: (name: string, nullable = false): TableColumnOptions => ({
    name,
    type: 'varchar',
    length: '64',
    isNullable: nullable,
  }),
  string: (name: string, length: number, nullable = false, def?: string): TableColumnOptions => ({
    name,
    type: 'varchar',
    length: String(length),
    isNullable: nullable,
    ...(def !== undefined ? { default: `'${def}'` } : {}),
  }),
  /** Up to 16 MB on MySQL (MEDIUMTEXT): raw events and long texts with emoji must never be cut. */
  text: (dialect: Dialect, name: string, nullable = true): TableColumnOptions => ({
    name,
    type: dialect === 'mysql' ? 'mediumtext' : 'text',
    isNullable: nullable,
  }),
  int: (name: string, nullable = false, def?: number): TableColumnOptions => ({
    name,
    type: 'integer',
    isNullable: nullable,
    ...(def !== undefined ? { default: def } : {}),
  }),
  bigint: (name: string, nullable = false): TableColumnOptions => ({
    name,
    type: 'bigint',
    isNullable: nullable,
  }),
  bool: (name: string, def: boolean): TableColumnOptions => ({
    name,
    type: 'boolean',
    isNullable: false,
    default: def ? 1 : 0,
  }),
  /** Millisecond precision, UTC. */
  datetime: (dialect: Dialect, name: string, nullable = false): TableColumnOptions => ({
    name,
    type: 'datetime',
    isNullable: nullable,
    ...(dialect === 'mysql' ? { precision: 3 } : {}),
  }),
};
