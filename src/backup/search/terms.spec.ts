import { channelKey, indexTerms, normalizeText, planQuery } from './terms';

/** What the index would find for `q` in `text`, before the check against the text. */
function candidate(text: string, q: string): boolean {
  const terms = new Set(indexTerms(normalizeText(text)));
  const plan = planQuery(q)!;
  if (plan.kind === 'terms') return plan.terms.every((t) => terms.has(t));
  return [...terms].some((t) => t >= plan.from && t <= plan.to);
}

describe('archive search terms', () => {
  it('normalizes width, case and white space', () => {
    expect(normalizeText('  ＡＢＣ　Hello\n\tWORLD ')).toBe('abc hello world');
    expect(normalizeText('ﾊﾟｰﾃｨｰ')).toBe('パーティー');
  });

  it.each([
    ['明天下午三點開會,記得帶野餐墊', '野餐'],
    ['明天下午三點開會', '會'],
    ['明天下午三點開會', '下午三點'],
    ['週末のピクニック、楽しみです', 'ピクニック'],
    ['週末のピクニック、楽しみです', '楽'],
    ['週末のピクニック', 'ﾋﾟｸﾆｯｸ'],
    ['พรุ่งนี้ไปปิกนิกกันไหม', 'ปิกนิก'],
    ['พรุ่งนี้ไปปิกนิกกันไหม', 'ไป'],
    ['พรุ่งนี้ไปปิกนิกกันไหม', 'ก'],
    ['Meeting moved to Friday', 'meeting'],
    ['Meeting moved to Friday', 'MOVED TO'],
    ['Meeting moved to Friday', 'y'],
    ['Meeting moved to Friday', 'i'],
  ])('finds %s for %s', (text, q) => {
    expect(candidate(text, q)).toBe(true);
  });

  it.each([
    ['明天下午三點開會', '野餐'],
    ['明天下午三點開會', '餐'],
    ['Meeting moved to Friday', 'monday'],
  ])('does not find %s for %s', (text, q) => {
    expect(candidate(text, q)).toBe(false);
  });

  it('keeps characters outside the BMP (emoji, rare CJK) as one character', () => {
    expect(candidate('今天吃𩸽魚🍣', '𩸽')).toBe(true);
    expect(candidate('今天吃𩸽魚🍣', '魚🍣')).toBe(true);
    expect(Math.max(...indexTerms('🍣🍣'))).toBeLessThanOrEqual(Number.MAX_SAFE_INTEGER);
  });

  it('plans nothing for a blank query', () => {
    expect(planQuery('   ')).toBeNull();
  });

  it('uses bigrams when any word of the query has two characters', () => {
    expect(planQuery('a meeting')).toMatchObject({ kind: 'terms', normalized: 'a meeting' });
    expect(planQuery('會')).toMatchObject({ kind: 'prefix', normalized: '會' });
  });

  it('gives every channel a stable 31-bit key', () => {
    expect(channelKey('C1234')).toBe(channelKey('C1234'));
    expect(channelKey('C1234')).toBeLessThan(2 ** 31);
    expect(channelKey('C1234')).not.toBe(channelKey('C1235'));
  });
});
