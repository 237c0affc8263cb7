import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSite } from '../../site/load.ts';
import { LocalFrame } from '../../control/geo/local-frame.ts';
import { FleetView } from '../../control/ops/fleet-view.ts';
import { PatrolService } from '../../control/ops/patrol-service.ts';
import { PatrolFile, type PatrolSnapshot } from '../../control/ops/patrol-store.ts';
import { Readopter } from '../../control/ops/readopt.ts';
import type { TransferResult } from '../../control/vehicle/mission-transfer.ts';
import type { PlanItem } from '../../control/vehicle/plan-item.ts';
import { FakeCommands, ManualTime, asVehicles, fakeVehicle, flush, report, type FakeVehicle } from './fakes.ts';

/**
 * Issue 15: a control restart mid-flight re-adopts the drones in the air. The first
 * PatrolService flies a sortie; its snapshot goes through the state file to a second one
 * over the same (still flying) vehicles, as a restarted control would have it.
 */
const site = loadSite('sites/demo.yaml');
const frame = new LocalFrame(site.core.shape.type === 'circle' ? site.core.shape.center : site.core.shape.points[0]!);
const T0 = Date.UTC(2026, 10, 30, 4, 0, 0);

function control(time: ManualTime, vehicles: FakeVehicle[]) {
  const fleet = new FleetView(site, asVehicles(vehicles), time);
  const cmds = new FakeCommands();
  const patrols = new PatrolService({ site, fleet, drones: cmds.asCommands(), frame, time, vehicles: asVehicles(vehicles) });
  return { fleet, cmds, patrols };
}

/** A first control that launched the containment patrol's first sortie, now flying its mission. */
async function flyingThenRestarted() {
  const time = new ManualTime(T0);
  const vehicles = site.drones.map((d) => fakeVehicle(d.id, d.dock, time));
  const first = control(time, vehicles);
  first.patrols.start(['containment']);
  const sortie = first.patrols.state().find((r) => r.ringId === 'containment')!.sorties[0]!;
  await time.advance(Math.max(0, sortie.launchAtMs - time.now));
  const drone = vehicles.find((v) => v.droneId === sortie.droneId)!;
  report(drone, { armed: true, altRelM: 40, mode: 'AUTO' });
  first.patrols.observe();
  const upload = first.cmds.issued.find((i) => i.droneId === drone.droneId && i.req.action === 'plan_upload' && i.req.missionType === 'mission')!;
  const held = (upload.req as { items: PlanItem[] }).items;
  const snap = JSON.parse(JSON.stringify(first.patrols.snapshot())) as PatrolSnapshot;
  // Dropped without a word: its timers go, nothing is sent.
  first.patrols.close();
  await time.advance(5_000);
  const second = control(time, vehicles);
  second.patrols.restore(snap);
  const ring = () => second.patrols.state().find((r) => r.ringId === 'containment')!;
  const mine = () => ring().sorties.find((s) => s.droneId === drone.droneId && s.slot === sortie.slot && s.launchAtMs === sortie.launchAtMs)!;
  return { time, vehicles, drone, held, sortie, snap, second, ring, mine };
}

describe('patrol state across a control restart (issue 15)', () => {
  it('re-adopts a drone whose mission reads back as sent: flying, nothing sent, the planned turn home re-armed', async () => {
    const { time, drone, held, second, mine } = await flyingThenRestarted();
    expect(mine().status).toBe('flying');
    expect(mine().note).toMatch(/awaiting the read-back/);
    // Read back as ArduCopter returns it: a relative-altitude item in the float frame.
    const readBack = held.map((i) => (i.frame === 6 ? { ...i, frame: 3 } : i));
    const verdict = second.patrols.readopt(drone.droneId, readBack, 'ardupilot');
    expect(verdict).toEqual({ adopted: true, ringId: 'containment', slot: mine().slot });
    expect(mine().status).toBe('flying');
    expect(mine().note).toBeUndefined();
    expect(second.fleet.task(drone.droneId)).toEqual({ kind: 'patrol', ringId: 'containment' });
    expect(second.cmds.issued.filter((i) => i.droneId === drone.droneId)).toEqual([]);
    // The planned turn home is enforced again by time.
    await time.advance(mine().offStationAtMs - time.now + 1);
    expect(second.cmds.actions(drone.droneId)).toEqual(['rtl']);
    expect(mine().status).toBe('returning');
    expect(mine().note).toBe('planned turn home');
  });

  it('battery decisions resume after re-adoption, but not before it', async () => {
    const { drone, held, second, mine } = await flyingThenRestarted();
    report(drone, { batteryPct: 26 });
    second.patrols.observe();
    // Not yet re-adopted: its task is unknown, so it is sent nothing.
    expect(second.cmds.issued.filter((i) => i.droneId === drone.droneId)).toEqual([]);
    second.patrols.readopt(drone.droneId, held, 'ardupilot');
    report(drone, { batteryPct: 26 });
    second.patrols.observe();
    expect(second.cmds.actions(drone.droneId)).toEqual(['rtl']);
    expect(mine().note).toMatch(/^battery 26%/);
  });

  it('does not adopt a drone holding another mission: the sortie ends, the drone is sent nothing', async () => {
    const { drone, held, second, mine } = await flyingThenRestarted();
    const moved = held.map((i, n) => (n === 3 ? { ...i, x: i.x + 5000 } : i));
    const verdict = second.patrols.readopt(drone.droneId, moved, 'ardupilot');
    expect(verdict.adopted).toBe(false);
    expect(mine().status).toBe('cancelled');
    expect(mine().note).toMatch(/holds another mission \(item 3: x /);
    expect(second.cmds.issued.filter((i) => i.droneId === drone.droneId)).toEqual([]);
    expect(second.patrols.readopt('drone-5', held, 'ardupilot')).toEqual({ adopted: false, why: 'no running patrol sortie was flying it when control stopped' });
  });

  it('keeps the schedule: later sorties launch at their planned times; stopping sends nothing to an unadopted drone', async () => {
    const { time, drone, snap, second, ring } = await flyingThenRestarted();
    const planned = snap.rings.find((r) => r.ringId === 'containment')!.sorties;
    expect(ring().sorties.map((s) => [s.droneId, s.slot, s.launchAtMs])).toEqual(planned.map((s) => [s.droneId, s.slot, s.launchAtMs]));
    const next = ring().sorties.find((s) => s.status === 'scheduled')!;
    await time.advance(next.launchAtMs - time.now);
    expect(second.cmds.actions(next.droneId)[0]).toBe('upload:fence');
    second.patrols.stop(['containment'], 'operator');
    expect(second.cmds.issued.filter((i) => i.droneId === drone.droneId)).toEqual([]);
  });
});

describe('patrol state file', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('round-trips the snapshot, 0600, and names the file when it is not one', async () => {
    dir = mkdtempSync(join(tmpdir(), 'rw-patrol-file-'));
    const { snap } = await flyingThenRestarted();
    const file = new PatrolFile(join(dir, 'patrols.json'));
    expect(file.load()).toBeUndefined();
    file.save(snap);
    expect(statSync(file.path).mode & 0o777).toBe(0o600);
    expect(file.load()).toEqual(snap);
    const flying = snap.rings.flatMap((r) => r.sorties).find((s) => s.status === 'flying')!;
    expect(flying.mission?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(readFileSync(file.path, 'utf8')).version).toBe(1);
    writeFileSync(file.path, '{"version":1,"savedAtMs":1,"rin');
    expect(() => file.load()).toThrow(/patrols\.json: not JSON/);
    writeFileSync(file.path, '{"version":2}');
    expect(() => file.load()).toThrow(/not a patrol state file/);
  });
});

describe('Readopter', () => {
  function readopterFor(result: TransferResult, r: Parameters<typeof report>[1]) {
    const time = new ManualTime(T0);
    const v = Object.assign(fakeVehicle('drone-1', site.drones[0]!.dock, time), { mission: { download: async () => result } });
    report(v, r);
    const tasks: string[] = [];
    const notes: string[] = [];
    const calls: string[] = [];
    const fleet = new FleetView(site, asVehicles([v]), time);
    const ro = new Readopter({
      vehicles: new Map([[v.droneId, v]]),
      fleet: { telemetry: (id) => fleet.telemetry(id), freshness: (id) => fleet.freshness(id), setTask: (id, t) => void tasks.push(`${id}:${t.kind}`) },
      patrols: {
        readopt: (id, items) => (calls.push(`readopt:${id}:${items.length}`), { adopted: false, why: 'no running patrol sortie was flying it when control stopped' }),
        landedWhileAway: (id) => void calls.push(`landed:${id}`),
      },
      time,
      notify: (_id, text) => void notes.push(text),
    });
    return { ro, tasks, notes, calls };
  }

  it('lists a drone in the air with no patrol of ours as manual and says so; a landed one ends its sortie', async () => {
    const a = readopterFor({ status: 'success', items: [], resends: 0, legacyRequests: false, allItemsSent: false }, { armed: true, altRelM: 35, mode: 'AUTO' });
    a.ro.start();
    await flush();
    expect(a.calls).toEqual(['readopt:drone-1:0']);
    expect(a.tasks).toEqual(['drone-1:manual']);
    expect(a.notes[0]).toMatch(/^drone-1 found armed \(AUTO, 35 m\) after a control restart and not re-adopted: no running patrol sortie/);
    const b = readopterFor({ status: 'success', items: [], resends: 0, legacyRequests: false, allItemsSent: false }, { armed: false, altRelM: 0 });
    b.ro.start();
    await flush();
    expect(b.calls).toEqual(['landed:drone-1']);
    expect(b.notes).toEqual([]);
  });

  it('a mission that cannot be read back is never guessed at: manual, and said', async () => {
    const a = readopterFor({ status: 'item_timeout', message: 'no MISSION_ITEM_INT', resends: 3, legacyRequests: false, allItemsSent: false }, { armed: true, altRelM: 35, mode: 'AUTO' });
    a.ro.start();
    await flush();
    expect(a.calls).toEqual([]);
    expect(a.tasks).toEqual(['drone-1:manual']);
    expect(a.notes[0]).toMatch(/could not be read back \(no MISSION_ITEM_INT\)/);
  });
});

describe('a restart after the plan is over', () => {
  it('restores no running patrol when every sortie time has passed and none was in the air', async () => {
    const { snap } = await flyingThenRestarted();
    const time = new ManualTime(T0 + 48 * 3600_000);
    const vehicles = site.drones.map((d) => fakeVehicle(d.id, d.dock, time));
    const { patrols, cmds } = control(time, vehicles);
    const idle = { ...snap, rings: snap.rings.map((r) => ({ ...r, sorties: r.sorties.map((s) => ({ ...s, status: s.status === 'scheduled' ? ('scheduled' as const) : ('done' as const) })) })) };
    patrols.restore(idle);
    const ring = patrols.state().find((r) => r.ringId === 'containment')!;
    expect(ring.active).toBe(false);
    expect(ring.sorties.filter((s) => s.status === 'scheduled')).toEqual([]);
    await time.advance(3600_000);
    expect(cmds.issued).toEqual([]);
  });
});
