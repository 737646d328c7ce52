import { QueryFailedError } from 'typeorm';
import { LineApiError, LineNotConfiguredError } from '../line/line-api.error';

/**
 * The HTTP status of a LINE call that failed for good (0: timeout or network), or null when the
 * error did not come from LINE (a database error: that one is thrown on, so the event is retried).
 */
export function lineFailureStatus(err: unknown): number | null {
  if (err instanceof LineApiError) return err.status;
  // LINE_CHANNEL_ACCESS_TOKEN is not set: nothing can be read from LINE.
  if (err instanceof LineNotConfiguredError) return err.status;
  return null;
}

/** A failure that may pass (timeout or network, 429, 5xx; also LINE not configured, 503): worth asking again. */
export function isTransientLineFailure(status: number): boolean {
  return status === 0 || status === 429 || status >= 500;
}

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(lanes);
}

/** A row with this key exists already (a concurrent insert won): SQLite and MySQL codes. */
export function isUniqueViolation(err: unknown): boolean {
  if (!(err instanceof QueryFailedError)) return false;
  const code = (err.driverError as { code?: string } | undefined)?.code;
  return (
    code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

/** InnoDB chose this statement as a deadlock's victim and rolled it back: running it again is safe. */
export function isDeadlock(err: unknown): boolean {
  return (
    err instanceof QueryFailedError &&
    (err.driverError as { code?: string } | undefined)?.code === 'ER_LOCK_DEADLOCK'
  );
}

/** A datetime column read with plain SQL: SQLite gives TypeORM's UTC text, mysql2 a Date. */
export function dateFromDb(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  return new Date(String(value).replace(' ', 'T') + 'Z');
}
