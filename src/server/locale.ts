import { compileMessage, type MessageTemplate } from '../catalog/message.js';

/** Messages per locale and code: `{ fr: { RATE_LIMITED: 'Trop de requêtes.' } }`. */
export type LocaleMessages = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** Options of localised messages. */
export interface LocaleOptions {
  messages: LocaleMessages;
  /**
   * The locale of the catalog's own messages, used when no requested locale is available.
   * @default 'en'
   */
  defaultLocale?: string;
}

/** Chooses a locale and renders messages in it; the code never changes. */
export interface Localizer {
  negotiate(acceptLanguage: string | undefined): string;
  message(locale: string, code: string, details: unknown): string | undefined;
}

function ranges(header: string): string[] {
  return header
    .split(',')
    .slice(0, 32)
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const quality = q === undefined ? 1 : Number(q.slice(2));
      return { tag: tag.trim().toLowerCase(), quality: Number.isFinite(quality) ? quality : 0, index };
    })
    .filter((r) => r.tag !== '' && r.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.index - b.index)
    .map((r) => r.tag);
}

/** Compiles per-locale message tables; `Accept-Language` picks the table, by full tag then by language. */
export function createLocalizer(options: LocaleOptions): Localizer {
  const defaultLocale = options.defaultLocale ?? 'en';
  const locales = new Map<string, string>();
  for (const locale of Object.keys(options.messages)) locales.set(locale.toLowerCase(), locale);
  const templates = new Map<string, MessageTemplate | null>();
  return {
    negotiate(header) {
      if (!header) return defaultLocale;
      for (const tag of ranges(header)) {
        if (tag === '*') return defaultLocale;
        const exact = locales.get(tag);
        if (exact) return exact;
        const language = locales.get(tag.split('-')[0]!);
        if (language) return language;
        if (tag.split('-')[0] === defaultLocale.toLowerCase().split('-')[0]) return defaultLocale;
      }
      return defaultLocale;
    },
    message(locale, code, details) {
      const key = `${locale}\u0000${code}`;
      let template = templates.get(key);
      if (template === undefined) {
        const text = options.messages[locale]?.[code];
        template = text === undefined ? null : compileMessage(text);
        templates.set(key, template);
      }
      return template?.render(details);
    },
  };
}
