import { parseCommand } from './command-parser';

const table: Record<string, string> = {
  '/rules': 'rules',
  規則: 'rules',
  ルール: 'rules',
  กฎ: 'rules',
  '/qa': 'qa',
  '/login': 'login',
  登入: 'login',
};
const lookup = (w: string) => table[w];

describe('parseCommand', () => {
  it('parses a slash command with arguments', () => {
    expect(parseCommand('/qa add 營業時間 = 早上九點', lookup)).toEqual({
      name: 'qa',
      args: 'add 營業時間 = 早上九點',
      word: 'qa',
    });
  });

  it('accepts a full-width slash and upper case', () => {
    expect(parseCommand('／RULES', lookup)?.name).toBe('rules');
    expect(parseCommand('/Login', lookup)?.name).toBe('login');
  });

  it('keeps multi-line arguments', () => {
    expect(parseCommand('/qa add a = line one\nline two', lookup)?.args).toBe('add a = line one\nline two');
  });

  it.each(['規則', 'ルール', 'กฎ', '  登入  '])('accepts the native alias %s alone', (text) => {
    expect(parseCommand(text, lookup)).not.toBeNull();
  });

  it.each(['規則是什麼', 'กฎ ของกลุ่ม', 'hello', '', '   ', '/unknown', '/', 'rules'])('ignores %p', (text) => {
    expect(parseCommand(text, lookup)).toBeNull();
  });
});
