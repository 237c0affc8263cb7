import type { Site } from '../../site/index.ts';
import type { Selection } from '../scenario/schema.ts';

export interface SiteDeviceIds {
  drones: string[];
  /** Fixed speakers, then drone-mounted ones. */
  speakers: string[];
  sensors: string[];
}

export function siteDeviceIds(site: Site): SiteDeviceIds {
  return {
    drones: site.drones.map((d) => d.id),
    speakers: [...site.speakers.map((s) => s.id), ...site.drones.flatMap((d) => (d.speaker ? [d.speaker.id] : []))],
    sensors: site.checkpoints.flatMap((c) => c.sensors.map((s) => s.id)),
  };
}

/** Applies a selection to the site's ids of one kind, keeping the site's order. */
export function resolveSelection(sel: Selection | undefined, ids: readonly string[]): string[] {
  if (sel === undefined || sel === 'all') return [...ids];
  if (sel === 'none') return [];
  if (typeof sel === 'number') return ids.slice(0, sel);
  const wanted = new Set(sel);
  return ids.filter((id) => wanted.has(id));
}
