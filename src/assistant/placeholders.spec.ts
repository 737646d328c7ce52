import { AssistantInputError } from './assistant.errors';
import {
  assertPlaceholders,
  clip,
  escapeTextV2,
  formatDate,
  renderTemplate,
  unknownPlaceholders,
} from './placeholders';

describe('placeholders', () => {
  const values = {
    displayName: '小明',
    channelName: '購物討論群',
    memberCount: '150',
    date: '2025年1月15日',
  };

  it('renders every known placeholder, as often as it appears', () => {
    expect(
      renderTemplate(
        '{displayName} 歡迎來到 {channelName}（{memberCount} 人）{date} {displayName}',
        (n) => values[n],
      ),
    ).toBe('小明 歡迎來到 購物討論群（150 人）2025年1月15日 小明');
  });

  it('leaves ordinary braces alone and finds unknown placeholders', () => {
    expect(unknownPlaceholders('{笑} { } {displayName} {name} {name} {x1}')).toEqual(['name', 'x1']);
    expect(renderTemplate('{笑} {name}', () => 'X')).toBe('{笑} {name}');
  });

  it('refuses unknown placeholders with a 400 that names them', () => {
    expect(() => assertPlaceholders('Hi {displayname}', 'answer')).toThrow(AssistantInputError);
    expect(() => assertPlaceholders('Hi {displayname}', 'answer')).toThrow(
      'answer has an unknown placeholder {displayname}; use {displayName}, {channelName}, {memberCount}, {date}',
    );
    expect(() => assertPlaceholders('Hi {displayName} {笑}', 'answer')).not.toThrow();
  });

  it('escapes literal braces for textV2 but not the substituted keys', () => {
    expect(renderTemplate('{displayName}: {x} {{', () => '{m0}', escapeTextV2)).toBe('{m0}: {{x}} {{{{');
  });

  it('formats the date in the channel time zone, in each language', () => {
    const when = new Date('2025-01-15T20:00:00Z'); // already the 16th in Taipei and Bangkok
    expect(formatDate(when, 'Asia/Taipei', 'zh-TW')).toBe('2025年1月16日');
    expect(formatDate(when, 'Asia/Tokyo', 'ja')).toBe('2025年1月16日');
    expect(formatDate(when, 'Asia/Bangkok', 'th')).toBe('16 มกราคม 2568');
    expect(formatDate(when, 'America/New_York', 'en')).toBe('January 15, 2025');
    expect(formatDate(when, 'Not/AZone', 'en')).toBe('January 15, 2025');
  });

  it('clips without splitting an emoji', () => {
    expect(clip('abc', 5)).toBe('abc');
    expect(clip('ab😀cd', 4)).toBe('ab…');
    expect(clip('abcdef', 4)).toBe('abc…');
  });
});
