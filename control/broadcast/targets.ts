import type { Site } from '../../site/load.ts';
import type { Point, RingId } from '../../site/schema.ts';
import { distanceM, pointInShape } from '../../site/geometry.ts';
import { ringOf } from '../planning/plan.ts';

/** How a chief picks speakers: by ring, a drawn polygon, a radius round a point, or by id. */
export type BroadcastTarget =
  | { kind: 'rings'; ringIds: RingId[] }
  | { kind: 'polygon'; points: Point[] }
  | { kind: 'radius'; center: Point; radiusM: number }
  | { kind: 'devices'; deviceIds: string[] };

export interface TargetSpeaker {
  id: string;
  mount: 'fixed' | 'drone';
  /** Where it is now (a drone speaker's drone position). */
  position: Point;
}

export interface ResolvedTargets {
  speakers: TargetSpeaker[];
  /** Speakers that match by id but cannot be placed or used now, with why. */
  skipped: { id: string; reason: string }[];
}

/**
 * Resolves a target to speakers, fixed and drone-mounted alike. A drone-mounted speaker
 * counts where its drone is now; one whose drone position is unknown (docked out of
 * reach, link lost) can only be chosen by id, and is reported as skipped otherwise.
 */
export function resolveTargets(site: Site, target: BroadcastTarget, droneSpeakerPositions: ReadonlyMap<string, Point | undefined>): ResolvedTargets {
  const all: { id: string; mount: 'fixed' | 'drone'; position: Point | undefined }[] = [
    ...site.speakers.map((s) => ({ id: s.id, mount: 'fixed' as const, position: s.position })),
    ...site.drones.flatMap((d) => (d.speaker ? [{ id: d.speaker.id, mount: 'drone' as const, position: droneSpeakerPositions.get(d.speaker.id) }] : [])),
  ];
  const skipped: ResolvedTargets['skipped'] = [];
  let match: (p: Point) => boolean;
  switch (target.kind) {
    case 'devices': {
      const speakers: TargetSpeaker[] = [];
      for (const id of target.deviceIds) {
        const s = all.find((x) => x.id === id);
        if (!s) skipped.push({ id, reason: 'not a speaker of this site' });
        else if (!s.position) speakers.push({ id: s.id, mount: s.mount, position: site.drones.find((d) => d.speaker?.id === id)!.dock });
        else speakers.push({ id: s.id, mount: s.mount, position: s.position });
      }
      return { speakers, skipped };
    }
    case 'rings': {
      const rings = new Set(target.ringIds);
      match = (p) => {
        const r = ringOf(site, p);
        return r !== undefined && rings.has(r);
      };
      break;
    }
    case 'polygon':
      match = (p) => pointInShape(p, { type: 'polygon', points: target.points });
      break;
    case 'radius':
      match = (p) => distanceM(p, target.center) <= target.radiusM;
      break;
  }
  const speakers: TargetSpeaker[] = [];
  for (const s of all) {
    if (!s.position) {
      skipped.push({ id: s.id, reason: 'drone position unknown' });
      continue;
    }
    if (match(s.position)) speakers.push({ id: s.id, mount: s.mount, position: s.position });
  }
  return { speakers, skipped };
}
