import {
  generateLoginCode,
  hashLoginCode,
  LOGIN_CODE_ALPHABET,
  LOGIN_CODE_LENGTH,
  normalizeLoginCode,
} from './login-code';

describe('login codes', () => {
  it('uses A-Z and 2-9 without look-alikes', () => {
    for (const c of '0O1IL5S8B2Z') expect(LOGIN_CODE_ALPHABET).not.toContain(c);
    expect(new Set(LOGIN_CODE_ALPHABET).size).toBe(LOGIN_CODE_ALPHABET.length);
    expect(LOGIN_CODE_ALPHABET).toMatch(/^[A-Z2-9]+$/);
  });

  it('generates 8 characters from the alphabet, spread over all of it', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const code = generateLoginCode();
      expect(code).toHaveLength(LOGIN_CODE_LENGTH);
      for (const c of code) {
        expect(LOGIN_CODE_ALPHABET).toContain(c);
        seen.add(c);
      }
    }
    expect(seen.size).toBe(LOGIN_CODE_ALPHABET.length);
  });

  it.each([
    ['ACDE-FGHJ', 'ACDEFGHJ'],
    [' acde fghj ', 'ACDEFGHJ'],
    ['ＡＣＤＥＦＧＨＪ', 'ACDEFGHJ'],
    ['K3M4N6P7', 'K3M4N6P7'],
  ])('normalizes %p', (input, code) => {
    expect(normalizeLoginCode(input)).toBe(code);
  });

  it.each(['', 'ACDEFGH', 'ACDEFGHJK', 'ACDEFGH0', 'ACDEFGHO', 'ACDE_FGH', '登入登入登入登入'])(
    'refuses %p',
    (input) => {
      expect(normalizeLoginCode(input)).toBeNull();
    },
  );

  it('hashes with SHA-256 (hex)', () => {
    expect(hashLoginCode('ACDEFGHJ')).toMatch(/^[0-9a-f]{64}$/);
    expect(hashLoginCode('ACDEFGHJ')).not.toBe(hashLoginCode('ACDEFGHK'));
  });
});
