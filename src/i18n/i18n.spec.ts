import { LANGUAGES } from '../config/settings';
import { catalog } from './catalog';
import { I18nService, interpolate } from './i18n.service';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('translations', () => {
  const reference = catalog.en;

  it.each(LANGUAGES)(
    '%s has every namespace and key of every other language, with the same placeholders',
    (lang) => {
      for (const other of LANGUAGES) {
        for (const [ns, messages] of Object.entries(catalog[other])) {
          expect(Object.keys(catalog[lang])).toContain(ns);
          for (const [key, text] of Object.entries(messages)) {
            const mine = catalog[lang][ns][key];
            expect({
              key: `${ns}.${key}`,
              present: typeof mine === 'string' && mine.trim().length > 0,
            }).toEqual({
              key: `${ns}.${key}`,
              present: true,
            });
            expect({ key: `${ns}.${key}`, placeholders: placeholders(mine) }).toEqual({
              key: `${ns}.${key}`,
              placeholders: placeholders(text),
            });
          }
        }
      }
    },
  );

  it('has at least the common namespace', () => {
    expect(Object.keys(reference.common).length).toBeGreaterThan(0);
  });

  it('interpolates known placeholders and keeps unknown ones visible', () => {
    expect(interpolate('Hi {name}, {missing}', { name: '小明' })).toBe('Hi 小明, {missing}');
  });

  it('looks up by namespace.key in the chosen language', () => {
    const i18n = new I18nService();
    expect(i18n.t('ja', 'common.adminOnly')).toBe(catalog.ja.common.adminOnly);
    expect(i18n.t('en', 'common.noSuchKey')).toBe('common.noSuchKey');
  });
});
