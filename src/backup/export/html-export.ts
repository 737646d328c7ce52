import { createHash } from 'node:crypto';
import { ExportContext, ExportItem, ExportPages, mediaPath, ZonedClock } from './export-context';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Everything that came from a chat is text, never markup: escaped for element content and attributes. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Only plain web links become links; anything else (javascript:, data:) stays text. */
function safeHref(url: unknown): string | null {
  if (typeof url !== 'string') return null;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.toString() : null;
  } catch {
    return null;
  }
}

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:15px/1.45 -apple-system,"Segoe UI","Noto Sans TC","Noto Sans JP","Noto Sans Thai",sans-serif;background:#8cabd9;color:#111}
header{background:#fff;padding:12px 16px;border-bottom:1px solid #ccd}h1{font-size:18px;margin:0 0 4px}header p{margin:0;color:#555;font-size:13px}
main{max-width:760px;margin:0 auto;padding:12px 8px 40px}
.day{text-align:center;margin:16px 0 8px}.day span{background:rgba(0,0,0,.25);color:#fff;border-radius:12px;padding:2px 12px;font-size:12px}
.msg{display:flex;gap:8px;margin:8px 0;align-items:flex-start}
.avatar{flex:none;width:36px;height:36px;border-radius:50%;color:#fff;display:flex;align-items:center;justify-content:center;font-weight:600}
.meta{font-size:12px;color:#223}.meta time{color:#445;margin-left:6px}
.bubble{display:inline-block;background:#fff;border-radius:14px;padding:7px 11px;margin-top:2px;max-width:560px;white-space:pre-wrap;overflow-wrap:anywhere}
.mention{color:#1a5fb4;font-weight:600}.unsent{font-size:11px;background:#eee;border-radius:8px;padding:1px 6px;margin-left:6px;color:#844}
.gone{color:#777;font-style:italic}.missing{color:#666}
.sticker{font-size:13px;color:#333;background:#ffffffc0}
.media img,.media video{max-width:320px;max-height:320px;border-radius:10px;display:block}
.system{text-align:center;margin:10px 0}.system span{background:rgba(0,0,0,.18);color:#fff;border-radius:12px;padding:2px 12px;font-size:12px}
.empty{text-align:center;color:#fff}
`;

/**
 * A single HTML file that reads like the chat: day separators and times in the channel's time
 * zone, names with initial avatars, stickers, media (linked inside a zip export) and system entries.
 * No script and no remote resource, so it opens offline; a Content-Security-Policy forbids scripts
 * as a second line behind the escaping.
 */
export async function* htmlExport(ctx: ExportContext, pages: ExportPages): AsyncGenerator<string> {
  const clock = new ZonedClock(ctx.timezone);
  const name = ctx.channel.name ?? ctx.channel.channelId;
  const range =
    ctx.from || ctx.to
      ? `<p>${esc(
          ctx.label('range', {
            from: ctx.from ? clock.full(ctx.from.getTime()) : '…',
            to: ctx.to ? clock.full(ctx.to.getTime()) : '…',
          }),
        )}</p>`
      : '';
  yield `<!DOCTYPE html>
<html lang="${esc(ctx.language)}"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; connect-src 'none'; frame-src 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(ctx.label('title', { name }))}</title><style>${STYLE}</style></head>
<body data-channel-id="${esc(ctx.channel.channelId)}" data-timezone="${esc(clock.timezone)}">
<header><h1>${esc(name)}</h1><p>${esc(
    ctx.label('exported', { time: clock.full(ctx.exportedAt.getTime()), timezone: clock.timezone }),
  )}</p>${range}</header>
<main>
`;
  let day = '';
  let any = false;
  for await (const page of pages) {
    let chunk = '';
    for (const item of page) {
      const d = clock.day(item.row.timestamp);
      if (d !== day) {
        day = d;
        chunk += `<div class="day"><span>${esc(d)}</span></div>\n`;
      }
      chunk += renderItem(item, ctx, clock) + '\n';
      any = true;
    }
    if (chunk) yield chunk;
  }
  if (!any) yield `<p class="empty">${esc(ctx.label('noMessages'))}</p>\n`;
  yield '</main></body></html>\n';
}

function renderItem(item: ExportItem, ctx: ExportContext, clock: ZonedClock): string {
  const { row, view } = item;
  const attrs = `data-type="${esc(row.type)}" data-timestamp="${esc(view.timestamp)}"`;
  if (row.messageId === null) {
    return `<div class="system" ${attrs}><span>${esc(systemText(item, ctx))} · <time datetime="${esc(
      view.timestamp,
    )}">${esc(clock.clock(row.timestamp).slice(0, 5))}</time></span></div>`;
  }
  const who = view.displayName ?? ctx.label('someone');
  const unsent = row.unsentAt !== null ? `<span class="unsent">${esc(ctx.label('unsent'))}</span>` : '';
  return `<article class="msg" id="m-${esc(row.messageId)}" data-message-id="${esc(row.messageId)}" data-user-id="${esc(
    row.userId ?? '',
  )}" ${attrs}>${avatar(row.userId, who)}<div><div class="meta"><span class="name">${esc(who)}</span><time datetime="${esc(
    view.timestamp,
  )}">${esc(clock.clock(row.timestamp).slice(0, 5))}</time>${unsent}</div>${body(item, ctx)}</div></article>`;
}

function avatar(userId: string | null, name: string): string {
  const hue = userId ? createHash('md5').update(userId).digest().readUInt16BE(0) % 360 : 0;
  const initial = Array.from(name.trim())[0] ?? '?';
  return `<div class="avatar" style="background:hsl(${hue},45%,50%)" aria-hidden="true">${esc(initial.toUpperCase())}</div>`;
}

function systemText(item: ExportItem, ctx: ExportContext): string {
  const names = item.subjectNames.join(', ') || ctx.label('someone');
  switch (item.row.type) {
    case 'join':
      return ctx.label('botJoined');
    case 'leave':
      return ctx.label('botLeft');
    case 'memberJoined':
      return ctx.label('memberJoined', { names });
    case 'memberLeft':
      return ctx.label('memberLeft', { names });
    default:
      return item.row.type;
  }
}

function body(item: ExportItem, ctx: ExportContext): string {
  const { row } = item;
  if (row.contentDeleted) return `<div class="bubble gone">${esc(ctx.label('contentDeleted'))}</div>`;
  const d = row.details ?? {};
  switch (row.type) {
    case 'text':
      return `<div class="bubble text">${textWithMentions(row.text ?? '', d.mention)}</div>`;
    case 'sticker': {
      const caption =
        typeof d.text === 'string'
          ? d.text
          : Array.isArray(d.keywords)
            ? d.keywords.slice(0, 3).join(' ')
            : '';
      return `<div class="bubble sticker" data-package-id="${esc(d.packageId)}" data-sticker-id="${esc(
        d.stickerId,
      )}">[${esc(ctx.label('sticker'))}]${caption ? ' ' + esc(caption) : ''}</div>`;
    }
    case 'location': {
      const href = `https://www.google.com/maps?q=${encodeURIComponent(`${d.latitude},${d.longitude}`)}`;
      return `<div class="bubble location">📍 ${esc(ctx.label('location'))}: ${esc(d.title ?? '')}${
        d.address ? `<br>${esc(d.address)}` : ''
      }<br><a href="${esc(href)}" rel="noreferrer">${esc(`${d.latitude}, ${d.longitude}`)}</a></div>`;
    }
    case 'image':
    case 'video':
    case 'audio':
    case 'file':
      return media(item, ctx);
    default:
      return `<div class="bubble">[${esc(row.type)}]</div>`;
  }
}

function media(item: ExportItem, ctx: ExportContext): string {
  const { row } = item;
  const d = row.details ?? {};
  const label = ctx.label(row.type);
  const fileLabel = row.type === 'file' ? `${label}: ${String(d.fileName ?? '')}` : label;
  const m = row.media;
  if (m?.status === 'external') {
    const href = safeHref(m.originalUrl);
    return `<div class="bubble media">${esc(fileLabel)}${href ? `: <a href="${esc(href)}" rel="noreferrer">${esc(href)}</a>` : ''}</div>`;
  }
  if (!ctx.withMedia || m?.status !== 'stored' || !m.sha256) {
    const note = ctx.withMedia || m?.status !== 'stored' ? ` (${ctx.label('notStored')})` : '';
    return `<div class="bubble media missing">[${esc(fileLabel)}]${esc(note)}</div>`;
  }
  const src = esc(mediaPath(m.sha256, m.contentType));
  switch (row.type) {
    case 'image':
      return `<div class="bubble media"><a href="${src}"><img src="${src}" alt="${esc(label)}" loading="lazy"></a></div>`;
    case 'video':
      return `<div class="bubble media"><video src="${src}" controls preload="metadata"></video></div>`;
    case 'audio':
      return `<div class="bubble media"><audio src="${src}" controls preload="none"></audio></div>`;
    default:
      return `<div class="bubble media"><a href="${src}" download="${esc(d.fileName ?? '')}">📄 ${esc(fileLabel)}</a></div>`;
  }
}

/** Highlights LINE mentions (index and length in UTF-16 units), escaping every piece. */
function textWithMentions(text: string, mention: unknown): string {
  const spans = (
    (mention as { mentionees?: Array<{ index?: number; length?: number }> } | undefined)?.mentionees ?? []
  )
    .filter((m) => Number.isInteger(m.index) && Number.isInteger(m.length) && m.length! > 0)
    .map((m) => ({ start: m.index!, end: m.index! + m.length! }))
    .filter((s) => s.start >= 0 && s.end <= text.length)
    .sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const s of spans) {
    if (s.start < at) continue;
    out += esc(text.slice(at, s.start)) + `<span class="mention">${esc(text.slice(s.start, s.end))}</span>`;
    at = s.end;
  }
  return out + esc(text.slice(at));
}
