import { AhoCorasick } from './aho-corasick';

function all(patterns: string[], text: string): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  new AhoCorasick(patterns).forEachMatch(text, (p, start) => out.push([patterns[p], start]));
  return out.sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
}

/** Every occurrence by brute force, for comparison. */
function naive(patterns: string[], text: string): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  patterns.forEach((p) => {
    if (!p) return;
    for (let i = text.indexOf(p); i >= 0; i = text.indexOf(p, i + 1)) out.push([p, i]);
  });
  return out.sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
}

describe('AhoCorasick', () => {
  it('finds the classic he/she/his/hers overlaps', () => {
    expect(all(['he', 'she', 'his', 'hers'], 'ushers')).toEqual([
      ['she', 1],
      ['he', 2],
      ['hers', 2],
    ]);
  });

  it('finds patterns inside each other and repeated', () => {
    expect(all(['a', 'aa', 'aaa'], 'aaaa')).toEqual(naive(['a', 'aa', 'aaa'], 'aaaa'));
  });

  it('works on CJK and Thai without spaces', () => {
    expect(all(['營業時間', '時間', '地址'], '請問營業時間和地址?')).toEqual([
      ['營業時間', 2],
      ['時間', 4],
      ['地址', 7],
    ]);
    expect(all(['ราคา', 'ส่ง'], 'ราคาค่าส่งเท่าไหร่')).toEqual([
      ['ราคา', 0],
      ['ส่ง', 7],
    ]);
    expect(all(['しゅくだい'], 'きょうのしゅくだいは')).toEqual([['しゅくだい', 4]]);
  });

  it('handles emoji (surrogate pairs) and reports the end exclusive', () => {
    const ends: number[] = [];
    new AhoCorasick(['🍕']).forEachMatch('I want 🍕!', (_p, _s, end) => ends.push(end));
    expect(ends).toEqual([9]);
  });

  it('ignores empty patterns and reports duplicates per index', () => {
    const seen: number[] = [];
    new AhoCorasick(['', 'ab', 'ab']).forEachMatch('xab', (p) => seen.push(p));
    expect(seen.sort()).toEqual([1, 2]);
  });

  it('finds nothing with no patterns', () => {
    expect(all([], 'anything')).toEqual([]);
  });

  it('agrees with a brute-force search on random inputs, root with many children included', () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = 'abc營業時間ราคาかな';
    const word = (max: number) =>
      Array.from({ length: 1 + rand(max) }, () => alphabet[rand(alphabet.length)]).join('');
    for (let round = 0; round < 200; round++) {
      const patterns = Array.from({ length: 1 + rand(30) }, () => word(4));
      const text = word(60);
      expect(all(patterns, text)).toEqual(naive(patterns, text));
    }
    const many = Array.from({ length: 3000 }, (_, i) => String.fromCharCode(0x4e00 + i) + 'x');
    expect(all(many, '\u4e05x\u4e06\u4e07x')).toEqual([
      ['\u4e05x', 0],
      ['\u4e07x', 3],
    ]);
  });
});
