/**
 * Human names for what the API gives as ids and codes: rings, alarm types, severities,
 * delivery states, checkpoints, drones. Rings have fixed ids (core ⊂ containment ⊂
 * prevention ⊂ control), so their names are translated; checkpoint, speaker and drone
 * names are the site's proper names and shown as the site file spells them.
 */
import type { MessageKey, translator } from './i18n.ts';
import { EN } from './i18n.ts';
import type { Alarm, SiteView } from './types.ts';

/** The console's translator (the type, not context.ts's, so this file stays free of the DOM and tests in Node can import it). */
type T = ReturnType<typeof translator>;

const has = (key: string): key is MessageKey => key in EN;

export function ringName(t: T, site: SiteView, ringId: string): string {
  const key = `ringName.${ringId}`;
  return has(key) ? t(key) : (site.rings.find((r) => r.id === ringId)?.name ?? ringId);
}

export function alarmTypeName(t: T, type: string): string {
  const key = `alarmType.${type}`;
  return has(key) ? t(key) : type;
}

export function severityName(t: T, severity: string): string {
  const key = `sev.${severity}`;
  return has(key) ? t(key) : severity;
}

export function deliveryName(t: T, state: string): string {
  const key = `delivery.${state}`;
  return has(key) ? t(key) : state;
}

/** A command kind (ledger record) in words: 'rtl' → Return home. */
export function kindName(t: T, kind: string): string {
  const key = `kind.${kind}`;
  return has(key) ? t(key) : kind;
}

export function checkpointName(site: SiteView, id: string): string {
  return site.checkpoints.find((c) => c.id === id)?.name ?? id;
}

export function speakerName(site: SiteView, id: string): string {
  return site.speakers.find((s) => s.id === id)?.name ?? site.drones.find((d) => d.id === id)?.name ?? id;
}

export function droneName(site: SiteView, id: string): string {
  return site.drones.find((d) => d.id === id)?.name ?? id;
}

export function zoneName(site: SiteView, id: string): string {
  return site.noFlyZones.find((z) => z.id === id)?.name ?? id;
}

/**
 * Why no drone went, in the console's language, from the server's code (its English
 * sentence is shown beneath as the service's words); undefined for an alarm from a
 * server that sends no code.
 */
export function noResponderWords(t: T, site: SiteView, a: Alarm): string | undefined {
  const why = a.noResponder;
  if (!why) return undefined;
  const drone = why.droneId ? droneName(site, why.droneId) : '';
  switch (why.code) {
    case 'target_in_zone':
      return t('noResponder.target_in_zone', { zone: why.zoneId ? zoneName(site, why.zoneId) : '' });
    case 'responder_failed':
      return t('noResponder.responder_failed', { drone });
    case 'responder_taken':
      return t('noResponder.responder_taken', { drone, alarm: why.alarmId ?? '' });
    case 'no_responder':
      return why.droneId ? t('noResponder.no_responder_named', { drone }) : t('noResponder.no_responder');
    default:
      return t(`noResponder.${why.code}`);
  }
}


/** What an alarm is, in words: type, and where (checkpoint or the dispatcher). */
export function alarmType(a: Alarm): string {
  const src = a.source as { kind: string; type?: string };
  return src.kind === 'sensor' || src.kind === 'vehicle' ? String(src.type) : 'manual';
}

/** The drone an alarm is about, when a drone raised it itself. */
export function alarmDrone(a: Alarm): string | undefined {
  const src = a.source as { kind: string; droneId?: string };
  return src.kind === 'vehicle' ? src.droneId : undefined;
}

/** Within this distance of a checkpoint, a manual alarm is named after it. */
const NEAR_CHECKPOINT_M = 400;

/** Where an alarm is, in words: its checkpoint, the checkpoint it is near, or coordinates. */
export function alarmPlace(site: SiteView, a: Alarm, t: T): string {
  if (a.source.kind === 'sensor') return checkpointName(site, a.source.checkpointId);
  const drone = alarmDrone(a);
  if (drone) return droneName(site, drone);
  const m = (p: { latDeg: number; lonDeg: number }) => Math.hypot((p.latDeg - a.position.latDeg) * 111_320, (p.lonDeg - a.position.lonDeg) * 111_320 * Math.cos((a.position.latDeg * Math.PI) / 180));
  const near = site.checkpoints.map((c) => ({ c, d: m(c.position) })).sort((x, y) => x.d - y.d)[0];
  if (near && near.d <= NEAR_CHECKPOINT_M) return t('place.near', { name: near.c.name, metres: Math.round(near.d) });
  return `${a.position.latDeg.toFixed(5)}, ${a.position.lonDeg.toFixed(5)}`;
}

/** Severity order for queues: critical first. */
export const SEVERITY_RANK: Record<string, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };
