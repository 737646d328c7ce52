/**
 * A datetime column read as a raw row, as ISO-8601 UTC. SQLite gives TypeORM's UTC text
 * (`2025-01-15 08:00:00.123`), mysql2 a Date (the connection is in UTC). For the list routes,
 * which skip entity hydration because it costs more than the query.
 */
export function isoFromDb(raw: unknown): string | null {
  if (raw === null || raw === undefined) return null;
  if (raw instanceof Date) return raw.toISOString();
  const s = String(raw);
  if (s.length === 23 && s[10] === ' ' && s[19] === '.') return `${s.slice(0, 10)}T${s.slice(11)}Z`;
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s.replace(' ', 'T')}Z`).toISOString();
}
