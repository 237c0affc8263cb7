import { describe, expect, it } from 'vitest';
import { loadSite } from '../../site/load.ts';
import { LocalFrame } from '../../control/geo/local-frame.ts';
import { AlarmBook } from '../../control/alarms/alarm-book.ts';
import type { Alarm } from '../../control/alarms/alarm.ts';
import { FleetView } from '../../control/ops/fleet-view.ts';
import { PatrolService } from '../../control/ops/patrol-service.ts';
import { VehicleAlarms } from '../../control/ops/vehicle-alarms.ts';
import { FakeCommands, ManualTime, asVehicles, fakeVehicle, report } from './fakes.ts';

/**
 * Issue 14 item 5: "a drone's battery sagged to 8 % during a patrol and it landed in a
 * field: no alarm, the patrol still listed it as flying". The drone's own reports become
 * alarms with the drone as the source, and the patrol updates at once: sortie ended, the
 * slot's relief launched now.
 */
const site = loadSite('sites/demo.yaml');
const frame = new LocalFrame(site.core.shape.type === 'circle' ? site.core.shape.center : site.core.shape.points[0]!);

async function flyingSortie() {
  const time = new ManualTime(Date.UTC(2026, 10, 30, 4, 0, 0));
  const vehicles = site.drones.map((d) => fakeVehicle(d.id, d.dock, time));
  const fleet = new FleetView(site, asVehicles(vehicles), time);
  const cmds = new FakeCommands();
  const alarms = new AlarmBook(site, time);
  const seen: Alarm[] = [];
  const va: VehicleAlarms = new VehicleAlarms({ site, fleet, vehicles: asVehicles(vehicles), alarms, onAlarm: (a) => seen.push(a), onRaised: (d, type, text) => patrols.vehicleAlarm(d, type, text) });
  const patrols = new PatrolService({
    site,
    fleet,
    drones: cmds.asCommands(),
    frame,
    time,
    vehicles: asVehicles(vehicles),
    onSortieAborted: (droneId, why) => va.raise(droneId, 'mission_aborted', 'high', why),
  });
  va.start();
  patrols.start(['containment']);
  const ring = () => patrols.state().find((r) => r.ringId === 'containment')!;
  const first = [...ring().sorties].sort((a, b) => a.launchAtMs - b.launchAtMs)[0]!;
  await time.advance(Math.max(0, first.launchAtMs - time.now));
  const drone = vehicles.find((v) => v.droneId === first.droneId)!;
  const dock = site.drones.find((d) => d.id === first.droneId)!.dock;
  const field = { latDeg: dock.latDeg + 0.004, lonDeg: dock.lonDeg };
  report(drone, { armed: true, altRelM: 40, mode: 'AUTO', at: field, batteryPct: 60 });
  patrols.observe();
  va.observe();
  const sortie = () => ring().sorties.find((s) => s.droneId === first.droneId && s.launchAtMs === first.launchAtMs)!;
  expect(sortie().status).toBe('flying');
  const relief = () => ring().sorties.filter((s) => s.slot === first.slot && s !== sortie()).sort((a, b) => a.launchAtMs - b.launchAtMs)[0]!;
  return { time, drone, alarms, seen, va, patrols, sortie, relief, field, fleet };
}

describe('vehicle alarms update the patrol at once', () => {
  it('battery at its reserve in the air, then a landing in a field: two alarms, the sortie failed, the relief launched now', async () => {
    const { drone, alarms, va, patrols, sortie, relief, time } = await flyingSortie();
    const reliefWas = relief().launchAtMs;
    report(drone, { batteryPct: 8 });
    va.observe();
    const low = alarms.list('open').find((a) => a.source.kind === 'vehicle' && a.source.type === 'low_battery')!;
    expect(low).toMatchObject({ severity: 'critical', source: { droneId: drone.droneId } });
    expect(low.responder).toBeUndefined();
    // The autopilot lands it where it is (its battery failsafe): disarmed far from the dock.
    report(drone, { armed: false, altRelM: 0, mode: 'LAND', batteryPct: 7 });
    va.observe();
    patrols.observe();
    const landed = alarms.list('open').find((a) => a.source.kind === 'vehicle' && a.source.type === 'unplanned_landing')!;
    expect(landed.source.kind === 'vehicle' && landed.source.text).toMatch(/landed and disarmed \d+ m from its dock/);
    expect(sortie().status).not.toBe('flying');
    expect(sortie().status).toBe('failed');
    expect(relief().launchAtMs).toBeLessThan(reliefWas);
    expect(relief().launchAtMs).toBeLessThanOrEqual(time.now);
    // A repeat joins the open alarm instead of piling up.
    va.raise(drone.droneId, 'low_battery', 'high', 'Battery 1 is low');
    expect(alarms.list('open').filter((a) => a.source.kind === 'vehicle' && a.source.type === 'low_battery')).toHaveLength(1);
  });

  it('a failsafe text or a lost link raises an alarm and launches the relief; an early RTL is a mission aborted', async () => {
    const { drone, alarms, sortie, relief, patrols } = await flyingSortie();
    const reliefWas = relief().launchAtMs;
    drone.emit('statustext', { tsMs: 0, severity: 2, text: 'Radio Failsafe - Continuing Auto Mode' });
    expect(alarms.list('open').some((a) => a.source.kind === 'vehicle' && a.source.type === 'failsafe')).toBe(true);
    expect(sortie().note).toMatch(/failsafe/);
    expect(relief().launchAtMs).toBeLessThan(reliefWas);
    drone.emit('link_lost');
    expect(alarms.list('open').some((a) => a.source.kind === 'vehicle' && a.source.type === 'link_lost')).toBe(true);
    report(drone, { mode: 'RTL' });
    patrols.observe();
  });

  it('ArduCopter\'s own breach text is a fence-breach alarm; its clearance is not', async () => {
    const { drone, alarms, sortie } = await flyingSortie();
    const breaches = () => alarms.list('open').filter((a) => a.source.kind === 'vehicle' && a.source.type === 'fence_breach');
    // ArduCopter/fence.cpp: print_fence_message("breached", ...) → "<names> fence breached".
    drone.emit('statustext', { tsMs: 0, severity: 5, text: 'Fence breach cleared' });
    expect(breaches()).toHaveLength(0);
    drone.emit('statustext', { tsMs: 0, severity: 5, text: 'Polygon fence breached' });
    expect(breaches()).toHaveLength(1);
    expect(breaches()[0]!.severity).toBe('critical');
    expect(sortie().status).toBe('returning');
  });

  it('an RTL before the planned turn home raises a mission-aborted alarm', async () => {
    const { drone, alarms, patrols, sortie } = await flyingSortie();
    report(drone, { mode: 'RTL' });
    patrols.observe();
    expect(sortie().status).toBe('returning');
    const aborted = alarms.list('open').find((a) => a.source.kind === 'vehicle' && a.source.type === 'mission_aborted')!;
    expect(aborted.source.kind === 'vehicle' && aborted.source.text).toMatch(/mission aborted: RTL reported by the drone/);
  });
});
