import { Language } from '../../config/settings';

/** Sub-command words: the English ones the help shows, and the native ones people type naturally. */
export const SUBCOMMANDS = {
  add: ['add', '新增', '增加', '追加', '登録', 'เพิ่ม'],
  del: ['del', 'delete', 'remove', 'rm', '刪除', '删除', '削除', 'ลบ'],
  list: ['list', 'ls', '列表', '清單', '一覧', 'リスト', 'รายการ'],
  set: ['set', '設定', '设定', '設置', 'ตั้ง', 'ตั้งค่า'],
  on: ['on', '開', '開啟', '开启', 'オン', 'เปิด'],
  off: ['off', '關', '關閉', '关闭', 'オフ', 'ปิด'],
} as const;
export type Subcommand = keyof typeof SUBCOMMANDS;

const fold = (word: string) => word.normalize('NFKC').toLowerCase();
const SUB_BY_WORD = new Map<string, Subcommand>(
  Object.entries(SUBCOMMANDS).flatMap(([sub, words]) =>
    words.map((w) => [fold(w), sub as Subcommand] as const),
  ),
);

/** `add 營業時間 = 九點` → `{ sub: 'add', rest: '營業時間 = 九點' }`; rest keeps its line breaks. */
export function splitSubcommand(args: string): { sub: Subcommand | null; word: string; rest: string } {
  const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(args.trim());
  if (!m) return { sub: null, word: '', rest: '' };
  return { sub: SUB_BY_WORD.get(fold(m[1])) ?? null, word: m[1], rest: (m[2] ?? '').trim() };
}

/**
 * `<trigger> = <answer>` with a half- or full-width equals sign (= ＝ ﹦); the first one separates, so
 * answers may contain more. Several triggers are separated by `|` or `｜` unless the channel's
 * triggers are regexes, where `|` is alternation.
 */
export function parseQaAdd(
  rest: string,
  splitTriggers: boolean,
): { triggers: string[]; answer: string } | null {
  const at = rest.search(/[=＝﹦]/);
  if (at < 0) return null;
  const head = rest.slice(0, at).trim();
  const answer = rest.slice(at + 1).trim();
  const triggers = (splitTriggers ? head.split(/[|｜]/) : [head]).map((t) => t.trim()).filter(Boolean);
  if (triggers.length === 0 || !answer) return null;
  return { triggers: [...new Set(triggers)], answer };
}

const LANGUAGE_WORDS: Record<Language, string[]> = {
  'zh-TW': ['zh-tw', 'zh_tw', 'zh', 'tw', 'zh-hant', '中文', '繁中', '繁體中文', '正體中文'],
  ja: ['ja', 'jp', 'ja-jp', '日本語', 'にほんご'],
  th: ['th', 'th-th', 'ไทย', 'ภาษาไทย'],
  en: ['en', 'en-us', 'en-gb', 'english', '英文', '英語'],
};
const LANGUAGE_BY_WORD = new Map<string, Language>(
  Object.entries(LANGUAGE_WORDS).flatMap(([lang, words]) =>
    words.map((w) => [fold(w), lang as Language] as const),
  ),
);

export function parseLanguage(word: string): Language | null {
  return LANGUAGE_BY_WORD.get(fold(word.trim())) ?? null;
}
