import { MatchableRule, QaMatcher, SkippedTrigger } from './qa-matcher';
import { RegexRunner } from './regex-runner';

const rule = (id: number, triggers: string[], extra: Partial<MatchableRule> = {}): MatchableRule => ({
  id,
  triggers,
  mode: 'keyword',
  priority: 0,
  ...extra,
});
const best = (m: QaMatcher, text: string) => m.match(text)[0]?.ruleId ?? null;

describe('QaMatcher', () => {
  describe('keyword mode', () => {
    const m = new QaMatcher([
      rule(1, ['營業時間', '幾點開']),
      rule(2, ['ルール']),
      rule(3, ['ราคา']),
      rule(4, ['wifi password', 'WiFi']),
      rule(5, ['hi']),
    ]);

    it.each([
      ['請問你們的營業時間是?', 1],
      ['明天幾點開門', 1],
      ['このグループのるーるを教えて', 2],
      ['ｸﾞﾙｰﾌﾟのﾙｰﾙは?', 2],
      ['สินค้านี้ราคาเท่าไหร่คะ', 3],
      ['What is the WIFI PASSWORD?', 4],
      ['ｗｉｆｉ壞了', 4],
      ['hi everyone', 5],
      ['大家好hi', 5],
    ])('%p → rule %p', (text, id) => {
      expect(best(m, text)).toBe(id);
    });

    it.each(['this is fine', 'wifipassword', 'hiking', 'nothing here', ''])('%p matches nothing', (text) => {
      expect(best(m, text)).toBeNull();
    });
  });

  describe('exact mode', () => {
    const m = new QaMatcher([rule(1, ['Menu'], { mode: 'exact' }), rule(2, ['菜單'], { mode: 'exact' })]);

    it('matches the whole message only, folded', () => {
      expect(best(m, '  ＭＥＮＵ ')).toBe(1);
      expect(best(m, '菜單')).toBe(2);
      expect(best(m, 'the menu please')).toBeNull();
      expect(best(m, '菜單呢')).toBeNull();
    });
  });

  describe('regex mode', () => {
    it('runs on the folded message', () => {
      const m = new QaMatcher([
        rule(1, ['^order\\s*#?\\d{4}$'], { mode: 'regex' }),
        rule(2, ['[ぁ-ん]+です'], { mode: 'regex' }),
      ]);
      expect(best(m, 'ORDER #1234')).toBe(1);
      expect(best(m, 'ｵｰﾀﾞｰ はカタカナです')).toBe(2);
      expect(best(m, 'order 12')).toBeNull();
    });

    it('skips stored triggers that are no longer acceptable', () => {
      const m = new QaMatcher([rule(1, ['(a+)+$', 'ok'], { mode: 'regex' })]);
      expect(m.skipped.map((s) => s.trigger)).toEqual(['(a+)+$']);
      expect(best(m, 'ok')).toBe(1);
    });

    it('sets aside a regex that runs out of time, and says so', () => {
      const slow: SkippedTrigger[] = [];
      const m = new QaMatcher(
        [rule(1, ['(a|a)*b'], { mode: 'regex' }), rule(2, ['a{3}'], { mode: 'regex' })],
        {
          runner: new RegexRunner(20),
          onSlowRegex: (s) => slow.push(s),
        },
      );
      m.match('a'.repeat(40));
      expect(slow.map((s) => s.ruleId)).toEqual([1]);
      expect(best(m, 'a'.repeat(40))).toBe(2);
    });
  });

  describe('ranking', () => {
    it('prefers priority, then the longer trigger, then exact, then the older rule', () => {
      const m = new QaMatcher([
        rule(1, ['wifi']),
        rule(2, ['wifi密碼']),
        rule(3, ['密碼'], { priority: 5 }),
        rule(4, ['wifi密碼'], { mode: 'exact' }),
        rule(5, ['wifi']),
      ]);
      expect(m.match('wifi密碼是多少').map((h) => h.ruleId)).toEqual([3, 2, 1, 5]);
      expect(m.match('wifi密碼').map((h) => h.ruleId)).toEqual([3, 4, 2, 1, 5]);
    });

    it('reports each rule once, with its best trigger', () => {
      const m = new QaMatcher([rule(1, ['時間', '營業時間'])]);
      expect(m.match('營業時間')).toEqual([
        { ruleId: 1, trigger: '營業時間', priority: 0, specificity: 4, mode: 'keyword' },
      ]);
    });
  });

  it('compiles 10,000 rules into one automaton', () => {
    const rules = Array.from({ length: 10_000 }, (_, i) => rule(i + 1, [`關鍵字${i}號`]));
    const m = new QaMatcher(rules);
    expect(m.size.keywords).toBe(10_000);
    expect(best(m, '我想問關鍵字9999號的事')).toBe(10_000);
  });
});
