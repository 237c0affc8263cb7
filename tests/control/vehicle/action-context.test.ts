import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { common } from 'node-mavlink';
import { ActionApi } from '../../../control/vehicle/action.ts';
import type { CommandSpec } from '../../../control/vehicle/command-sender.ts';
import type { CommandResult } from '../../../control/vehicle/result.ts';
import type { TelemetryState } from '../../../control/vehicle/telemetry-state.ts';
import type { ActionContext } from '../../../control/vehicle/vehicle-context.ts';
import type { VehicleEvents } from '../../../control/vehicle/vehicle.ts';
import { FAST_TIMEOUTS, systemClock, type Clock } from '../../../control/timeouts.ts';

/**
 * Issue 13 item 5: the action capability takes the small ActionContext, not the whole
 * Vehicle, so it runs against a fake holding only that: no link, no router, no sender.
 */
function fakeContext(state: TelemetryState, answer: (spec: CommandSpec) => CommandResult = () => ({ status: 'success', attempts: 1 })) {
  const sent: CommandSpec[] = [];
  const ctx = Object.assign(new EventEmitter<VehicleEvents>(), {
    send: () => undefined,
    systemId: 1,
    componentId: 1,
    telemetryState: state,
    commands: { send: (spec: CommandSpec) => (sent.push(spec), Promise.resolve(answer(spec))) },
    online: true,
    timeouts: FAST_TIMEOUTS,
    autopilot: 'ardupilot' as const,
    clock: systemClock as Clock,
    lastHeartbeatMs: undefined,
    mission: { verified: false },
    geofence: { verified: false, items: [] },
  }) satisfies ActionContext;
  return { ctx, sent, action: new ActionApi(ctx, FAST_TIMEOUTS) };
}

const aloft = (): TelemetryState => ({ armed: true, latE7: 302700000, lonE7: 1200650000, relAltMm: 10_000 });

describe('ActionApi over an ActionContext', () => {
  it('starts a mission only once the plan was verified by read-back', async () => {
    const { ctx, sent, action } = fakeContext(aloft());
    expect(await action.startMission()).toMatchObject({ status: 'denied', message: expect.stringMatching(/not verified/) });
    expect(sent).toEqual([]);
    ctx.mission.verified = true;
    expect((await action.startMission()).status).toBe('success');
    expect(sent.map((s) => s.command)).toEqual([common.MavCmd.MISSION_START]);
  });

  it('refuses a go-to on the ground without sending anything', async () => {
    const { sent, action } = fakeContext({ armed: false, relAltMm: 0 });
    expect(await action.goto({ latDeg: 30.27, lonDeg: 120.065, altRelM: 20 })).toMatchObject({ status: 'denied', message: expect.stringMatching(/disarmed/) });
    expect(sent).toEqual([]);
  });

  it('answers link_lost without a command while the vehicle is not heard', async () => {
    const { ctx, sent, action } = fakeContext(aloft());
    ctx.online = false;
    expect((await action.disarm()).status).toBe('link_lost');
    expect(sent).toEqual([]);
  });

  it('lands: accepted is not landed; success once the vehicle reports itself down and disarmed', async () => {
    const state = aloft();
    const { ctx, action } = fakeContext(state);
    let settled = false;
    const landing = action.land().then((r) => ((settled = true), r));
    await new Promise((r) => setTimeout(r, 250));
    expect(settled).toBe(false);
    Object.assign(state, { armed: false, relAltMm: 100 });
    expect(await landing).toMatchObject({ status: 'success', message: expect.stringMatching(/landed and disarmed/) });
    expect(ctx.listenerCount('link_lost')).toBe(0);
  });

  it('judges a landing’s budget on the context’s clock, not the wall’s', async () => {
    const { ctx, action } = fakeContext(aloft());
    let nowMs = 1_000_000;
    ctx.clock = { nowMs: () => nowMs };
    const landing = action.land();
    await new Promise((r) => setTimeout(r, 150));
    // Ten minutes pass on the vehicle's clock in an instant of wall time: 10 m of descent takes well under that.
    nowMs += 600_000;
    expect(await landing).toMatchObject({ status: 'timeout', message: expect.stringMatching(/not landed and disarmed after 600 s/) });
  });

  it('an RTL under way ends as link_lost when the vehicle emits link_lost', async () => {
    const { ctx, action } = fakeContext({ ...aloft(), homeLatE7: 302700000, homeLonE7: 1200650000, homeAmslMm: 12_000 });
    const rtl = action.rtl();
    await new Promise((r) => setTimeout(r, 50));
    ctx.emit('link_lost');
    expect((await rtl).status).toBe('link_lost');
  });
});
