import { stdSerializers } from 'pino';

/** Fields of database errors that hold the failed statement's values. */
const VALUE_FIELDS = new Set(['parameters', 'sql']);
const MAX_DEPTH = 5;

/**
 * pino's error serializer without the values of a statement that failed. TypeORM's
 * QueryFailedError carries its parameters, and mysql2's errors (its `driverError`) the SQL with the
 * values inlined: a failed archive or inbox write would put what a chat said, or a token, in the
 * log. The statement with its placeholders (`query`) stays: it says what failed.
 */
export function serializeError(err: unknown): unknown {
  // pino-http hands its error serializer what pino's own has made of the error already.
  return withoutValues(err instanceof Error ? stdSerializers.err(err) : err, 0);
}

function withoutValues(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((v) => withoutValues(v, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    copy[key] = VALUE_FIELDS.has(key) ? '[redacted]' : withoutValues(v, depth + 1);
  }
  return copy;
}
