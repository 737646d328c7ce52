import { QueryFailedError } from 'typeorm';

/**
 * Codes of a database that cannot be reached: the network (refused, reset, timed out, no route or
 * name), the server closing the connection or shutting down, or refusing more connections.
 */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
]);

/**
 * The MySQL/MariaDB server could not be reached, or the connection to it went away: nothing about
 * the statement itself, which would succeed on a working connection. TypeORM wraps a failed
 * statement in a QueryFailedError; a connection the pool could not open comes as mysql2's own
 * error, which mysql2 marks `fatal` (so a LINE call's ECONNRESET is not taken for one). SQLite has
 * no such errors: its database is a file in the process.
 */
export function isDatabaseUnreachable(err: unknown): boolean {
  const fromStatement = err instanceof QueryFailedError;
  const cause: unknown = fromStatement ? err.driverError : err;
  // Not `instanceof Error`: a socket's error comes from Node's own realm (not Jest's, in tests).
  if (typeof cause !== 'object' || cause === null) return false;
  const { code, fatal, message } = cause as { code?: unknown; fatal?: unknown; message?: unknown };
  if (!fromStatement && fatal !== true) return false;
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
  // mysql2: a statement sent on a connection that had already failed (it carries no code).
  return fatal === true && typeof message === 'string' && message.includes('closed state');
}
