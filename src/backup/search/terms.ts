import { createHash } from 'node:crypto';

/**
 * The archive's own full-text index, identical on SQLite and MySQL/MariaDB.
 *
 * Text is normalized (NFKC, lower case, runs of white space made one space) and cut at spaces into
 * segments. Every character of a segment becomes the first half of one index term: the bigram it
 * starts, or (last character) the bigram with the end mark 0. A query of two or more characters
 * looks up its bigrams; a one-character query looks up the range of terms that character starts.
 * Candidates are then checked against the normalized text, so the index may over-find but never
 * decides what matches. This works the same for Chinese, Japanese and Thai (no spaces between
 * words) as for English, and for queries of one and two characters, which trigram indexes
 * (SQLite FTS5 trigram, MySQL ngram with its defaults) cannot serve.
 */

/** A code point fits in 21 bits: a term is `first * 2^21 + second` (second 0 = end of segment). */
const SHIFT = 2 ** 21;

export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim();
}

function segments(normalized: string): string[][] {
  return normalized
    .split(' ')
    .filter(Boolean)
    .map((s) => Array.from(s));
}

const term = (a: string, b?: string): number => a.codePointAt(0)! * SHIFT + (b ? b.codePointAt(0)! : 0);

/** Every distinct term of an already normalized text. */
export function indexTerms(normalized: string): number[] {
  const out = new Set<number>();
  for (const chars of segments(normalized)) {
    for (let i = 0; i < chars.length; i++) out.add(term(chars[i], chars[i + 1]));
  }
  return [...out];
}

export type QueryPlan =
  /** Every candidate has all of these terms. */
  | { kind: 'terms'; normalized: string; terms: number[] }
  /** Only single characters: candidates have a term in [from, to] (one character's range). */
  | { kind: 'prefix'; normalized: string; from: number; to: number };

/** How a search for `q` uses the index; null when nothing searchable is left after normalizing. */
export function planQuery(q: string): QueryPlan | null {
  const normalized = normalizeText(q);
  if (!normalized) return null;
  const segs = segments(normalized);
  const terms = new Set<number>();
  for (const chars of segs) {
    for (let i = 0; i + 1 < chars.length; i++) terms.add(term(chars[i], chars[i + 1]));
  }
  if (terms.size > 0) return { kind: 'terms', normalized, terms: [...terms] };
  const first = segs[0][0].codePointAt(0)! * SHIFT;
  return { kind: 'prefix', normalized, from: first, to: first + SHIFT - 1 };
}

/**
 * A channel's number in the term table: 31 bits of SHA-1 of its id. Terms are keyed by it instead
 * of the 33-character id to keep the index small; a collision between two channels would only
 * cost speed, because candidates are always checked against the message's own channel.
 */
export function channelKey(channelId: string): number {
  return createHash('sha1').update(channelId).digest().readUInt32BE(0) & 0x7fffffff;
}

/**
 * SQLite keeps the index in FTS5 (backup_message_fts), one document per message: its terms written
 * as words of their own, `<channel key>x<first code point>y<second>` in base 36, so that each chat has
 * its own posting list per term and a one-character query is the prefix `<key>x<code point>y`.
 */
export function ftsWords(key: number, terms: readonly number[]): string {
  const k = key.toString(36);
  return terms.map((t) => `${k}x${Math.floor(t / SHIFT).toString(36)}y${(t % SHIFT).toString(36)}`).join(' ');
}

/** An FTS5 query for a plan: every term (implicitly ANDed), or the prefix of one character's terms. */
export function ftsQuery(key: number, plan: QueryPlan): string {
  if (plan.kind === 'terms') return ftsWords(key, plan.terms);
  return `${key.toString(36)}x${Math.floor(plan.from / SHIFT).toString(36)}y*`;
}
