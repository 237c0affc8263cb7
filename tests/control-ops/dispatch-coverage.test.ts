import { describe, expect, it } from 'vitest';
import { loadSite } from '../../site/load.ts';
import { LocalFrame } from '../../control/geo/local-frame.ts';
import { AlarmBook } from '../../control/alarms/alarm-book.ts';
import { FleetView } from '../../control/ops/fleet-view.ts';
import { DispatchRefused, DispatchService } from '../../control/ops/dispatch-service.ts';
import { PatrolService } from '../../control/ops/patrol-service.ts';
import { AchievedSpeed } from '../../control/ops/achieved-speed.ts';
import { FakeCommands, ManualTime, asVehicles, fakeVehicle, flush, report } from './fakes.ts';

/**
 * Issue 14 item 4: "two alarms at one checkpoint pulled both containment-ring drones out
 * of the ring; a manual dispatch took the responder of an open crowd alarm while 4
 * drones sat docked, and the old alarm still names it as responder".
 */
const site = loadSite('sites/demo.yaml');
const frame = new LocalFrame(site.core.shape.type === 'circle' ? site.core.shape.center : site.core.shape.points[0]!);
const cp = site.checkpoints.find((c) => c.id === 'cp-3')!;

async function setup() {
  const time = new ManualTime(Date.UTC(2026, 10, 30, 4, 0, 0));
  const vehicles = site.drones.map((d) => fakeVehicle(d.id, d.dock, time));
  const v = (id: string) => vehicles.find((x) => x.droneId === id)!;
  const fleet = new FleetView(site, asVehicles(vehicles), time);
  const alarms = new AlarmBook(site, time);
  const cmds = new FakeCommands();
  cmds.answer = (i) => {
    if (i.req.action === 'takeoff') report(v(i.droneId), { armed: true, altRelM: 30, mode: 'GUIDED' });
    return { state: 'succeeded' };
  };
  const patrols = new PatrolService({ site, fleet, drones: cmds.asCommands(), frame, time, vehicles: asVehicles(vehicles) });
  const dispatch = new DispatchService({
    site,
    alarms,
    fleet,
    drones: cmds.asCommands(),
    frame,
    time,
    speeds: new AchievedSpeed(),
    warnNearbySpeakers: false,
    patrolFlying: (d, r) => patrols.flyingPatrol(d, r),
    ringShortfall: (d) => patrols.ringShortfall(d),
    onPatrolDroneTaken: (d, why) => void patrols.droneTaken(d, why),
  });
  // The containment patrol flies: its first sorties are up, every one of them right over cp-3,
  // where an ETA alone would always pick them.
  patrols.start(['containment']);
  const ring = () => patrols.state().find((r) => r.ringId === 'containment')!;
  const slots = ring().plan!.slots;
  const first = [...ring().sorties].sort((a, b) => a.launchAtMs - b.launchAtMs).slice(0, slots);
  for (const s of first) {
    await time.advance(Math.max(0, s.launchAtMs - time.now));
    report(v(s.droneId), { armed: true, altRelM: 40, mode: 'AUTO', at: cp.position });
    patrols.observe();
  }
  const patrolDrones = first.map((s) => s.droneId);
  expect(patrolDrones.every((d) => patrols.flyingPatrol(d, 'containment'))).toBe(true);
  return { time, v, fleet, alarms, cmds, patrols, dispatch, patrolDrones };
}

/** No drone is named by two open alarms, and every named responder's task is that alarm. */
function truthful(alarms: AlarmBook, fleet: FleetView): void {
  const named = alarms.list('open').filter((a) => a.responder).map((a) => [a.responder!.droneId, a.id] as const);
  expect(new Set(named.map(([d]) => d)).size).toBe(named.length);
  for (const [d, id] of named) expect(fleet.task(d)).toMatchObject({ kind: 'alarm', alarmId: id });
}

describe('dispatch that keeps the rings covered', () => {
  it('sends docked drones that make the target, not the patrol drones overhead, to two alarms at one checkpoint', async () => {
    const { alarms, dispatch, patrolDrones, fleet } = await setup();
    const a = alarms.raiseManual(cp.position, 'operator', 'fight', 'high');
    const b = alarms.raiseManual(cp.position, 'operator', 'second fight', 'high');
    await dispatch.dispatch(a.id, 'operator');
    await dispatch.dispatch(b.id, 'operator');
    await flush();
    for (const x of [a, b]) {
      expect(patrolDrones).not.toContain(x.responder!.droneId);
      expect(fleet.task(x.responder!.droneId).kind).toBe('alarm');
    }
    for (const d of patrolDrones) expect(fleet.task(d).kind).toBe('patrol');
    truthful(alarms, fleet);
  });

  it('launches the slot\'s relief at once when an operator confirms taking a patrol drone (ring below its minimum)', async () => {
    const { alarms, dispatch, patrols, patrolDrones, time, cmds } = await setup();
    const taken = patrolDrones[0]!;
    const ring = () => patrols.state().find((r) => r.ringId === 'containment')!;
    const mine = ring().sorties.find((s) => s.droneId === taken && s.status === 'flying')!;
    // The slot's next sortie, by its drone (moving it changes its times).
    const next = ring().sorties.filter((s) => s.slot === mine.slot && s.launchAtMs > mine.launchAtMs).sort((a, b) => a.launchAtMs - b.launchAtMs)[0]!;
    const relief = () => ring().sorties.filter((s) => s.slot === mine.slot && s.droneId === next.droneId).sort((a, b) => a.launchAtMs - b.launchAtMs)[0]!;
    const was = relief().launchAtMs;
    expect(was).toBeGreaterThan(time.now + 60_000);
    const a = alarms.raiseManual(cp.position, 'operator', undefined, 'high');
    // Unconfirmed: refused, and the patrol is untouched.
    await expect(dispatch.dispatch(a.id, 'operator', { droneId: taken })).rejects.toBeInstanceOf(DispatchRefused);
    expect(relief().launchAtMs).toBe(was);
    await dispatch.dispatch(a.id, 'chief', { droneId: taken, confirm: true });
    expect(alarms.get(a.id)!.responder!.droneId).toBe(taken);
    // The relief goes now, not when the taken drone's sortie would have ended.
    expect(relief().launchAtMs).toBeLessThanOrEqual(time.now);
    expect(relief().note).toMatch(new RegExp(`launched now: ${taken} taken for alarm ${a.id} with chief's confirmation`));
    await time.advance(1000);
    await flush();
    expect(cmds.actions(relief().droneId).slice(0, 2)).toEqual(['upload:fence', 'fence_enable']);
    expect(['launching', 'flying']).toContain(relief().status);
  });

  it('never drops a ring below its patrol minimum without the operator confirming it', async () => {
    const { alarms, dispatch, patrolDrones, v, fleet } = await setup();
    // Every docked drone is too low to go: only the patrol drones could.
    for (const d of site.drones) if (!patrolDrones.includes(d.id)) report(v(d.id), { batteryPct: 5 });
    const choice = dispatch.choose(cp.position, 70);
    expect(choice).toMatchObject({ ok: false, code: 'needs_confirmation' });
    if (!choice.ok) expect(choice.message).toMatch(/leaves the containment patrol with \d+ of its \d+ drones/);
    const a = alarms.raiseManual(cp.position, 'operator', undefined, 'high');
    await expect(dispatch.dispatch(a.id, 'operator')).rejects.toBeInstanceOf(DispatchRefused);
    expect(alarms.get(a.id)!.responder).toBeUndefined();
    expect(alarms.get(a.id)!.noResponderReason).toMatch(/confirm/);
    expect(alarms.get(a.id)!.noResponder).toEqual({ code: 'needs_confirmation' });
    for (const d of patrolDrones) expect(fleet.task(d).kind).toBe('patrol');
    // Confirmed: one patrol drone goes, and the alarm's history says who agreed.
    await dispatch.dispatch(a.id, 'chief', { confirm: true });
    expect(patrolDrones).toContain(alarms.get(a.id)!.responder!.droneId);
    expect(alarms.get(a.id)!.history!.some((h) => /operator's confirmation/.test(h.what) && h.by === 'chief')).toBe(true);
  });

  it('keeps an open alarm\'s responder unless an operator reassigns it, and then both alarms say so', async () => {
    const { alarms, dispatch, fleet } = await setup();
    const crowd = alarms.raiseManual(cp.position, 'operator', 'crowd', 'medium');
    await dispatch.dispatch(crowd.id, 'control');
    const x = crowd.responder!.droneId;
    // A more urgent manual dispatch while docked drones are free: it takes one of them, not x.
    const urgent = alarms.raiseManual(cp.position, 'operator', 'urgent', 'critical');
    await dispatch.dispatch(urgent.id, 'operator');
    await flush();
    expect(urgent.responder!.droneId).not.toBe(x);
    expect(alarms.get(crowd.id)!.responder!.droneId).toBe(x);
    truthful(alarms, fleet);
    // The operator reassigns x to the urgent alarm: the crowd alarm no longer names it, and says why.
    const before = urgent.responder!.droneId;
    await dispatch.reassign(urgent.id, 'chief', { droneId: x });
    await flush();
    expect(alarms.get(urgent.id)!.responder!.droneId).toBe(x);
    expect(alarms.get(urgent.id)!.previousResponders!.map((r) => r.droneId)).toContain(before);
    const c = alarms.get(crowd.id)!;
    expect(c.previousResponders!.map((r) => r.droneId)).toContain(x);
    expect(c.history!.some((h) => h.what.includes(`responder ${x} taken by chief for alarm ${urgent.id}`))).toBe(true);
    // The crowd alarm looked for another drone at once (a docked one is free).
    expect(c.responder?.droneId).toBeDefined();
    expect(c.responder!.droneId).not.toBe(x);
    truthful(alarms, fleet);
  });
});
