import type { Language } from '../config/settings';
import { AssistantInputError } from './assistant.errors';

/** What answers, welcome and rules may contain; anything else that looks like one is refused on save. */
export const PLACEHOLDERS = ['displayName', 'channelName', 'memberCount', 'date'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/** `{name}` with an identifier inside; `{笑}` or `{ }` are ordinary text. */
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const KNOWN = new Set<string>(PLACEHOLDERS);

export function unknownPlaceholders(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]).filter((name) => !KNOWN.has(name)))];
}

export function usesPlaceholder(text: string, name: Placeholder): boolean {
  return text.includes(`{${name}}`);
}

/** Throws a 400 naming the first unknown placeholder and the ones that exist. */
export function assertPlaceholders(text: string, where: string): void {
  const [unknown] = unknownPlaceholders(text);
  if (unknown === undefined) return;
  throw new AssistantInputError(
    `${where} has an unknown placeholder {${unknown}}; use ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`,
    'unknownPlaceholder',
    { placeholder: `{${unknown}}` },
  );
}

/**
 * Replaces each known placeholder with `resolve(name)` and passes the text between them through
 * `literal` (the identity for plain text; brace escaping for textV2, whose own `{key}` syntax
 * would otherwise read them).
 */
export function renderTemplate(
  text: string,
  resolve: (name: Placeholder) => string,
  literal: (s: string) => string = (s) => s,
): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    if (!KNOWN.has(m[1])) continue;
    out += literal(text.slice(last, m.index)) + resolve(m[1] as Placeholder);
    last = m.index + m[0].length;
  }
  return out + literal(text.slice(last));
}

/** textV2 reads `{key}`; literal braces are written `{{` and `}}`. */
export function escapeTextV2(s: string): string {
  return s.replace(/[{}]/g, (c) => c + c);
}

const LOCALES: Record<Language, string> = { 'zh-TW': 'zh-TW', ja: 'ja-JP', th: 'th-TH', en: 'en-US' };

/** The day in the channel's time zone, the way people of that language write it (th: Buddhist era). */
export function formatDate(date: Date, timeZone: string, lang: Language): string {
  const format = (tz: string) =>
    new Intl.DateTimeFormat(LOCALES[lang], { dateStyle: 'long', timeZone: tz }).format(date);
  try {
    return format(timeZone);
  } catch {
    return format('UTC');
  }
}

/** Cuts to LINE's limit without splitting a surrogate pair. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return text.slice(0, end) + '…';
}
