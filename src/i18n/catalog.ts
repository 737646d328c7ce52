import type { Language } from '../config/settings';
import enAssistant from './locales/en/assistant.json';
import jaAssistant from './locales/ja/assistant.json';
import thAssistant from './locales/th/assistant.json';
import zhAssistant from './locales/zh-TW/assistant.json';
import enAuth from './locales/en/auth.json';
import jaAuth from './locales/ja/auth.json';
import thAuth from './locales/th/auth.json';
import zhAuth from './locales/zh-TW/auth.json';
import enBackup from './locales/en/backup.json';
import jaBackup from './locales/ja/backup.json';
import thBackup from './locales/th/backup.json';
import zhBackup from './locales/zh-TW/backup.json';
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
  'zh-TW': { assistant: zhAssistant, auth: zhAuth, backup: zhBackup, common: zhCommon },
  ja: { assistant: jaAssistant, auth: jaAuth, backup: jaBackup, common: jaCommon },
  th: { assistant: thAssistant, auth: thAuth, backup: thBackup, common: thCommon },
  en: { assistant: enAssistant, auth: enAuth, backup: enBackup, common: enCommon },
};
