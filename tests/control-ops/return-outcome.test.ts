import { describe, expect, it } from 'vitest';
import { common } from 'node-mavlink';
import { distanceM } from '../../site/geometry.ts';
import { fencePolygon } from '../../control/vehicle/plan-item.ts';
import { useOnlineRig, waitFor } from '../control/helpers/rig.ts';
import { offsetDeg } from '../helpers/sim-drone.ts';
import { eventually } from '../helpers/wait.ts';

/**
 * Issue 14 item 3 leftovers against the simulated ArduCopter (10× time): RTL and land
 * records stay `accepted` with metres to go until the drone is landed and disarmed (RTL:
 * at home), fail when an operator takes the drone into GUIDED, and a go-to the vehicle
 * refuses because its enabled fence excludes the target says so.
 */
const startOnlineRig = useOnlineRig();

async function airborne(altM = 20) {
  const { rig, v, sim } = await startOnlineRig({ sim: { speed: 10 } });
  expect((await v.action.setMode('GUIDED')).status).toBe('success');
  expect((await v.action.arm()).status).toBe('success');
  expect((await v.action.takeoff(altM)).status).toBe('success');
  return { v, sim, drones: rig.svc.drones, ledger: rig.svc.ledger, dock: rig.drones[0]!.dock };
}

describe('RTL and land outcomes (simulated ArduCopter)', () => {
  it('RTL: accepted with metres home and an ETA on the way, achieved only landed and disarmed at home', async () => {
    const { v, sim, drones, ledger, dock } = await airborne();
    const away = offsetDeg(dock, 300, 150);
    expect((await v.action.goto({ ...away, altRelM: 20 })).status).toBe('success');
    const cmd = drones.issue('drone-1', { action: 'rtl' }, 'op');
    const underWay = await eventually('metres home on the record', () => ledger.get(cmd.id)?.transitions.find((t) => (t.distanceLeftM ?? 0) > 100), 15_000);
    // Before: "rtl succeeded" at the ack, 330 m from home and 20 m up.
    expect(ledger.get(cmd.id)!.outcome).toBe('accepted');
    expect(underWay.etaS).toBeGreaterThan(10);
    expect(sim.state().armed).toBe(true);
    const rec = await cmd.done;
    expect(rec).toMatchObject({ state: 'succeeded', outcome: 'achieved' });
    expect(rec.transitions.at(-1)!.detail).toMatch(/landed and disarmed at home/);
    // The simulated vehicle agrees: on the ground, disarmed, at its dock.
    const s = sim.state();
    expect(s.armed).toBe(false);
    expect(s.altRelM).toBeLessThan(2);
    expect(distanceM(s, dock)).toBeLessThan(10);
  }, 90_000);

  it('RTL fails when the operator switches the drone to GUIDED on the way; land is achieved on the ground', async () => {
    const { v, sim, drones, dock } = await airborne();
    expect((await v.action.goto({ ...offsetDeg(dock, 250, 0), altRelM: 20 })).status).toBe('success');
    const rtl = drones.issue('drone-1', { action: 'rtl' }, 'op');
    await waitFor(() => v.telemetry()?.mode === 'RTL', 5000, 'RTL reported');
    // Not through the action API (which would replace the RTL): another ground station's
    // switch, sent on the link as a raw DO_SET_MODE (ArduCopter GUIDED = 4).
    expect((await v.commands.send({ command: common.MavCmd.DO_SET_MODE, params: [1, 4, 0, 0, 0, 0, 0] })).status).toBe('success');
    const rec = await rtl.done;
    expect(rec.state).toBe('failed');
    expect(rec.transitions.at(-1)!.detail).toMatch(/left the RTL \(mode changed\)/);
    const land = await drones.issue('drone-1', { action: 'land' }, 'op').done;
    expect(land).toMatchObject({ state: 'succeeded', outcome: 'achieved' });
    expect(sim.state().armed).toBe(false);
  }, 90_000);
});

describe('go-to refused by the vehicle\'s fence (simulated ArduCopter)', () => {
  it('a target outside the enabled fence fails with the fence named as the likely cause', async () => {
    const { v, sim, dock } = await airborne();
    const sq = [offsetDeg(dock, -200, -200), offsetDeg(dock, 200, -200), offsetDeg(dock, 200, 200), offsetDeg(dock, -200, 200)];
    expect((await v.geofence.upload(fencePolygon(sq, true))).status).toBe('success');
    expect((await v.action.enableFence()).status).toBe('success');
    const r = await v.action.goto({ ...offsetDeg(dock, 400, 0), altRelM: 20 });
    expect(r.status).toBe('failed');
    expect(r.message).toMatch(/^target outside the vehicle's fence \(outside its inclusion zone\)/);
    // The vehicle kept flying where it was told before (GUIDED, inside the fence).
    expect(sim.state().mode).toBe('GUIDED');
    expect(distanceM(sim.state(), dock)).toBeLessThan(200);
    expect((await v.action.goto({ ...offsetDeg(dock, 100, 0), altRelM: 20 })).status).toBe('success');
  }, 90_000);
});
