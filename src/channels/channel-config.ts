import { Language } from '../config/settings';

export type QaMode = 'keyword' | 'exact' | 'regex';
export type BackupVisibility = 'admin' | 'member';

/** Per-channel settings. The first keys are the contract's; the rest are this product's additions. */
export interface ChannelConfig {
  assistant: {
    enabled: boolean;
    qa: { enabled: boolean; mode: QaMode };
    welcome: { enabled: boolean };
    rules: { enabled: boolean };
    /** Push (spends quota) when a reply token has expired; off because pushes cost money. */
    pushFallback: boolean;
  };
  backup: {
    enabled: boolean;
    keepUnsent: boolean;
    /** null keeps everything forever. */
    retentionDays: number | null;
    visibleTo: BackupVisibility;
  };
  language: Language;
  timezone: string;
}

export function defaultChannelConfig(language: Language): ChannelConfig {
  return {
    assistant: {
      enabled: true,
      qa: { enabled: true, mode: 'keyword' },
      welcome: { enabled: true },
      rules: { enabled: true },
      pushFallback: false,
    },
    backup: { enabled: true, keepUnsent: true, retentionDays: null, visibleTo: 'admin' },
    language,
    timezone: 'Asia/Taipei',
  };
}

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Stored and patched values over defaults, so keys added in later versions get their defaults. */
export function mergeConfig<T>(base: T, patch: unknown): T {
  if (!isPlain(base) || !isPlain(patch)) return (patch === undefined ? base : patch) as T;
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    out[key] = key in base ? mergeConfig(base[key], value) : value;
  }
  return out as T;
}
