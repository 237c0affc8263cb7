import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { common } from 'node-mavlink';
import { checkPayload } from '../../protocol/index.ts';
import { canTransition, createRecord, LEDGER_STATES, transition, TERMINAL_STATES } from '../../control/ledger/machine.ts';
import { Ledger } from '../../control/ledger/ledger.ts';
import { JsonlLedgerStore } from '../../control/ledger/jsonl-store.ts';
import { mapMavResult, mapMissionResult } from '../../control/vehicle/result.ts';
import { encodeMode, modeName } from '../../control/vehicle/modes.ts';
import { normaliseTelemetry, SeqGapMeter } from '../../control/vehicle/telemetry-state.ts';
import { ledgerStateForAck } from '../../control/mqtt/device-commands.ts';
import { statusTextEvent } from '../../control/gateway/events.ts';
import { motionTowards, sampleOf } from '../../control/vehicle/position-target.ts';

const fakeClock = (start = 1_700_000_000_000) => {
  let t = start;
  return { nowMs: () => t, advance: (ms: number) => (t += ms) };
};

describe('ledger state machine', () => {
  const rec = () =>
    createRecord({ id: 'c1', issuer: 'op1', target: { kind: 'drone', id: 'drone-1' }, kind: 'arm', via: 'mavlink', payload: {} }, 1000);

  it('walks queued → sent → acked → in_progress → succeeded with a timestamp per transition', () => {
    let r = rec();
    for (const [to, ts] of [['sent', 1010], ['acked', 1020], ['in_progress', 1030], ['in_progress', 1040], ['succeeded', 1050]] as const) {
      const out = transition(r, to, ts);
      expect(out.ok).toBe(true);
      if (out.ok) r = out.record;
    }
    expect(r.state).toBe('succeeded');
    expect(r.transitions.map((t) => [t.state, t.tsMs])).toEqual([
      ['queued', 1000], ['sent', 1010], ['acked', 1020], ['in_progress', 1030], ['in_progress', 1040], ['succeeded', 1050],
    ]);
  });

  it('refuses every move out of a terminal state and skipping sent', () => {
    for (const from of TERMINAL_STATES) for (const to of LEDGER_STATES) expect(canTransition(from, to)).toBe(false);
    expect(canTransition('queued', 'acked')).toBe(false);
    expect(canTransition('queued', 'succeeded')).toBe(false);
    expect(canTransition('acked', 'sent')).toBe(false);
    const out = transition(rec(), 'succeeded', 5);
    expect(out).toMatchObject({ ok: false });
  });

  it('never mutates the record it was given', () => {
    const r = rec();
    transition(r, 'sent', 2000);
    expect(r.state).toBe('queued');
    expect(r.transitions).toHaveLength(1);
  });
});

describe('Ledger', () => {
  it('stores each change as one JSONL line, counts refused moves, and cancels through the runner', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-'));
    try {
      const clock = fakeClock();
      const store = new JsonlLedgerStore(dir);
      const ledger = new Ledger(clock, [store]);
      let cancelled = false;
      const r = ledger.open({ issuer: 'op', target: { kind: 'speaker', id: 'sp-1' }, kind: 'play', via: 'mqtt', payload: { a: 1 } }, () => {
        cancelled = true;
        ledger.move(r.id, 'cancelled', { detail: 'stop sent' });
      });
      clock.advance(5);
      expect(ledger.move(r.id, 'sent')).toBe(true);
      expect(ledger.move(r.id, 'queued')).toBe(false);
      expect(ledger.refusedTransitions).toBe(1);
      expect(ledger.cancel(r.id)).toBe(true);
      expect(cancelled).toBe(true);
      expect((await ledger.settled(r.id)).state).toBe('cancelled');
      expect(ledger.cancel(r.id)).toBe(false);
      expect(() => ledger.open({ id: r.id, issuer: 'x', target: { kind: 'speaker', id: 'sp-1' }, kind: 'k', via: 'mqtt', payload: {} })).toThrow(/already exists/);
      await ledger.close();
      const lines = readFileSync(store.file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { state: string; tsMs: number });
      expect(lines.map((l) => l.state)).toEqual(['queued', 'sent', 'cancelled']);
      expect(lines[1]!.tsMs - lines[0]!.tsMs).toBe(5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Ledger restore', () => {
  it('takes back the stored history; commands left open end as timed_out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-'));
    try {
      const clock = fakeClock();
      const first = new Ledger(clock, [new JsonlLedgerStore(dir)]);
      const done = first.open({ issuer: 'op', target: { kind: 'drone', id: 'drone-1' }, kind: 'rtl', via: 'mavlink', payload: {} });
      first.move(done.id, 'sent');
      first.move(done.id, 'acked');
      first.move(done.id, 'succeeded');
      const open = first.open({ issuer: 'op', target: { kind: 'drone', id: 'drone-2' }, kind: 'land', via: 'mavlink', payload: {} });
      first.move(open.id, 'sent');
      await first.close();
      writeFileSync(join(dir, 'ledger.jsonl'), '{"torn":', { flag: 'a' });

      const { records, badLines } = JsonlLedgerStore.read(dir);
      expect(badLines).toBe(1);
      const second = new Ledger(clock, [new JsonlLedgerStore(dir)]);
      second.restore(records);
      expect(second.get(done.id)!.state).toBe('succeeded');
      expect(second.get(open.id)!.state).toBe('timed_out');
      expect(second.get(open.id)!.transitions.map((t) => t.state)).toEqual(['queued', 'sent', 'timed_out']);
      await second.close();
      expect(JsonlLedgerStore.read(dir).records.find((r) => r.id === open.id)!.state).toBe('timed_out');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('result mapping', () => {
  it('maps every MAV_RESULT in one place', () => {
    const R = common.MavResult;
    expect(mapMavResult(R.ACCEPTED)).toBe('success');
    expect(mapMavResult(R.DENIED)).toBe('denied');
    expect(mapMavResult(R.TEMPORARILY_REJECTED)).toBe('temporarily_rejected');
    expect(mapMavResult(R.UNSUPPORTED)).toBe('unsupported');
    expect(mapMavResult(R.COMMAND_INT_ONLY)).toBe('unsupported');
    expect(mapMavResult(R.FAILED)).toBe('failed');
    expect(mapMavResult(R.IN_PROGRESS)).toBe('in_progress');
    expect(mapMavResult(R.CANCELLED)).toBe('cancelled');
    expect(mapMavResult(200)).toBe('failed');
  });

  it('maps MAV_MISSION_RESULT', () => {
    const R = common.MavMissionResult;
    expect(mapMissionResult(R.ACCEPTED)).toBe('success');
    expect(mapMissionResult(R.NO_SPACE)).toBe('no_space');
    expect(mapMissionResult(R.INVALID_SEQUENCE)).toBe('invalid');
    expect(mapMissionResult(R.DENIED)).toBe('denied');
    expect(mapMissionResult(R.ERROR)).toBe('error');
  });

  it('maps device acks to ledger states', () => {
    expect(ledgerStateForAck('accepted')).toBe('acked');
    expect(ledgerStateForAck('playing')).toBe('in_progress');
    expect(ledgerStateForAck('finished')).toBe('succeeded');
    expect(ledgerStateForAck('rejected')).toBe('failed');
    expect(ledgerStateForAck('stopped')).toBe('cancelled');
  });
});

describe('flight modes', () => {
  it('names ArduPilot Copter modes and encodes them back', () => {
    expect(modeName('ardupilot', 4)).toBe('GUIDED');
    expect(modeName('ardupilot', 3)).toBe('AUTO');
    expect(modeName('ardupilot', 99)).toBe('MODE_99');
    expect(encodeMode('ardupilot', 'rtl')).toEqual({ customMode: 6, param2: 6, param3: 0 });
    expect(encodeMode('ardupilot', 'AUTO.MISSION')).toBeUndefined();
  });

  it('packs PX4 main/sub modes in bits 16-31', () => {
    const mission = encodeMode('px4', 'AUTO.MISSION')!;
    expect(mission).toEqual({ customMode: (4 << 24) | (4 << 16), param2: 4, param3: 4 });
    expect(modeName('px4', mission.customMode)).toBe('AUTO.MISSION');
    expect(modeName('px4', 3 << 16)).toBe('POSCTL');
    expect(encodeMode('px4', 'GUIDED')!.customMode).toBe(encodeMode('px4', 'AUTO.LOITER')!.customMode);
    expect(modeName('px4', encodeMode('px4', 'RTL')!.customMode)).toBe('AUTO.RTL');
    expect(encodeMode('px4', 'POSCTL.X')).toBeUndefined();
  });
});

describe('telemetry normalisation', () => {
  const full = {
    latE7: 302700000, lonE7: 1200650000, altAmslMm: 52_340, relAltMm: 40_120, hdgCdeg: 27_050,
    vxCmps: 300, vyCmps: -400, vzCmps: -150, batteryPct: 87, batteryMv: 15_820, customMode: 4, armed: true,
    gpsFix: 3, satellites: 14, missionSeq: 2, missionCount: 9,
  };

  it('converts MAVLink units to degrees, metres, m/s, %, volts and validates against the schema', () => {
    const t = normaliseTelemetry(full, 'ardupilot', 1_700_000_000_123.4, 97.25)!;
    expect(t).toEqual({
      tsMs: 1_700_000_000_123, latDeg: 30.27, lonDeg: 120.065, altAmslM: 52.34, altRelM: 40.12, headingDeg: 270.5,
      groundSpeedMps: 5, climbRateMps: 1.5, batteryPct: 87, batteryV: 15.82, mode: 'GUIDED', armed: true, gpsFix: 3,
      satellites: 14, missionSeq: 2, missionCount: 9, linkQualityPct: 97.3,
    });
    expect(checkPayload('drone', 'telemetry', JSON.stringify(t))).toMatchObject({ ok: true });
  });

  it('publishes nothing until position, battery, GPS fix and mode are known', () => {
    const { batteryMv: _b, ...noBattery } = full;
    expect(normaliseTelemetry(noBattery, 'ardupilot', 1)).toBeUndefined();
    expect(normaliseTelemetry({ ...full, gpsFix: undefined }, 'ardupilot', 1)).toBeUndefined();
    expect(normaliseTelemetry({ ...full, latE7: undefined }, 'ardupilot', 1)).toBeUndefined();
  });

  it('prefers VFR_HUD ground speed, falls back to the velocity heading when hdg is unknown', () => {
    const t = normaliseTelemetry({ ...full, hdgCdeg: 65535, groundSpeedMps: 7.25, satellites: 255 }, 'ardupilot', 1)!;
    expect(t.groundSpeedMps).toBe(7.25);
    expect(t.headingDeg).toBeCloseTo(306.9, 1);
    expect(t.satellites).toBeUndefined();
  });

  it('measures link quality from sequence gaps, including wrap-around', () => {
    const m = new SeqGapMeter();
    let seq = 250;
    for (let i = 0; i < 100; i++) {
      m.packet(seq & 0xff);
      seq += i % 10 === 9 ? 2 : 1; // one lost in every ten
    }
    expect(m.qualityPct).toBeGreaterThan(89);
    expect(m.qualityPct).toBeLessThan(92);
  });

  it('classifies STATUSTEXT into drone events', () => {
    expect(statusTextEvent('e1', 5, 2, 'Battery Failsafe')).toMatchObject({ type: 'failsafe', severity: 'critical' });
    expect(statusTextEvent('e1', 5, 4, 'PreArm: Need Position Estimate')).toMatchObject({ type: 'statustext', severity: 'medium' });
    const e = statusTextEvent('e1', 5, 6, 'x'.repeat(300));
    expect(checkPayload('drone', 'event', JSON.stringify(e))).toMatchObject({ ok: true });
  });
});

describe('go-to confirmation from telemetry', () => {
  const at = (latE7: number, lonE7: number, vx: number, vy: number) => Object.assign(new common.GlobalPositionInt(), { lat: latE7, lon: lonE7, vx, vy });
  const target = [302710000, 1200650000] as const; // ~111 m north of 30.27
  /** Samples 0.25 s apart along latitude, at the given north speeds (cm/s). */
  const track = (speedsCmps: number[], startLatE7 = 302700000) => {
    let lat = startLatE7;
    return speedsCmps.map((vx) => {
      const s = sampleOf(at(lat, 1200650000, vx, 0), ...target);
      lat += Math.round(((vx / 100) * 0.25 * 1e7) / 111_320);
      return s;
    });
  };
  it('accepts sustained flight towards the target or holding at it, nothing else', () => {
    expect(motionTowards(track([300, 400, 500, 600]))).toMatch(/flying to the target/); // accelerating north
    expect(motionTowards(track([800, 800, 800, 800]))).toMatch(/flying to the target/); // cruising
    // PX4 SITL: braking into Hold while pointing at the target is not a go-to being flown.
    expect(motionTowards(track([900, 600, 300, 100]))).toBeUndefined();
    expect(motionTowards(track([-500, -500, -500, -500]))).toBeUndefined(); // away
    expect(motionTowards(track([500, 500]))).toBeUndefined(); // too little evidence
    expect(motionTowards([sampleOf(at(302700000, 1200650000, 0, 500), ...target)].concat(track([0, 0, 0])))).toBeUndefined(); // east, then hovering
    expect(motionTowards(track([0, 0], 302709990))).toMatch(/holding at the target/); // ~0.1 m off
  });
});
