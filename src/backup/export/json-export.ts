import { ExportContext, ExportPages, mediaPath } from './export-context';

/** One JSON document: channel meta, then every message (the API's shape), written page by page. */
export async function* jsonExport(ctx: ExportContext, pages: ExportPages): AsyncGenerator<string> {
  const head = {
    channel: { ...ctx.channel, timezone: ctx.timezone },
    exportedAt: ctx.exportedAt.toISOString(),
    from: ctx.from?.toISOString() ?? null,
    to: ctx.to?.toISOString() ?? null,
  };
  yield `${JSON.stringify(head).slice(0, -1)},"messages":[`;
  let first = true;
  for await (const page of pages) {
    let chunk = '';
    for (const { row, view } of page) {
      const out =
        ctx.withMedia && view.content && row.media?.sha256 && view.content.status === 'stored'
          ? {
              ...view,
              content: { ...view.content, file: mediaPath(row.media.sha256, row.media.contentType) },
            }
          : view;
      chunk += (first ? '\n' : ',\n') + JSON.stringify(out);
      first = false;
    }
    if (chunk) yield chunk;
  }
  yield '\n]}\n';
}
