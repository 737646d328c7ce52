import { DateUtils } from 'typeorm/util/DateUtils';
import type { Dialect } from './columns';

/**
 * Datetime values for raw SQL on the hot paths (inbox, archive, list routes), which skip entities.
 * SQLite holds TypeORM's UTC text (`2025-01-15 08:00:00.123`); mysql2 hands Dates back and forth in
 * UTC (the connection's `timezone: 'Z'`).
 */
export function toDbTime(dialect: Dialect, date: Date): string | Date {
  return dialect === 'sqlite' ? DateUtils.mixedDateToUtcDatetimeString(date) : date;
}

export function fromDbTime(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  const s = String(value);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s.replace(' ', 'T')}Z`);
}

/** As ISO-8601 UTC, the way the API answers times; the common SQLite shape skips Date parsing. */
export function isoFromDb(raw: unknown): string | null {
  if (typeof raw === 'string' && raw.length === 23 && raw[10] === ' ' && raw[19] === '.') {
    return `${raw.slice(0, 10)}T${raw.slice(11)}Z`;
  }
  return fromDbTime(raw)?.toISOString() ?? null;
}
