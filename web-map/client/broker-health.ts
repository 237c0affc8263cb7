/**
 * The broker as the engineer's services list shows it, from GET /api/devices/broker:
 * control's own link to the broker, and the status the broker publishes of itself (its
 * age, clients, health). Pure: no DOM, the translator handed in.
 */
import type { BrokerView } from '../../protocol/schemas/broker-status.ts';
import type { MessageKey, translator } from './i18n.ts';
import { EN } from './i18n.ts';

/** The console's translator (context.ts's T), named from i18n so this file needs no DOM. */
type T = ReturnType<typeof translator>;

export type { BrokerView };

export interface BrokerLine {
  status: 'ok' | 'degraded' | 'down' | 'unknown';
  /** One line: "connected, status 2 s ago, 14 clients" or "control lost the broker 12 s ago". */
  text: string;
  /** Why it is degraded, in the console's words. */
  reasons: string[];
}

const has = (key: string): key is MessageKey => key in EN;

/** An age in words: "now", "2.5 s ago", "40 s ago" (as the device table says it). */
export function ageWords(t: T, ms: number | undefined): string {
  if (ms === undefined) return t('eng.never');
  if (ms < 1000) return t('eng.justNow');
  return t('eng.ago', { s: (ms / 1000).toFixed(ms < 10_000 ? 1 : 0) });
}

/** A refusal reason (the broker's or a MAVLink link's code) in words; an unknown code as it is. */
export function rejectReasonName(t: T, code: string): string {
  const key = `reject.${code}`;
  return has(key) ? t(key) : code;
}

export function brokerLine(t: T, view: BrokerView | undefined): BrokerLine {
  if (!view) return { status: 'unknown', text: t('eng.broker.noView'), reasons: [] };
  const { link, status } = view;
  if (link.connected === false) {
    const since = link.changedAgoMs;
    return { status: 'down', text: since === undefined ? t('eng.broker.lostAtStart') : t('eng.broker.lost', { ago: ageWords(t, since) }), reasons: [] };
  }
  if (!status) return { status: 'degraded', text: t('eng.broker.noStatus'), reasons: [] };
  if (status.stale) return { status: 'degraded', text: t('eng.broker.stale', { ago: ageWords(t, status.ageMs) }), reasons: [] };
  const reasons = status.health.reasons.map((r) => {
    const key = `eng.brokerHealth.${r.code}`;
    return has(key) ? t(key, { n: r.value }) : `${r.code} ${r.value}`;
  });
  // A link that came back lately is worth a word: messages may have been missed meanwhile.
  if (link.changedAgoMs !== undefined && link.changedAgoMs < 5 * 60_000) reasons.push(t('eng.broker.back', { ago: ageWords(t, link.changedAgoMs) }));
  return {
    status: status.health.status,
    text: t('eng.broker.connected', { ago: ageWords(t, status.ageMs), n: status.clientsTotal }),
    reasons,
  };
}
