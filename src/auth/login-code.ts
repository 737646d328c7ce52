import { createHash, randomInt } from 'node:crypto';

/**
 * The characters of a login code: A-Z and 2-9 without the look-alikes 0/O, 1/I/L, 5/S, 8/B and
 * 2/Z, so that a code read off a phone screen is typed right the first time. 25 characters,
 * 8 of them: 25^8 ≈ 1.5 × 10^11 codes.
 */
export const LOGIN_CODE_ALPHABET = 'ACDEFGHJKMNPQRTUVWXY34679';
export const LOGIN_CODE_LENGTH = 8;
export const LOGIN_CODE_TTL_MS = 10 * 60_000;

const VALID = new RegExp(`^[${LOGIN_CODE_ALPHABET}]{${LOGIN_CODE_LENGTH}}$`);

export function generateLoginCode(): string {
  let code = '';
  for (let i = 0; i < LOGIN_CODE_LENGTH; i++)
    code += LOGIN_CODE_ALPHABET[randomInt(LOGIN_CODE_ALPHABET.length)];
  return code;
}

/**
 * What a person may type for a code: any case, full-width forms, spaces or dashes between groups.
 * Answers the canonical code, or null when it cannot be one.
 */
export function normalizeLoginCode(input: string): string | null {
  const code = input.normalize('NFKC').replace(/[\s-]/g, '').toUpperCase();
  return VALID.test(code) ? code : null;
}

/** Only this is stored: a leaked table does not let anyone sign in. */
export function hashLoginCode(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}
