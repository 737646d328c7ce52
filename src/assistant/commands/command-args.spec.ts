import { parseLanguage, parseQaAdd, splitSubcommand } from './command-args';

describe('command arguments', () => {
  it.each([
    ['add 營業時間 = 早上九點到晚上六點', 'add', '營業時間 = 早上九點到晚上六點'],
    ['新增 營業時間＝九點', 'add', '營業時間＝九点'.replace('点', '點')],
    ['ADD a = b', 'add', 'a = b'],
    ['削除 ルール', 'del', 'ルール'],
    ['ลบ ราคา', 'del', 'ราคา'],
    ['list', 'list', ''],
    ['一覧', 'list', ''],
    ['set 第一條：禮貌\n第二條：不洗版', 'set', '第一條：禮貌\n第二條：不洗版'],
    ['オフ', 'off', ''],
    ['เปิด', 'on', ''],
    ['frobnicate x', null, 'x'],
    ['', null, ''],
  ])('splits %p', (args, sub, rest) => {
    expect(splitSubcommand(args)).toMatchObject({ sub, rest });
  });

  it.each([
    ['a = b', { triggers: ['a'], answer: 'b' }],
    ['a＝b', { triggers: ['a'], answer: 'b' }],
    ['営業時間 ﹦ 9時から', { triggers: ['営業時間'], answer: '9時から' }],
    ['營業時間|幾點開｜開門 = 早上九點', { triggers: ['營業時間', '幾點開', '開門'], answer: '早上九點' }],
    ['x = y = z', { triggers: ['x'], answer: 'y = z' }],
    ['wifi = 密碼：１２３４\n請勿外流', { triggers: ['wifi'], answer: '密碼：１２３４\n請勿外流' }],
    ['ราคา = 100 บาท', { triggers: ['ราคา'], answer: '100 บาท' }],
  ])('parses /qa add %p', (rest, expected) => {
    expect(parseQaAdd(rest, true)).toEqual(expected);
  });

  it('keeps | inside a regex trigger', () => {
    expect(parseQaAdd('^(hi|hello)$ = hey', false)).toEqual({ triggers: ['^(hi|hello)$'], answer: 'hey' });
  });

  it.each(['no equals sign', '= answer only', 'trigger only =', ' | = x', ''])('refuses %p', (rest) => {
    expect(parseQaAdd(rest, true)).toBeNull();
  });

  it.each([
    ['zh-TW', 'zh-TW'],
    ['ZH-tw', 'zh-TW'],
    ['中文', 'zh-TW'],
    ['ja', 'ja'],
    ['日本語', 'ja'],
    ['ｔｈ', 'th'],
    ['ไทย', 'th'],
    ['English', 'en'],
    ['fr', null],
    ['', null],
  ])('reads the language %p', (word, lang) => {
    expect(parseLanguage(word)).toBe(lang);
  });
});
