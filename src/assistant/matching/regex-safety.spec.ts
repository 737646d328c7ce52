import { compileSafeRegex, MAX_PATTERN_LENGTH } from './regex-safety';
import { RegexRunner } from './regex-runner';

describe('compileSafeRegex', () => {
  it.each([
    '營業時間|幾點開',
    '^(hi|hello)$',
    'order\\s*#?\\d{4,8}',
    'カタカナ',
    '\\p{Script=Thai}{3}',
    'ราคา.*บาท',
  ])('accepts %p', (pattern) => {
    expect(compileSafeRegex(pattern).ok).toBe(true);
  });

  it.each([
    ['(a+)+$', 'exponential'],
    ['(\\w*)*x', 'exponential'],
    ['(x+x+)+y', 'exponential'],
    ['([a-z]+)*$', 'exponential'],
    ['(a)\\1', 'back-references'],
    ['(?<=a)b', 'lookbehind'],
    ['[unclosed', 'not a valid regular expression'],
    ['(?<name', 'not a valid regular expression'],
    ['a*', 'matches an empty message'],
    ['', 'is empty'],
    ['x'.repeat(MAX_PATTERN_LENGTH + 1), 'longer than'],
  ])('refuses %p', (pattern, reason) => {
    const verdict = compileSafeRegex(pattern);
    expect(verdict.ok).toBe(false);
    expect(verdict.ok ? '' : verdict.reason).toContain(reason);
  });

  it('compiles case-insensitive and width/kana folded, like the messages it runs on', () => {
    const verdict = compileSafeRegex('ＨＥＬＬＯ|カタカナ');
    expect(verdict.ok && verdict.regex.test('hello')).toBe(true);
    expect(verdict.ok && verdict.regex.test('かたかな')).toBe(true);
  });
});

describe('RegexRunner', () => {
  it('reports match lengths in order', () => {
    const run = new RegexRunner().run([/abc/u, /zzz/u, /b+/u], 'xabbbc');
    expect(run).toEqual({ lengths: [-1, -1, 3], timedOut: -1 });
  });

  it('stops a catastrophic regex that slipped past the static check, and says which', () => {
    // (a|a)*b has star height one, so safe-regex2 passes it, yet it backtracks exponentially.
    expect(compileSafeRegex('(a|a)*b').ok).toBe(true);
    const started = Date.now();
    const run = new RegexRunner(30).run([/x/u, /(a|a)*b/u, /a/u], 'a'.repeat(40));
    expect(run.timedOut).toBe(1);
    expect(run.lengths).toEqual([-1, -1, -1]);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
