import type { Language } from '../config/settings';
import enCommon from './locales/en/common.json';
import jaCommon from './locales/ja/common.json';
import thCommon from './locales/th/common.json';
import zhCommon from './locales/zh-TW/common.json';

export type Messages = Record<string, string>;

/**
 * Every language has the same namespaces with the same keys (i18n.spec.ts fails otherwise).
 * A module adds its namespace with one line per language.
 */
export const catalog: Record<Language, Record<string, Messages>> = {
  'zh-TW': { common: zhCommon },
  ja: { common: jaCommon },
  th: { common: thCommon },
  en: { common: enCommon },
};
