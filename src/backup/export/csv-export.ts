import { ExportContext, ExportPages, ZonedClock } from './export-context';

export const CSV_COLUMNS = [
  'messageId',
  'timestamp',
  'localTime',
  'userId',
  'displayName',
  'type',
  'text',
  'details',
  'unsentAt',
] as const;

/** Keys of a message view that have their own column; the rest goes to `details` as JSON. */
const OWN_COLUMNS = new Set<string>([
  'messageId',
  'timestamp',
  'userId',
  'displayName',
  'type',
  'text',
  'unsentAt',
]);

/**
 * One row a message, UTF-8 with a byte order mark so that Excel (zh-TW, ja locales) reads it as
 * UTF-8, CRLF line ends (RFC 4180). Cells starting with = + - @ or a tab are prefixed with ' so a
 * spreadsheet shows them as text instead of running them as formulas.
 */
export async function* csvExport(ctx: ExportContext, pages: ExportPages): AsyncGenerator<string> {
  const clock = new ZonedClock(ctx.timezone);
  yield '\uFEFF' + CSV_COLUMNS.join(',') + '\r\n';
  for await (const page of pages) {
    let chunk = '';
    for (const { row, view } of page) {
      const details: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(view)) if (!OWN_COLUMNS.has(key)) details[key] = value;
      const cells = [
        view.messageId ?? '',
        view.timestamp,
        clock.full(row.timestamp),
        view.userId ?? '',
        view.displayName ?? '',
        view.type,
        typeof view.text === 'string' ? view.text : '',
        Object.keys(details).length > 0 ? JSON.stringify(details) : '',
        view.unsentAt ?? '',
      ];
      chunk += cells.map(csvCell).join(',') + '\r\n';
    }
    if (chunk) yield chunk;
  }
}

export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
