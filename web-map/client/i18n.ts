/**
 * Console strings in English (messages-en.ts) and Simplified Chinese (messages-zh.ts). Keys are flat; `{name}` placeholders
 * are filled by `t()`. The zh-CN table must hold every English key with the same
 * placeholders (tests/web-map/i18n.test.ts checks it).
 */
import { EN, type MessageKey } from './messages-en.ts';
import { ZH } from './messages-zh.ts';

export { EN, ZH, type MessageKey };

export type Lang = 'en' | 'zh-CN';

const TABLES: Record<Lang, Record<MessageKey, string>> = { en: EN, 'zh-CN': ZH };

/** The UI language for the browser's preference list: any `zh*` → zh-CN, else English. */
export function pickLang(preferred: readonly string[]): Lang {
  for (const p of preferred) {
    const l = p.toLowerCase();
    if (l.startsWith('zh')) return 'zh-CN';
    if (l.startsWith('en')) return 'en';
  }
  return 'en';
}

/** `{name}` placeholders in a message, sorted (the completeness test compares them). */
export function placeholders(msg: string): string[] {
  return [...msg.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();
}

/** A translator bound to one language; a missing parameter stays visible as `{name}`. */
export function translator(lang: Lang): (key: MessageKey, params?: Record<string, string | number>) => string {
  const table = TABLES[lang];
  return (key, params) => {
    const msg = table[key] ?? EN[key] ?? key;
    return params ? msg.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m)) : msg;
  };
}
