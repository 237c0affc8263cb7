import { describe, expect, it } from 'vitest';
import { loadSite } from '../../site/load.ts';
import { FleetView, TELEMETRY_STALE_MS } from '../../control/ops/fleet-view.ts';
import { deriveTask, type VehicleReport } from '../../control/ops/vehicle-state.ts';
import type { DroneTask } from '../../control/dispatch/choose-responder.ts';
import { ManualTime, asVehicles, fakeVehicle, report } from './fakes.ts';

const site = loadSite('sites/demo.yaml');
const ground: VehicleReport = { armed: false, altRelM: 0, mode: 'LOITER' };
const auto: VehicleReport = { armed: true, altRelM: 40, mode: 'AUTO' };
const rtl: VehicleReport = { armed: true, altRelM: 40, mode: 'RTL' };
const guided: VehicleReport = { armed: true, altRelM: 30, mode: 'GUIDED' };
const armedOnPad: VehicleReport = { armed: true, altRelM: 0.3, mode: 'GUIDED' };
const patrol: DroneTask = { kind: 'patrol', ringId: 'containment' };
const alarm: DroneTask = { kind: 'alarm', alarmId: 'a1', priority: 70 };

describe('task from what the vehicle reports (issue 17.6)', () => {
  it.each<[string, DroneTask, VehicleReport, boolean, DroneTask['kind']]>([
    ['patrol drone flown home by an operator (manual RTL) is returning', patrol, rtl, true, 'returning'],
    ['patrol drone landed and disarmed is docked', patrol, ground, true, 'docked'],
    ['returning drone landed and disarmed is docked', { kind: 'returning' }, ground, true, 'docked'],
    ['a manual take-off or goto is not "docked"', { kind: 'docked' }, guided, false, 'manual'],
    ['a docked drone flown home by a failsafe is returning', { kind: 'docked' }, rtl, false, 'returning'],
    ['a dispatch from the dock is not over before the drone took off', alarm, armedOnPad, false, 'alarm'],
    ['nor is a patrol launch still on the pad', patrol, ground, false, 'patrol'],
    ['a responder that landed after flying is docked', alarm, ground, true, 'docked'],
    ['a patrol drone in AUTO stays on patrol', patrol, auto, true, 'patrol'],
    ['a responder in GUIDED stays on its alarm', alarm, guided, true, 'alarm'],
  ])('%s', (_what, task, r, flown, want) => {
    expect(deriveTask(task, r, flown).kind).toBe(want);
  });
});

describe('fleet view', () => {
  const d = site.drones[0]!;

  it('keeps the time a report was measured: after a link loss it is stale, not current (issue 11.10)', () => {
    const time = new ManualTime(1_000_000);
    const v = fakeVehicle(d.id, d.dock, time);
    const fleet = new FleetView(site, asVehicles([v]), time);
    expect(fleet.telemetry(d.id)!.tsMs).toBe(1_000_000);
    expect(fleet.freshness(d.id)).toEqual({ ageMs: 0, stale: false });
    // The link goes quiet for 20 s and is declared lost.
    time.now += 20_000;
    v.online = false;
    expect(fleet.telemetry(d.id)!.tsMs).toBe(1_000_000);
    expect(fleet.freshness(d.id)).toEqual({ ageMs: 20_000, stale: true });
    // A link still up but silent past the threshold is stale as well.
    v.online = true;
    report(v, {});
    time.now += TELEMETRY_STALE_MS + 1;
    expect(fleet.freshness(d.id)!.stale).toBe(true);
  });

  it('follows a manual flight: airborne after a take-off is "manual", back on the ground is "docked"', () => {
    const time = new ManualTime(0);
    const v = fakeVehicle(d.id, d.dock, time);
    const fleet = new FleetView(site, asVehicles([v]), time);
    expect(fleet.task(d.id).kind).toBe('docked');
    report(v, { armed: true, altRelM: 25, mode: 'GUIDED' });
    expect(fleet.task(d.id).kind).toBe('manual');
    report(v, { mode: 'RTL' });
    expect(fleet.task(d.id).kind).toBe('returning');
    report(v, { armed: false, altRelM: 0, mode: 'LAND' });
    expect(fleet.task(d.id).kind).toBe('docked');
  });

  it('does not end a task on a stale report', () => {
    const time = new ManualTime(0);
    const v = fakeVehicle(d.id, d.dock, time);
    const fleet = new FleetView(site, asVehicles([v]), time);
    report(v, { armed: true, altRelM: 40, mode: 'AUTO' });
    fleet.setTask(d.id, patrol);
    report(v, { armed: false, altRelM: 0 });
    v.online = false;
    expect(fleet.task(d.id)).toEqual(patrol);
  });
});
