import { foldKana, isWordChar, normalizeText } from './normalize';

describe('normalizeText', () => {
  it.each([
    ['ＷｉＦｉ　密碼', 'wifi 密碼'],
    ['ＨＥＬＬＯ World', 'hello world'],
    ['ｶﾀｶﾅ', 'かたかな'],
    ['カタカナ', 'かたかな'],
    ['ガイド', 'がいど'],
    ['ｶﾞｲﾄﾞ', 'がいど'],
    ['營業時間？', '營業時間?'],
    ['  多個   空白\n換行 ', '多個 空白 換行'],
    ['ราคา\u200Bเท่าไหร่', 'ราคาเท่าไหร่'],
    ['①２3', '123'],
    ['ÉCOLE', 'école'],
  ])('%p → %p', (input, expected) => {
    expect(normalizeText(input)).toBe(expected);
  });

  it('keeps Thai combining marks and CJK as they are', () => {
    expect(normalizeText('กฎของกลุ่ม')).toBe('กฎของกลุ่ม');
    expect(normalizeText('營業時間')).toBe('營業時間');
  });

  it('folds iteration marks and leaves katakana without a hiragana twin', () => {
    expect(foldKana('ヽヾヷー')).toBe('ゝゞヷー');
  });
});

describe('isWordChar', () => {
  it.each(['a', 'Z', 'é', 'я', '7', '_'])('%p is a word character', (c) => expect(isWordChar(c)).toBe(true));
  it.each(['營', 'か', 'ก', ' ', '?', '!', undefined, ''])('%p is not', (c) =>
    expect(isWordChar(c)).toBe(false),
  );
});
