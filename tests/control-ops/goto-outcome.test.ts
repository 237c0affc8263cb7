import { describe, expect, it } from 'vitest';
import { common, minimal } from 'node-mavlink';
import type { DroneCommands } from '../../control/commands/drone-commands.ts';
import type { Ledger } from '../../control/ledger/ledger.ts';
import type { Vehicle } from '../../control/vehicle/vehicle.ts';
import type { StubVehicle } from '../control/helpers/stub-vehicle.ts';
import { commandsFor, flyingInAuto, useStubPairs } from '../control/helpers/stub-pair.ts';
import { eventually, until } from '../helpers/wait.ts';

/**
 * Issue 14 item 3: "a responder shows done while still flying there". A go-to's record
 * is accepted when the autopilot says yes, carries the distance left and an ETA while
 * the drone flies, and is achieved only when the drone reports itself at the point.
 */
const GUIDED = 4;
const RTL = 6;
const openPair = useStubPairs();

async function flyingPair(): Promise<{ v: Vehicle; stub: StubVehicle; drones: DroneCommands; ledger: Ledger }> {
  const pair = await openPair({ autopilot: minimal.MavAutopilot.ARDUPILOTMEGA });
  pair.stub.state.altAmslM = 52;
  await flyingInAuto(pair, 40);
  return { v: pair.v, stub: pair.stub, ...commandsFor(pair.v) };
}

// ~550 m north-east of the stub's start (30.27, 120.065).
const target = { latDeg: 30.274, lonDeg: 120.069, altitudeRelM: 40, speedMps: 12 };

describe('go-to outcome', () => {
  it('stays accepted with the distance left until the drone is there, then is achieved', async () => {
    const { stub, drones, ledger } = await flyingPair();
    stub.onCommand = (cmd, reply) => {
      if (cmd.command === common.MavCmd.DO_REPOSITION) {
        stub.customMode = GUIDED;
        stub.heartbeat();
      }
      reply(common.MavResult.ACCEPTED);
    };
    const cmd = drones.issue('drone-1', { action: 'goto', ...target }, 'op');
    const underWay = await eventually('progress with distance left', () => ledger.get(cmd.id)?.transitions.find((t) => t.distanceLeftM !== undefined), 5000);
    // The old behaviour: "goto done" as soon as the autopilot acked.
    expect(ledger.get(cmd.id)!.state).not.toBe('succeeded');
    expect(ledger.get(cmd.id)!.outcome).toBe('accepted');
    expect(underWay.distanceLeftM).toBeGreaterThan(400);
    // The drone flies there: halfway, with ground speed, then at the point.
    stub.state.latE7 = Math.round(30.272 * 1e7);
    stub.state.lonE7 = Math.round(120.067 * 1e7);
    stub.state.vxCmps = 800;
    stub.state.vyCmps = 800;
    await until(() => ledger.get(cmd.id)?.transitions.some((t) => t.etaS !== undefined && (t.distanceLeftM ?? 1e9) < 400), 'an ETA halfway', 5000);
    expect(ledger.get(cmd.id)!.state).toBe('in_progress');
    stub.state.latE7 = Math.round(target.latDeg * 1e7);
    stub.state.lonE7 = Math.round(target.lonDeg * 1e7);
    const rec = await cmd.done;
    expect(rec.state).toBe('succeeded');
    expect(rec.outcome).toBe('achieved');
    expect(rec.transitions.at(-1)!.detail).toMatch(/arrived/);
  }, 20_000);

  it('fails, with the reason, when the drone turns home instead of arriving', async () => {
    const { stub, drones } = await flyingPair();
    stub.onCommand = (cmd, reply) => {
      if (cmd.command === common.MavCmd.DO_REPOSITION) stub.customMode = GUIDED;
      reply(common.MavResult.ACCEPTED);
    };
    const cmd = drones.issue('drone-1', { action: 'goto', ...target }, 'op');
    await new Promise((r) => setTimeout(r, 500));
    stub.customMode = RTL; // a failsafe
    stub.heartbeat();
    const rec = await cmd.done;
    expect(rec.state).toBe('failed');
    expect(rec.outcome).toBe('failed');
    expect(rec.transitions.at(-1)!.detail).toMatch(/left the go-to/);
  }, 20_000);

  it('is refused on a disarmed drone, with the reason', async () => {
    const { stub, drones, v } = await flyingPair();
    stub.armed = false;
    stub.state.relAltM = 0;
    stub.heartbeat();
    await until(() => v.telemetryState.armed === false, 'disarmed', 5000, 10);
    const rec = await drones.issue('drone-1', { action: 'goto', ...target }, 'op').done;
    expect(rec.state).toBe('failed');
    expect(rec.transitions.at(-1)!.detail).toMatch(/disarmed/);
  }, 20_000);

  it('fence enable: ArduCopter\'s FAILED before its polygon fence has loaded is retried with the reason on the record', async () => {
    const { stub, drones, ledger } = await flyingPair();
    let n = 0;
    stub.onCommand = (cmd, reply) => {
      if (cmd.command === common.MavCmd.DO_FENCE_ENABLE) {
        n++;
        // ArduCopter (GCS_Fence.cpp): param1 1 enables, param2 the fence types (4: polygons only).
        expect([cmd._param1, cmd._param2]).toEqual([1, 4]);
        return reply(n < 3 ? common.MavResult.FAILED : common.MavResult.ACCEPTED);
      }
      reply(common.MavResult.ACCEPTED);
    };
    const rec = await drones.issue('drone-1', { action: 'fence_enable' }, 'op').done;
    expect(rec.state).toBe('succeeded');
    expect(n).toBe(3);
    expect(ledger.get(rec.id)!.transitions.some((t) => /retrying/.test(t.detail ?? ''))).toBe(true);
  }, 20_000);
});
