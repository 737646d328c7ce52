/**
 * One normal form for triggers and messages, so that what people consider "the same text" matches:
 * - NFKC folds width and compatibility forms: ＡＢＣ → ABC, ｶﾀｶﾅ → カタカナ, ？ → ?, ① → 1;
 * - lower case folds Latin (and Greek, Cyrillic) case;
 * - katakana fold to hiragana (カタカナ and かたかな are the same word to a Japanese reader);
 * - invisible separators some keyboards insert (zero-width space, word joiner, BOM) are dropped, and
 *   runs of white space become one space.
 * Chinese, Japanese and Thai need no word splitting: matching works on characters.
 */
export function normalizeText(input: string): string {
  return foldKana(input.normalize('NFKC').toLowerCase()).replace(INVISIBLE, '').replace(/\s+/gu, ' ').trim();
}

const INVISIBLE = /[\u200B\u2060\uFEFF]/g;

/** ァ..ヶ and ヽヾ sit exactly 0x60 above their hiragana twins; ヷ..ヺ have none and stay. */
export function foldKana(s: string): string {
  return s.replace(/[\u30A1-\u30F6\u30FD\u30FE]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x60));
}

/**
 * Letters and digits of scripts written with spaces between words. A keyword that begins or ends
 * with one of these must not be glued to another one in the message ("hi" does not fire on "this");
 * CJK and Thai characters have no such boundary and match anywhere.
 */
const WORD_CHAR = /[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{Nd}_]/u;

export function isWordChar(ch: string | undefined): boolean {
  return ch !== undefined && ch !== '' && WORD_CHAR.test(ch);
}
