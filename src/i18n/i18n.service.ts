import { Injectable, Logger } from '@nestjs/common';
import type { Language } from '../config/settings';
import { catalog } from './catalog';

export type I18nParams = Record<string, string | number>;

/** The bot's own words in the channel's language; keys are `namespace.key`. */
@Injectable()
export class I18nService {
  private readonly logger = new Logger(I18nService.name);

  t(lang: Language, key: string, params: I18nParams = {}): string {
    const template = lookup(lang, key) ?? lookup('en', key);
    if (template === undefined) {
      this.logger.error({ key, lang }, 'Missing translation');
      return key;
    }
    return interpolate(template, params);
  }
}

function lookup(lang: Language, key: string): string | undefined {
  const dot = key.indexOf('.');
  if (dot < 0) return undefined;
  return catalog[lang]?.[key.slice(0, dot)]?.[key.slice(dot + 1)];
}

/** `{name}` is replaced; unknown names stay as they are so a mistake shows instead of vanishing. */
export function interpolate(template: string, params: I18nParams): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}
