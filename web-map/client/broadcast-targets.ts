/**
 * Which speakers a broadcast target reaches, worked out in the console before sending so
 * the chief sees how many and which. The same rules as the server's resolveTargets
 * (control/broadcast/targets.ts) with the same geometry (site/geometry.ts): a speaker is
 * in a ring when the innermost ring holding it is that ring; a drone-mounted speaker
 * counts where its drone is now and is left out while that is unknown. Pure, no DOM.
 */
import { distanceM, pointInShape } from '../../site/geometry.ts';
import type { Point, SiteView } from './types.ts';

export type BroadcastTarget =
  | { kind: 'rings'; ringIds: string[] }
  | { kind: 'polygon'; points: Point[] }
  | { kind: 'radius'; center: Point | undefined; radiusM: number };

export interface TargetedSpeaker {
  id: string;
  mount: 'fixed' | 'drone';
  position: Point;
}

/** Whether the target is complete enough to send (a polygon needs 3 points, a radius a centre). */
export function targetReady(target: BroadcastTarget): boolean {
  if (target.kind === 'rings') return target.ringIds.length > 0;
  if (target.kind === 'polygon') return target.points.length >= 3;
  return target.center !== undefined && target.radiusM > 0;
}

export function speakersFor(site: Pick<SiteView, 'rings' | 'speakers' | 'drones'>, target: BroadcastTarget, dronePosition: (droneId: string) => Point | undefined): TargetedSpeaker[] {
  if (!targetReady(target)) return [];
  const all: { id: string; mount: 'fixed' | 'drone'; position: Point | undefined }[] = [
    ...site.speakers.map((s) => ({ id: s.id, mount: 'fixed' as const, position: s.position })),
    ...site.drones.flatMap((d) => {
      const sp = d.speaker as { id?: string } | undefined;
      return sp?.id ? [{ id: sp.id, mount: 'drone' as const, position: dronePosition(d.id) }] : [];
    }),
  ];
  let match: (p: Point) => boolean;
  if (target.kind === 'rings') {
    const rings = new Set(target.ringIds);
    match = (p) => {
      const r = site.rings.find((x) => pointInShape(p, x.shape))?.id;
      return r !== undefined && rings.has(r);
    };
  } else if (target.kind === 'polygon') {
    const shape = { type: 'polygon' as const, points: target.points };
    match = (p) => pointInShape(p, shape);
  } else {
    const { center, radiusM } = target;
    match = (p) => distanceM(p, center!) <= radiusM;
  }
  return all.flatMap((s) => (s.position && match(s.position) ? [{ id: s.id, mount: s.mount, position: s.position }] : []));
}

/**
 * What to send for the chosen message: a library warning the speakers hold as a clip
 * (the site file's, unchanged since) goes as that clip; one added or edited at run time
 * goes as its text, since the speakers do not have it. Typed text is sent only when the
 * chief chose "typed text": it never replaces a chosen warning behind their back.
 */
export function broadcastSource(
  choice: { kind: 'warning'; warningId: string } | { kind: 'text'; text: string; lang: 'zh-CN' | 'en' },
  library: readonly { id: string; text: string; lang: 'zh-CN' | 'en' }[],
  clips: readonly { id: string; text: string; lang: string }[],
): { kind: 'clip'; clipId: string } | { kind: 'tts'; text: string; lang: 'zh-CN' | 'en' } | undefined {
  if (choice.kind === 'text') return choice.text.trim() ? { kind: 'tts', text: choice.text.trim(), lang: choice.lang } : undefined;
  const w = library.find((x) => x.id === choice.warningId);
  if (!w) return undefined;
  const clip = clips.find((c) => c.id === w.id);
  return clip && clip.text === w.text && clip.lang === w.lang ? { kind: 'clip', clipId: w.id } : { kind: 'tts', text: w.text, lang: w.lang };
}

/** The warning to offer first: the first ring's default in the console's language, else any in that language. */
export function defaultWarningId(library: readonly { id: string; lang: string }[], ringDefaults: readonly string[], lang: string): string | undefined {
  const inLang = library.filter((w) => w.lang === lang);
  for (const id of ringDefaults) {
    // Ring defaults are named per language by convention (warn-containment-zh / -en).
    const base = id.replace(/-(zh|en)$/, '');
    const hit = inLang.find((w) => w.id === id || w.id.replace(/-(zh|en)$/, '') === base);
    if (hit) return hit.id;
  }
  return inLang[0]?.id ?? library[0]?.id;
}
