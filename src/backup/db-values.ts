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

/**
 * Splits into chunks of `max` and then powers of two, so that multi-row statements come in a few
 * fixed shapes the driver's prepared-statement cache keeps (SQLite parses each new shape anew).
 */
export function statementChunks<T>(items: readonly T[], max: number): T[][] {
  const out: T[][] = [];
  let i = 0;
  while (i < items.length) {
    const left = items.length - i;
    const size = left >= max ? max : 2 ** Math.floor(Math.log2(left));
    out.push(items.slice(i, i + size));
    i += size;
  }
  return out;
}

/**
 * Rows per multi-row statement: on SQLite in a few fixed sizes, because it prepares each statement
 * shape it sees; on MySQL each statement is a round trip, so as few as possible.
 */
export function insertChunks<T>(dialect: Dialect, items: readonly T[], max: number): T[][] {
  return dialect === 'sqlite' ? statementChunks(items, max) : chunks(items, max);
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
