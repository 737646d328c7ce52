import { Dialect } from './columns';

/** Rows of a multi-row statement, or values of an IN list, in pieces the databases accept. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Splits into chunks of `max` and then powers of two, so that multi-row statements come in a few
 * fixed shapes the driver's prepared-statement cache keeps (SQLite parses each new shape anew).
 */
function statementChunks<T>(items: readonly T[], max: number): T[][] {
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

/** `(?, ?, …)`: the placeholders of an IN list of `count` values. */
export function inList(count: number): string {
  return `(${new Array(count).fill('?').join(', ')})`;
}
