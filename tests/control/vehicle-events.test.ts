/**
 * Typed vehicle events (issue 13, item 5): GLOBAL_POSITION_INT and
 * POSITION_TARGET_GLOBAL_INT reach listeners as `position` and `position_target`, each
 * with its own message type, instead of one untyped `message` sorted by instanceof. The
 * GUIDED go-to fallback (SET_POSITION_TARGET_GLOBAL_INT, no ack in MAVLink) confirms on
 * either. No link, no timers of ours beyond the command's own retry.
 */
import { describe, expect, it } from 'vitest';
import { common } from 'node-mavlink';
import type { MavlinkMessage } from '../../mavlink/index.ts';
import { handleGlobalPositionInt } from '../../control/mavlink/handlers/global-position-int.ts';
import { handlePositionTarget } from '../../control/mavlink/handlers/position-target-global-int.ts';
import { FAST_TIMEOUTS, systemClock } from '../../control/timeouts.ts';
import { confirmPositionTarget } from '../../control/vehicle/position-target.ts';
import { Vehicle } from '../../control/vehicle/vehicle.ts';

const to = { latDeg: 30.271, lonDeg: 120.065, altRelM: 30 };
const msg = (data: unknown) => ({ data }) as unknown as MavlinkMessage;

function vehicle() {
  const sent: unknown[] = [];
  const v = new Vehicle({ droneId: 'd', systemId: 1, endpointUrl: 'test://', timeouts: { ...FAST_TIMEOUTS, commandAckMs: 2_000, commandRetries: 1 }, clock: systemClock, send: (m) => sent.push(m) });
  return { v, sent };
}

function position(latE7: number, vxCmps: number): common.GlobalPositionInt {
  const g = new common.GlobalPositionInt();
  Object.assign(g, { timeBootMs: 0, lat: latE7, lon: 1200650000, alt: 42_000, relativeAlt: 30_000, vx: vxCmps, vy: 0, vz: 0, hdg: 0 });
  return g;
}

describe('typed vehicle events', () => {
  it('emits position only while someone listens, with the message as its payload', () => {
    const { v } = vehicle();
    const seen: common.GlobalPositionInt[] = [];
    handleGlobalPositionInt(v, msg(position(302700000, 0)), 1);
    v.on('position', (g) => seen.push(g));
    handleGlobalPositionInt(v, msg(position(302701000, 0)), 2);
    expect(seen.map((g) => g.lat)).toEqual([302701000]);
    expect(v.telemetryState.latE7).toBe(302701000);
  });

  it('confirms a position target from the vehicle’s approach (position events)', async () => {
    const { v, sent } = vehicle();
    const done = confirmPositionTarget(v, to, v.timeouts);
    expect(sent.some((m) => m instanceof common.SetPositionTargetGlobalInt)).toBe(true);
    // Heading north at a steady 8 m/s and closing on the target 110 m north.
    for (let k = 0; k < 4; k++) handleGlobalPositionInt(v, msg(position(302700000 + k * 1000, 800)), k);
    const r = await done;
    expect(r).toMatchObject({ status: 'success', message: 'vehicle seen flying to the target (closing, not slowing)' });
    expect(v.listenerCount('position') + v.listenerCount('position_target')).toBe(0);
  });

  it('confirms a position target the vehicle reports back (position_target event)', async () => {
    const { v } = vehicle();
    const done = confirmPositionTarget(v, to, v.timeouts);
    const t = new common.PositionTargetGlobalInt();
    Object.assign(t, { latInt: 302710000, lonInt: 1200650000, alt: 30 });
    handlePositionTarget(v, msg(t), 0);
    expect(await done).toMatchObject({ status: 'success', message: 'target reported by the vehicle' });
  });
});
