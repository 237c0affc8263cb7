import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { EN, ZH, pickLang, placeholders, translator, type MessageKey } from '../../web-map/client/i18n.ts';

describe('console strings', () => {
  it('zh-CN has every English key, nothing more, with the same placeholders and real text', () => {
    expect(Object.keys(ZH).sort()).toEqual(Object.keys(EN).sort());
    for (const k of Object.keys(EN) as MessageKey[]) {
      expect(placeholders(ZH[k]), k).toEqual(placeholders(EN[k]));
      expect(ZH[k].trim(), k).not.toBe('');
    }
    // Not an English copy: most strings carry Chinese characters.
    const chinese = Object.values(ZH).filter((s) => /[\u4e00-\u9fff]/.test(s)).length;
    expect(chinese / Object.keys(ZH).length).toBeGreaterThan(0.9);
  });

  it('every key the browser code asks for exists', () => {
    const dir = new URL('../../web-map/client/', import.meta.url);
    const used = new Set<string>();
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const src = readFileSync(new URL(f, dir), 'utf8');
      for (const m of src.matchAll(/\bt\('([a-zA-Z_.]+)'/g)) used.add(m[1]!);
    }
    expect(used.size).toBeGreaterThan(40);
    for (const k of used) expect(EN, k).toHaveProperty([k]);
    // Keys built at run time from a state name must exist for every state.
    for (const s of ['queued', 'sent', 'acked', 'in_progress', 'succeeded', 'failed', 'timed_out', 'cancelled']) expect(EN).toHaveProperty([`ledger.${s}`]);
    for (const s of ['ok', 'lost', 'never']) expect(EN).toHaveProperty([`link.${s}`]);
    for (const s of ['open', 'acknowledged', 'resolved']) expect(EN).toHaveProperty([`alarm.${s}`]);
    for (const s of ['operator', 'chief', 'engineer']) expect(EN).toHaveProperty([`role.${s}`]);
  });

  it('defaults from the browser language list', () => {
    expect(pickLang(['zh-CN', 'en-US'])).toBe('zh-CN');
    expect(pickLang(['zh-TW'])).toBe('zh-CN');
    expect(pickLang(['en-GB', 'zh-CN'])).toBe('en');
    expect(pickLang(['fr-FR', 'zh'])).toBe('zh-CN');
    expect(pickLang(['fr-FR'])).toBe('en');
    expect(pickLang([])).toBe('en');
  });

  it('fills placeholders and leaves missing ones visible', () => {
    expect(translator('en')('ring.target', { name: 'Containment ring', seconds: 60 })).toBe('Containment ring · response 60 s');
    expect(translator('zh-CN')('drones.count', { n: 8, online: 7 })).toBe('8 架无人机 · 7 架在线');
    expect(translator('en')('ledger.reason', {})).toBe('Reason: {detail}');
  });
});
