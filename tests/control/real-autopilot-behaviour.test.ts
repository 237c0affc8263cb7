import { describe, expect, it } from 'vitest';
import { common, minimal } from 'node-mavlink';
import { DroneCommands } from '../../control/commands/drone-commands.ts';
import { Ledger } from '../../control/ledger/ledger.ts';
import { TelemetryGateway } from '../../control/gateway/telemetry-gateway.ts';
import { FAST_TIMEOUTS, systemClock, type ControlTimeouts } from '../../control/timeouts.ts';
import type { Vehicle } from '../../control/vehicle/vehicle.ts';
import type { StubVehicle } from './helpers/stub-vehicle.ts';
import { useStubPairs } from './helpers/stub-pair.ts';
import { classifyArmRefusal } from '../../control/vehicle/arming-readiness.ts';
import { explainsRefusal } from '../../control/vehicle/refusal-reason.ts';
import { until as waitUntil } from '../helpers/wait.ts';

/**
 * The vehicle layer against autopilots scripted message by message as ArduCopter 4.7-dev
 * SITL and PX4 SITL (March 2026) behaved (issues 11 and 17): ack before reason text,
 * chunked STATUSTEXT, the cold-boot arming sequence, AMSL altitudes on PX4, GUIDED speed
 * reset. No simulator timing is involved.
 */

const R = common.MavResult;
const C = common.MavCmd;
const SEV = common.MavSeverity;
const GUIDED = 4;
const AUTO = 3;
const LOITER = 5;
/** PX4 custom_mode for AUTO.MISSION (main 4, sub 4) and AUTO.LOITER (main 4, sub 3). */
const PX4_MISSION = ((4 << 24) | (4 << 16)) >>> 0;
const PX4_HOLD = ((3 << 24) | (4 << 16)) >>> 0;

const openPair = useStubPairs();
const pair = (autopilot: 'ardupilot' | 'px4', over: Partial<ControlTimeouts> = {}) =>
  openPair({ autopilot: autopilot === 'px4' ? minimal.MavAutopilot.PX4 : minimal.MavAutopilot.ARDUPILOTMEGA, timeouts: { ...FAST_TIMEOUTS, ...over } });

/** Airborne at `relAltM`, armed, in `customMode`, streaming telemetry. */
async function flying(v: Vehicle, stub: StubVehicle, customMode: number, relAltM = 40): Promise<void> {
  stub.customMode = customMode;
  stub.armed = true;
  stub.state.relAltM = relAltM;
  stub.state.altAmslM = 12 + relAltM;
  stub.heartbeat();
  stub.streamTelemetry();
  await until(() => v.telemetryState.armed === true && v.telemetryState.relAltMm === relAltM * 1000 && v.telemetryState.customMode === customMode);
}

function until(pred: () => boolean, timeoutMs = 5000): Promise<void> {
  return waitUntil(pred, 'the condition', timeoutMs, 10);
}

const commandsOf = (stub: StubVehicle) =>
  stub.received.filter((m): m is common.CommandLong | common.CommandInt => m instanceof common.CommandLong || m instanceof common.CommandInt);

describe('refusal reasons (issues 11.3, 17.4, 17.5)', () => {
  it('ArduPilot: the text that follows the ack, never an older one', async () => {
    const { v, stub } = await pair('ardupilot');
    // The upload warning from before the command must not become the arm failure's reason.
    stub.text(SEV.WARNING, 'got MISSION_ITEM; GCS should send MISSION_ITEM_INT');
    await until(() => v.statusTexts.length === 1);
    stub.onCommand = (cmd, reply) => {
      if (cmd.command !== C.COMPONENT_ARM_DISARM) return;
      reply(R.FAILED);
      setTimeout(() => stub.text(SEV.CRITICAL, 'Arm: Throttle too high'), 5);
    };
    const r = await v.action.arm();
    expect(r).toMatchObject({ status: 'failed', message: 'Arm: Throttle too high' });
  });

  it('prefers a text naming the command over an unrelated one that came first', async () => {
    const { v, stub } = await pair('ardupilot');
    stub.onCommand = (cmd, reply) => {
      if (cmd.command !== C.NAV_TAKEOFF) return;
      reply(R.FAILED);
      stub.text(SEV.WARNING, 'EKF3 IMU0 is using GPS');
      setTimeout(() => stub.text(SEV.WARNING, 'Takeoff: vehicle not armed'), 30);
    };
    const r = await v.action.takeoff(20);
    expect(r.message).toBe('Takeoff: vehicle not armed');
  });

  it('PX4: an INFO text that follows an accepted arm is not the reason a MISSION_START was denied', async () => {
    const { v, stub } = await pair('px4');
    await flying(v, stub, PX4_HOLD, 0.2);
    stub.onCommand = (cmd, reply) => {
      if (cmd.command !== C.MISSION_START) return;
      reply(R.DENIED);
      // Seen on PX4 SITL: the arm's INFO text lands just after MISSION_START went out.
      stub.text(SEV.INFO, 'Armed by external command');
      setTimeout(() => stub.text(SEV.CRITICAL, 'Mission start denied'), 20);
    };
    (v.mission as { verified: boolean }).verified = true;
    const r = await v.action.startMission();
    expect(r).toMatchObject({ status: 'denied', message: 'Mission start denied' });
  });

  it('PX4: TEMPORARILY_REJECTED at once, the reason later and in two chunks, reassembled into one text', async () => {
    const { v, stub } = await pair('px4', { armReadyBudgetMs: 0 });
    const events: string[] = [];
    v.on('statustext', (s) => events.push(s.text));
    stub.onCommand = (cmd, reply) => {
      if (cmd.command !== C.COMPONENT_ARM_DISARM) return;
      reply(R.TEMPORARILY_REJECTED);
      // PX4 sends it ~880 ms later; scaled to the fast reason window (400 ms).
      setTimeout(() => stub.chunkedText(SEV.CRITICAL, 'Arming denied: Resolve system health failures first', 7), 250);
    };
    const r = await v.action.arm();
    expect(r.status).toBe('temporarily_rejected');
    expect(r.message).toMatch(/Arming denied: Resolve system health failures first$/);
    expect(events).toEqual(['Arming denied: Resolve system health failures first']);
  });

  it('PX4 numbers texts from 0: a long first text with id 0 is still one text; short id-0 texts pass at once', async () => {
    const { v, stub } = await pair('px4');
    const events: string[] = [];
    v.on('statustext', (s) => events.push(s.text));
    stub.chunkedText(SEV.CRITICAL, 'Arming denied: Resolve system health failures first', 0);
    stub.text(SEV.INFO, 'Armed by external command\t');
    await until(() => events.length === 2);
    expect(events).toEqual(['Arming denied: Resolve system health failures first', 'Armed by external command']);
    // Exactly 50 characters with id 0 (an ArduPilot text may be): whole after the chunk timeout.
    stub.text(SEV.WARNING, 'y'.repeat(50));
    await until(() => events.length === 3, 2000);
    expect(events[2]).toBe('y'.repeat(50));
  });

  it('delivers a chunked text whose last chunk was lost, once, after the chunk timeout', async () => {
    const { v, stub } = await pair('px4');
    const events: string[] = [];
    v.on('statustext', (s) => events.push(s.text));
    stub.text(SEV.WARNING, 'x'.repeat(50), 9, 0);
    await new Promise((r) => setTimeout(r, FAST_TIMEOUTS.statusTextChunkMs + 200));
    expect(events).toEqual(['x'.repeat(50)]);
  });
});

describe('arm refusals as the real autopilots word them', () => {
  // Texts seen on ArduCopter 4.7-dev SITL and PX4 SITL (March 2026) on this machine.
  it.each([
    ['failed', 'Arm: Accels inconsistent', 'transient'],
    ['failed', 'Arm: Gyros inconsistent', 'transient'],
    ['failed', 'Arm: AHRS: waiting for home', 'transient'],
    ['failed', 'Arm: Need Position Estimate', 'transient'],
    ['failed', 'PreArm: System not initialised', 'transient'],
    ['failed', 'PreArm: Fence requires position', 'transient'],
    ['temporarily_rejected', 'Preflight Fail: heading estimate not stable', 'transient'],
    ['temporarily_rejected', 'Arming denied: Resolve system health failures first', 'transient'],
    ['temporarily_rejected', undefined, 'transient'],
    ['failed', 'Arm: Mode not armable', 'permanent'],
    ['failed', 'PreArm: Battery 1 below minimum arming capacity', 'permanent'],
    ['temporarily_rejected', 'Preflight Fail: Battery unhealthy', 'permanent'],
    ['failed', 'PreArm: vehicle outside fence', 'permanent'],
    ['failed', 'Arm: Throttle too high', 'permanent'],
    ['failed', undefined, 'permanent'],
    ['timeout', 'no COMMAND_ACK after 4 sends', 'permanent'],
  ] as const)('%s "%s" is %s', (status, message, kind) => {
    expect(classifyArmRefusal({ status, message })).toBe(kind);
  });

  it('matches reasons to the command they explain', () => {
    expect(explainsRefusal(C.COMPONENT_ARM_DISARM, 'Arming denied: Resolve system health failures first')).toBe(true);
    expect(explainsRefusal(C.COMPONENT_ARM_DISARM, 'got MISSION_ITEM; GCS should send MISSION_ITEM_INT')).toBe(false);
    expect(explainsRefusal(C.DO_SET_MODE, 'Switching to Mission is currently not available')).toBe(true);
    expect(explainsRefusal(C.DO_REPOSITION, 'frame invalid for command 192')).toBe(true);
    expect(explainsRefusal(C.NAV_TAKEOFF, 'PreArm: Need Position Estimate')).toBe(false);
  });
});

describe('arming from a cold boot (issues 11.4, 17.4)', () => {
  const BOOT = ['PreArm: System not initialised', 'PreArm: AHRS: waiting for home', 'PreArm: Accels inconsistent', 'PreArm: Need Position Estimate'];

  it('ArduCopter: retries every transient reason until armable, and the ledger shows each reason', async () => {
    const { v, stub } = await pair('ardupilot', { armRetryIntervalMs: 50, armReadyBudgetMs: 10_000 });
    let n = 0;
    stub.onCommand = (cmd, reply) => {
      if (cmd.command !== C.COMPONENT_ARM_DISARM) return;
      const reason = BOOT[n++];
      if (reason === undefined) return reply(R.ACCEPTED);
      reply(R.FAILED);
      setTimeout(() => stub.text(SEV.CRITICAL, reason), 3);
    };
    const ledger = new Ledger(systemClock);
    const drones = new DroneCommands(ledger, new Map([['drone-1', v]]));
    const rec = await drones.issue('drone-1', { action: 'arm' }, 'op').done;
    expect(rec.state).toBe('succeeded');
    const sentNotes = rec.transitions.filter((t) => t.state === 'sent' && t.detail).map((t) => t.detail);
    expect(sentNotes).toHaveLength(4);
    BOOT.forEach((reason, i) => expect(sentNotes[i]).toContain(reason));
  });

  it('PX4: TEMPORARILY_REJECTED with "Arming denied: Resolve system health failures first" is retried', async () => {
    const { v, stub } = await pair('px4', { armRetryIntervalMs: 50, armReadyBudgetMs: 10_000, commandReasonMs: 150 });
    let n = 0;
    stub.onCommand = (cmd, reply) => {
      if (cmd.command !== C.COMPONENT_ARM_DISARM) return;
      if (n++ >= 2) return reply(R.ACCEPTED);
      reply(R.TEMPORARILY_REJECTED);
      setTimeout(() => stub.chunkedText(SEV.CRITICAL, 'Arming denied: Resolve system health failures first', 20 + n), 60);
    };
    const r = await v.action.arm();
    expect(r.status).toBe('success');
    expect(n).toBe(3);
  });

  it.each([
    ['Arm: Mode not armable'],
    ['PreArm: Battery 1 below minimum arming capacity'],
    ['PreArm: vehicle outside fence'],
  ])('fails at once on a permanent reason: %s', async (reason) => {
    const { v, stub } = await pair('ardupilot', { armRetryIntervalMs: 50, armReadyBudgetMs: 10_000 });
    stub.onCommand = (cmd, reply) => {
      if (cmd.command !== C.COMPONENT_ARM_DISARM) return;
      reply(R.FAILED);
      setTimeout(() => stub.text(SEV.CRITICAL, reason), 3);
    };
    const r = await v.action.arm();
    expect(r).toMatchObject({ status: 'failed', message: reason, attempts: 1 });
  });

  it('gives up at the budget, naming the last reason', async () => {
    const { v, stub } = await pair('ardupilot', { armRetryIntervalMs: 50, armReadyBudgetMs: 400 });
    stub.onCommand = (cmd, reply) => {
      if (cmd.command !== C.COMPONENT_ARM_DISARM) return;
      reply(R.FAILED);
      setTimeout(() => stub.text(SEV.CRITICAL, 'PreArm: Need Position Estimate'), 3);
    };
    const r = await v.action.arm();
    expect(r.status).toBe('failed');
    expect(r.message).toMatch(/not ready after \d+ s: PreArm: Need Position Estimate/);
  });
});

describe('holds keep altitude with no pilot (issue 11.5)', () => {
  it('ArduCopter in AUTO: hold is GUIDED, never LOITER', async () => {
    const { v, stub } = await pair('ardupilot');
    await flying(v, stub, AUTO);
    stub.onCommand = (cmd, reply) => reply(R.ACCEPTED);
    const r = await v.action.hold();
    expect(r.status).toBe('success');
    const modes = commandsOf(stub).filter((c) => c.command === C.DO_SET_MODE).map((c) => c._param2);
    expect(modes).toEqual([GUIDED]);
    expect(modes).not.toContain(LOITER);
  });

  it('ArduCopter already in GUIDED (flying to a target): pins the current position and altitude', async () => {
    const { v, stub } = await pair('ardupilot');
    await flying(v, stub, GUIDED, 42.5);
    stub.onCommand = (cmd, reply) => reply(R.ACCEPTED);
    expect((await v.action.hold()).status).toBe('success');
    const rep = commandsOf(stub).find((c) => c.command === C.DO_REPOSITION) as common.CommandInt;
    expect(rep).toBeInstanceOf(common.CommandInt);
    expect(rep.frame).toBe(common.MavFrame.GLOBAL_RELATIVE_ALT_INT);
    expect([rep._param5, rep._param6, rep._param7]).toEqual([stub.state.latE7, stub.state.lonE7, 42.5]);
  });

  it('PX4: hold is Hold (AUTO.LOITER)', async () => {
    const { v, stub } = await pair('px4');
    await flying(v, stub, PX4_MISSION);
    stub.onCommand = (cmd, reply) => reply(R.ACCEPTED);
    expect((await v.action.hold()).status).toBe('success');
    const m = commandsOf(stub).find((c) => c.command === C.DO_SET_MODE)!;
    expect([m._param2, m._param3]).toEqual([4, 3]);
  });

  it('the API\'s "loiter" action is the same hold', async () => {
    const { v, stub } = await pair('ardupilot');
    await flying(v, stub, AUTO);
    stub.onCommand = (cmd, reply) => reply(R.ACCEPTED);
    const drones = new DroneCommands(new Ledger(systemClock), new Map([['drone-1', v]]));
    expect((await drones.issue('drone-1', { action: 'loiter' }, 'op').done).state).toBe('succeeded');
    expect(commandsOf(stub).find((c) => c.command === C.DO_SET_MODE)!._param2).toBe(GUIDED);
  });
});

describe('go-to (issues 11.6, 17.2)', () => {
  const target = { latDeg: 30.275, lonDeg: 120.07, altRelM: 40, speedMps: 18 };
  /** A go-to succeeds on arrival (issue 14 item 3): the stub is at the target once it accepted the reposition. */
  const arrive = (stub: StubVehicle) => {
    stub.state.latE7 = Math.round(target.latDeg * 1e7);
    stub.state.lonE7 = Math.round(target.lonDeg * 1e7);
  };

  it('ArduCopter: DO_REPOSITION in GUIDED_RELATIVE, then DO_CHANGE_SPEED once it is accepted; the commanded speed is on the record', async () => {
    const { v, stub } = await pair('ardupilot');
    await flying(v, stub, AUTO);
    const order: number[] = [];
    stub.onCommand = (cmd, reply) => {
      order.push(cmd.command);
      if (cmd.command === C.DO_REPOSITION) stub.customMode = GUIDED; // entering GUIDED resets the speed
      if (cmd.command === C.DO_REPOSITION) arrive(stub);
      reply(R.ACCEPTED);
    };
    const ledger = new Ledger(systemClock);
    const drones = new DroneCommands(ledger, new Map([['drone-1', v]]));
    const rec = await drones.issue('drone-1', { action: 'goto', latDeg: target.latDeg, lonDeg: target.lonDeg, altitudeRelM: 40, speedMps: 18 }, 'op').done;
    expect(rec.state).toBe('succeeded');
    expect(rec.result).toEqual({ commandedSpeedMps: 18 });
    expect(order).toEqual([C.DO_REPOSITION, C.DO_CHANGE_SPEED]);
    const speed = commandsOf(stub).find((c) => c.command === C.DO_CHANGE_SPEED)!;
    expect([speed._param1, speed._param2]).toEqual([1, 18]);
  });

  it('ArduCopter: a refused DO_CHANGE_SPEED is reported, not hidden (no commanded speed)', async () => {
    const { v, stub } = await pair('ardupilot');
    await flying(v, stub, GUIDED);
    stub.onCommand = (cmd, reply) => {
      if (cmd.command === C.DO_REPOSITION) arrive(stub);
      reply(cmd.command === C.DO_CHANGE_SPEED ? R.FAILED : R.ACCEPTED);
    };
    const r = await v.action.goto(target);
    expect(r.status).toBe('success');
    expect(r.commandedSpeedMps).toBeUndefined();
    expect(r.message).toMatch(/default speed; DO_CHANGE_SPEED failed/);
  });

  it('PX4: GLOBAL_INT with altitude AMSL (relative + home from HOME_POSITION, asked for when unknown), speed in param1', async () => {
    const { v, stub } = await pair('px4');
    await flying(v, stub, PX4_HOLD);
    stub.onCommand = (cmd, reply) => {
      if (cmd.command === C.DO_REPOSITION) arrive(stub);
      reply(R.ACCEPTED);
      if (cmd.command === C.REQUEST_MESSAGE && cmd._param1 === common.HomePosition.MSG_ID) stub.homePosition(12.5);
    };
    const r = await v.action.goto(target);
    expect(r).toMatchObject({ status: 'success', commandedSpeedMps: 18 });
    const rep = commandsOf(stub).find((c) => c.command === C.DO_REPOSITION) as common.CommandInt;
    expect(rep.frame).toBe(common.MavFrame.GLOBAL_INT);
    expect(rep._param7).toBeCloseTo(52.5, 3);
    expect(rep._param1).toBe(18);
    expect(commandsOf(stub).some((c) => c.command === C.DO_CHANGE_SPEED)).toBe(false);
  });

  it('PX4: a refused DO_REPOSITION fails; no Hold switch, no SET_POSITION_TARGET (ignored outside Offboard)', async () => {
    const { v, stub } = await pair('px4');
    await flying(v, stub, PX4_MISSION);
    stub.homePosition(12);
    await until(() => v.telemetryState.homeAmslMm === 12000);
    stub.onCommand = (cmd, reply) => {
      reply(cmd.command === C.DO_REPOSITION ? R.UNSUPPORTED : R.ACCEPTED);
      if (cmd.command === C.DO_REPOSITION) setTimeout(() => stub.text(SEV.CRITICAL, 'frame invalid for command 192'), 5);
    };
    const r = await v.action.goto(target);
    expect(r.status).toBe('unsupported');
    expect(r.message).toBe('frame invalid for command 192');
    expect(stub.received.some((m) => m instanceof common.SetPositionTargetGlobalInt)).toBe(false);
    expect(commandsOf(stub).some((c) => c.command === C.DO_SET_MODE)).toBe(false);
  });

  it('PX4: with no home altitude known, fails clearly instead of guessing', async () => {
    const { v, stub } = await pair('px4');
    await flying(v, stub, PX4_HOLD);
    stub.state.gpsFix = 0; // no derivation from telemetry either
    await until(() => v.telemetryState.gpsFix === 0);
    stub.onCommand = (cmd, reply) => reply(cmd.command === C.REQUEST_MESSAGE ? R.DENIED : R.ACCEPTED);
    const r = await v.action.goto(target);
    expect(r.status).toBe('failed');
    expect(r.message).toMatch(/home altitude \(AMSL\) unknown/);
    expect(commandsOf(stub).some((c) => c.command === C.DO_REPOSITION)).toBe(false);
  });

  it('refuses a go-to on a disarmed or landed drone with the reason', async () => {
    const { v, stub } = await pair('ardupilot');
    stub.streamTelemetry();
    await until(() => v.telemetryState.armed === false && v.telemetryState.relAltMm === 0);
    expect(await v.action.goto(target)).toMatchObject({ status: 'denied', message: expect.stringMatching(/disarmed/) });
    stub.armed = true;
    stub.heartbeat();
    await until(() => v.telemetryState.armed === true);
    expect(await v.action.goto(target)).toMatchObject({ status: 'denied', message: expect.stringMatching(/on the ground/) });
    expect(commandsOf(stub).some((c) => c.command === C.DO_REPOSITION)).toBe(false);
  });
});

describe('take-off: altitude reference and outcome (issues 17.3, 14)', () => {
  it('PX4: param7 is AMSL (30 m over a 12 m home is 42)', async () => {
    const { v, stub } = await pair('px4', { takeoffClimbMs: 300 });
    stub.armed = true;
    stub.streamTelemetry();
    stub.homePosition(12);
    await until(() => v.telemetryState.homeAmslMm === 12000);
    stub.onCommand = (cmd, reply) => {
      reply(R.ACCEPTED);
      stub.state.relAltM = 29.8;
    };
    expect((await v.action.takeoff(30)).status).toBe('success');
    expect(commandsOf(stub).find((c) => c.command === C.NAV_TAKEOFF)!._param7).toBe(42);
  });

  it('PX4 SITL accepts NAV_TAKEOFF while disarmed: that is a failure, not a success', async () => {
    const { v, stub } = await pair('px4', { takeoffClimbMs: 5000 });
    stub.streamTelemetry();
    stub.homePosition(12);
    await until(() => v.telemetryState.homeAmslMm === 12000 && v.telemetryState.armed === false);
    stub.onCommand = (cmd, reply) => reply(R.ACCEPTED);
    const r = await v.action.takeoff(30);
    expect(r.status).toBe('failed');
    expect(r.message).toMatch(/accepted but the vehicle disarmed/);
  });

  it('ArduCopter: accepted but stuck at 27 of 45 m is not a success', async () => {
    const { v, stub } = await pair('ardupilot', { takeoffClimbMs: 600 });
    stub.armed = true;
    stub.streamTelemetry();
    stub.onCommand = (cmd, reply) => {
      reply(R.ACCEPTED);
      stub.state.relAltM = 27;
    };
    const r = await v.action.takeoff(45);
    expect(r.status).toBe('timeout');
    expect(r.message).toMatch(/reached only 27\.0 m of 45 m/);
    expect(commandsOf(stub).find((c) => c.command === C.NAV_TAKEOFF)!._param7).toBe(45);
  });

  it('the ledger shows acked, then the climb as progress, then succeeded at altitude', async () => {
    const { v, stub } = await pair('ardupilot', { takeoffClimbMs: 5000 });
    stub.armed = true;
    stub.streamTelemetry();
    let climb: NodeJS.Timeout | undefined;
    stub.onCommand = (cmd, reply) => {
      reply(R.ACCEPTED);
      climb = setInterval(() => (stub.state.relAltM = Math.min(20, stub.state.relAltM + 2)), 30);
    };
    const drones = new DroneCommands(new Ledger(systemClock), new Map([['drone-1', v]]));
    const rec = await drones.issue('drone-1', { action: 'takeoff', altitudeRelM: 20 }, 'op').done;
    clearInterval(climb);
    expect(rec.state).toBe('succeeded');
    const states = rec.transitions.map((t) => t.state);
    expect(states.slice(0, 3)).toEqual(['queued', 'sent', 'acked']);
    expect(states).toContain('in_progress');
    expect(rec.transitions.at(-1)!.detail).toMatch(/reached (17\.[5-9]|1[89]\.\d|20\.0) m of 20 m/);
  });
});

describe('no telemetry at 0,0 (issue 11.7)', () => {
  it('publishes nothing until the fix is valid and the position is not 0,0', async () => {
    const { v, stub } = await pair('ardupilot');
    stub.state.latE7 = 0;
    stub.state.lonE7 = 0;
    stub.state.gpsFix = 0;
    stub.streamTelemetry();
    await until(() => v.telemetryState.gpsFix === 0 && v.telemetryState.batteryPct !== undefined && v.telemetryState.latE7 === 0);
    expect(v.telemetry()).toBeUndefined();
    stub.state.gpsFix = 3; // fix but the EKF still reports 0,0
    await until(() => v.telemetryState.gpsFix === 3);
    expect(v.telemetry()).toBeUndefined();
    stub.state.latE7 = 302700000;
    stub.state.lonE7 = 1200650000;
    await until(() => v.telemetryState.latE7 === 302700000);
    expect(v.telemetry()).toMatchObject({ latDeg: 30.27, lonDeg: 120.065, gpsFix: 3 });
  });
});

describe('the gateway publishes no position before a valid fix (issue 11.7)', () => {
  it('holds back 0,0 / fix 0 samples and publishes once the position is valid', async () => {
    const { v, stub } = await pair('ardupilot');
    const published: string[] = [];
    const bus = { publish: (topic: string, payload: string) => void (topic.endsWith('/telemetry') && published.push(payload)), subscribe: async () => {} };
    const gw = new TelemetryGateway({ bus, clock: systemClock, telemetryRateHz: 20 });
    try {
      gw.add(v);
      Object.assign(stub.state, { latE7: 0, lonE7: 0, gpsFix: 0 });
      stub.streamTelemetry();
      await until(() => gw.counters.telemetryNoFix >= 5);
      expect(published).toHaveLength(0);
      Object.assign(stub.state, { latE7: 302700000, lonE7: 1200650000, gpsFix: 3 });
      await until(() => published.length >= 2);
      for (const p of published) expect(JSON.parse(p)).toMatchObject({ latDeg: 30.27, lonDeg: 120.065 });
    } finally {
      gw.close();
    }
  });
});

describe('a command with nothing to send settles (PX4 fence enable)', () => {
  it('ends succeeded with the reason, never stuck in queued', async () => {
    const { v } = await pair('px4');
    const drones = new DroneCommands(new Ledger(systemClock), new Map([['drone-1', v]]));
    const rec = await Promise.race([
      drones.issue('drone-1', { action: 'fence_enable' }, 'op').done,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 3000)),
    ]);
    expect(rec?.state).toBe('succeeded');
    expect(rec!.transitions.map((t) => t.state)).toEqual(['queued', 'sent', 'succeeded']);
    expect(rec!.transitions[1]!.detail).toBe('nothing to send to the vehicle');
    expect(rec!.transitions[2]!.detail).toMatch(/PX4 applies an uploaded geofence/);
  });
});
