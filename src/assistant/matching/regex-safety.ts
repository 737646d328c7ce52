import safeRegex from 'safe-regex2';
import { foldKana } from './normalize';

/** Longest pattern accepted; longer ones are rarely intended and slow to check. */
export const MAX_PATTERN_LENGTH = 200;
/** A regex only ever sees this many characters of a message: bounds the work of any pattern. */
export const MAX_REGEX_INPUT = 1_000;

export type RegexVerdict = { ok: true; regex: RegExp } | { ok: false; reason: string };

/**
 * Compiles a regex trigger the way matching uses it (after the same width and kana folding as the
 * messages, case-insensitive, Unicode) and refuses the ones that could hang the worker:
 * - patterns `safe-regex2` flags (nested quantifiers such as `(a+)+`, star height above one, or
 *   more than 25 repetitions), or that it cannot parse;
 * - back-references and lookbehinds, which its analysis does not cover;
 * - patterns that do not compile, are empty, or match the empty string (they would fire on anything).
 * What the static check misses (`(a|a)*b`) is still bounded at run time: see RegexRunner.
 */
export function compileSafeRegex(pattern: string): RegexVerdict {
  if (pattern.trim().length === 0) return { ok: false, reason: 'is empty' };
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return { ok: false, reason: `is longer than ${MAX_PATTERN_LENGTH} characters` };
  }
  const source = foldKana(pattern.normalize('NFKC'));
  let regex: RegExp;
  try {
    regex = new RegExp(source, 'iu');
  } catch (err) {
    return { ok: false, reason: `is not a valid regular expression (${(err as Error).message})` };
  }
  if (/\\[1-9]|\\k<|\(\?<[=!]/.test(source)) {
    return { ok: false, reason: 'uses back-references or lookbehind, which are not allowed' };
  }
  if (!safeRegex(source)) {
    return { ok: false, reason: 'could take exponential time (nested or too many repetitions)' };
  }
  if (regex.test('')) return { ok: false, reason: 'matches an empty message, so it would answer everything' };
  return { ok: true, regex };
}
