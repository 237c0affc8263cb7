/**
 * The patrol's mission is encoded for the autopilot the vehicle is, not the one the site
 * file names (issue 13, item 6): the site declares ArduPilot, the HEARTBEAT says PX4, so
 * the loop's DO_JUMP must target the first loop waypoint by PX4's numbering (no home
 * item), and PX4's MISSION_ITEM_REACHED sequences must count as passes over the loop.
 */
import { describe, expect, it } from 'vitest';
import { common } from 'node-mavlink';
import { loadSite } from '../../site/load.ts';
import { LocalFrame } from '../../control/geo/local-frame.ts';
import { FleetView } from '../../control/ops/fleet-view.ts';
import { PatrolService } from '../../control/ops/patrol-service.ts';
import type { PlanItem } from '../../control/vehicle/plan-item.ts';
import { FakeCommands, ManualTime, asVehicles, fakeVehicle, report } from '../control-ops/fakes.ts';

const site = loadSite('sites/demo.yaml');
const frame = new LocalFrame(site.core.shape.type === 'circle' ? site.core.shape.center : site.core.shape.points[0]!);
const T0 = Date.UTC(2026, 10, 30, 4, 0, 0);

async function launchFirstAs(autopilot: 'ardupilot' | 'px4') {
  const time = new ManualTime(T0);
  const vehicles = site.drones.map((d) => fakeVehicle(d.id, d.dock, time));
  for (const v of vehicles) v.autopilot = autopilot;
  const fleet = new FleetView(site, asVehicles(vehicles), time);
  const cmds = new FakeCommands();
  const patrols = new PatrolService({ site, fleet, drones: cmds.asCommands(), frame, time, vehicles: asVehicles(vehicles) });
  const ring = () => patrols.state().find((r) => r.ringId === 'containment')!;
  patrols.start(['containment']);
  const first = ring().sorties[0]!;
  await time.advance(Math.max(0, first.launchAtMs - time.now));
  const drone = vehicles.find((v) => v.droneId === first.droneId)!;
  report(drone, { armed: true, altRelM: 40, mode: 'AUTO' });
  patrols.observe();
  const upload = cmds.issued.find((i) => i.req.action === 'plan_upload' && i.req.missionType === 'mission')!;
  const items = (upload.req as { items: PlanItem[] }).items;
  return { ring, drone, items, time };
}

describe('patrol mission encoded for the vehicle it flies on', () => {
  expect(site.drones.every((d) => d.mavlink.autopilot === 'ardupilot')).toBe(true);

  it.each([
    ['ardupilot', 1],
    ['px4', 0],
  ] as const)('%s: DO_JUMP targets the first loop waypoint and reached loop items count as passes', async (autopilot, firstSeq) => {
    const { ring, drone, items, time } = await launchFirstAs(autopilot);
    expect(ring().sorties[0]!.status).toBe('flying');
    const jumpAt = items.findIndex((i) => i.command === common.MavCmd.DO_JUMP);
    expect(jumpAt).toBeGreaterThan(0);
    const loopLength = ring().plan!.loop.length;
    // The loop is the loopLength waypoints just before the jump; the jump's wire target is the first of them.
    const loopStart = jumpAt - loopLength;
    expect(items.slice(loopStart, jumpAt).every((i) => i.command === common.MavCmd.NAV_WAYPOINT)).toBe(true);
    const vertexKeys = new Set(ring().plan!.loop.map((p) => `${Math.round(p.latDeg * 1e7)},${Math.round(p.lonDeg * 1e7)}`));
    expect(new Set(items.slice(loopStart, jumpAt).map((i) => `${i.x},${i.y}`))).toEqual(vertexKeys);
    expect(items[jumpAt]!.param1).toBe(loopStart + firstSeq);
    // Three loop waypoints reached, by this autopilot's numbering, twice a lap apart.
    const seqs = [loopStart, loopStart + 1, loopStart + 2].map((k) => k + firstSeq);
    for (const seq of seqs) drone.emit('mission_item_reached', seq);
    await time.advance(490_000);
    for (const seq of seqs) drone.emit('mission_item_reached', seq);
    const r = ring().revisit!;
    expect(r.passes).toBe(6);
    expect(r.measuredLapS).toBeCloseTo(490, 0);
  });
});
