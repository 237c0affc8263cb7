import { common } from 'node-mavlink';
import { pointInShape } from '../../site/geometry.ts';
import type { Shape } from '../../site/schema.ts';
import type { PlanItem } from './plan-item.ts';

const Cmd = common.MavCmd;

/** One zone of an uploaded fence, as the autopilot reads the FENCE list. */
export interface FenceZone {
  inclusion: boolean;
  shape: Shape;
}

/**
 * The zones of a FENCE item list: each polygon's vertices carry its vertex count in
 * param1 (MAV_CMD_NAV_FENCE_POLYGON_VERTEX_*), a circle its radius in param1. Pure.
 */
export function fenceZones(items: readonly PlanItem[]): FenceZone[] {
  const zones: FenceZone[] = [];
  const pt = (it: PlanItem) => ({ latDeg: it.x / 1e7, lonDeg: it.y / 1e7 });
  for (let i = 0; i < items.length; ) {
    const it = items[i]!;
    const incl = it.command === Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION;
    if (incl || it.command === Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION) {
      const n = Math.max(3, Math.round(it.param1));
      const pts = items.slice(i, i + n).map(pt);
      if (pts.length >= 3) zones.push({ inclusion: incl, shape: { type: 'polygon', points: pts } as Shape });
      i += n;
      continue;
    }
    if (it.command === Cmd.NAV_FENCE_CIRCLE_INCLUSION || it.command === Cmd.NAV_FENCE_CIRCLE_EXCLUSION) {
      zones.push({ inclusion: it.command === Cmd.NAV_FENCE_CIRCLE_INCLUSION, shape: { type: 'circle', center: pt(it), radiusM: it.param1 } as Shape });
    }
    i++;
  }
  return zones;
}

/**
 * Why `p` lies outside the fence (outside any inclusion zone or inside an exclusion zone,
 * as AC_PolyFence_loader::breached decides), or undefined when the fence allows it.
 */
export function outsideFence(items: readonly PlanItem[], p: { latDeg: number; lonDeg: number }): string | undefined {
  const zones = fenceZones(items);
  // ArduCopter: every inclusion zone must hold the point (AC_PolyFence_loader::breached).
  if (zones.some((z) => z.inclusion && !pointInShape(p, z.shape))) return 'outside its inclusion zone';
  const n = zones.filter((z) => !z.inclusion).findIndex((z) => pointInShape(p, z.shape));
  return n >= 0 ? `inside its exclusion zone ${n + 1}` : undefined;
}
