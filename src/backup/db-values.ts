import { DataSource } from 'typeorm';
import { Dialect, dialectOf } from '../database/columns';

/** Raw SQL helpers for the archive's hot paths (batched inserts, keyset pages), which bypass entities. */
export function dialectOfSource(ds: DataSource): Dialect {
  return dialectOf(ds.options.type);
}

/** mysql2 answers BIGINT as a string when it does not fit a number; ms timestamps always fit. */
export function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

export function numOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : num(value);
}

/** `INSERT ... <tail>` that skips rows whose unique key exists, and nothing else (unlike INSERT IGNORE). */
export function onConflictIgnore(dialect: Dialect, keyColumn: string): string {
  return dialect === 'mysql'
    ? `ON DUPLICATE KEY UPDATE ${keyColumn} = ${keyColumn}`
    : 'ON CONFLICT DO NOTHING';
}

/** `(?, ?, ?), (?, ?, ?)` for `rows` rows of `width` values. */
export function placeholders(rows: number, width: number): string {
  const one = `(${new Array(width).fill('?').join(', ')})`;
  return new Array(rows).fill(one).join(', ');
}
