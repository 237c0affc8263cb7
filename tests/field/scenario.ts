import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIELD_DRONE_ID, FIELD_RING_ID, writeFieldSite, type FieldSite } from './field-site.ts';
import { distanceM, distanceToLoopM, pointAtRange, type LatLon } from './geo.ts';
import { dataDirIn, startRingwatchUp, type LedgerRecord, type RingwatchUp, type Sample } from './ringwatch-up.ts';
import type { AutopilotProcess, FieldTarget } from './targets.ts';

/** Tolerances of the checks, in one place (metres, vehicle seconds). */
export const FIELD_LIMITS = {
  /** A hold may sag this much below the altitude it was commanded at (GPS/baro noise, braking). */
  holdSagM: 3,
  /** Samples on the loop may be this far outside the ring's altitude band (noise, overshoot). */
  bandSlackM: 1,
  /** Landed "at the dock": SITL GPS noise and RTL's final descent drift. */
  dockM: 10,
  /** How long each hold is sampled (the issue asks for at least 20 s). */
  holdSampleS: 22,
  /**
   * How long the AUTO loop is sampled for the band and the lap rate (short enough that
   * ArduCopter SITL's small pack still allows the dispatch after it).
   */
  loopSampleS: 20,
  /** Alarm point: this far (straight line) from the drone on the loop, 400 m from the centre. */
  dispatchRangeM: 450,
  alarmRadiusM: 400,
  /**
   * "On scene" for the suite's own measurement, beside ringwatch's (40 m): wider because
   * MQTT telemetry comes at 2 Hz of wall time, i.e. one sample per 60 m at 12 m/s and 10x.
   */
  onSceneM: 60,
} as const;

const TERMINAL = new Set(['succeeded', 'failed', 'timed_out', 'cancelled']);

/** The mission mode as ringwatch names it: ArduPilot's AUTO, PX4's AUTO.MISSION. */
export const isMissionMode = (mode: string | undefined): boolean => mode === 'AUTO' || mode === 'AUTO.MISSION';
/** Modes that leave a hold: the mission, return, landing (ArduPilot and PX4 names). */
const LEAVES_HOLD = /^(AUTO|AUTO\.MISSION|RTL|AUTO\.RTL|SMART_RTL|LAND|AUTO\.LAND)$/;

interface PatrolView {
  ringId: string;
  active: boolean;
  plan?: { loop: LatLon[]; loopLengthM: number; lapS: number; altitudeRelM: number; speedMps: number; revisitIntervalS: number };
  sorties: { droneId: string; status: string; failure?: string; commandIds: string[] }[];
}
interface AlarmView {
  id: string;
  ringId: string;
  position: LatLon;
  noResponderReason?: string;
  responder?: { droneId: string; commandIds: string[]; dispatchedAtMs: number; onSceneAtMs?: number; timeToSceneS?: number; targetS: number; withinTarget?: boolean };
}

/**
 * One field scenario, written once and run against every target (real SITL or the
 * simulator): everything through ringwatch's HTTP API and MQTT, nothing imported from
 * the product. Durations are in vehicle seconds (wall seconds × the target's speed-up),
 * except `uploadS`, a link exchange measured in wall seconds.
 */
export class FieldRun {
  readonly figures: Record<string, number | string | boolean | null> = {};
  /** Checks that failed, with their symptom, for the figures file. */
  readonly failures: Record<string, string> = {};
  rw!: RingwatchUp;
  site!: FieldSite;
  private autopilot: AutopilotProcess | undefined;
  private dir!: string;
  private t0WallMs = 0;
  private patrol: PatrolView | undefined;
  private alarm: AlarmView | undefined;
  airborne = false;

  constructor(readonly target: FieldTarget) {
    this.figures['target'] = target.name;
    this.figures['speed'] = target.speed;
  }

  /** Wall milliseconds for `s` vehicle seconds, never less than `floorMs` (a busy machine). */
  wallMs(s: number, floorMs = 5000): number {
    return Math.max(floorMs, (s * 1000) / this.target.speed);
  }
  private vehicleS(wallMs: number): number {
    return Math.round(((wallMs * this.target.speed) / 1000) * 10) / 10;
  }

  async start(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'rw-field-'));
    this.site = writeFieldSite(this.dir, { url: await this.target.mavlinkUrl(), systemId: this.target.systemId, autopilot: this.target.autopilot });
    this.t0WallMs = Date.now();
    this.autopilot = await this.target.startAutopilot(this.site.dock, this.dir);
    this.rw = await startRingwatchUp({
      siteFile: this.site.siteFile,
      secretsFile: this.site.secretsFile,
      dataDir: dataDirIn(this.dir),
      droneId: FIELD_DRONE_ID,
      ...(this.target.sim ? { simSpeed: this.target.speed } : {}),
    });
    // The sim boots inside `ringwatch up`; its clock starts with the fleet, not our spawn.
    if (this.target.sim) this.t0WallMs = this.rw.simStartedWallMs() ?? this.t0WallMs;
  }

  /** The drone's ledger at the end of the run, kept beside the figures for diagnosis. */
  ledgerDump: unknown;
  async snapshotLedger(): Promise<void> {
    this.ledgerDump = {
      ledger: await this.ledger().catch((err: Error) => `ledger unavailable: ${err.message}`),
      patrol: await this.patrolState().catch((err: Error) => `patrols unavailable: ${err.message}`),
      // Mode changes as reported, with the battery then: what took the drone where.
      // The autopilot's texts as published on MQTT, e.g. why a mission was rejected.
      texts: this.rw.events.filter((e) => e.text).map((e) => ({ atS: this.vehicleS(e.wallMs - this.t0WallMs), type: e.type, text: e.text })),
      modes: this.rw.samples.filter((s, i, all) => i === 0 || all[i - 1]!.mode !== s.mode).map((s) => ({ atS: this.vehicleS(s.wallMs - this.t0WallMs), mode: s.mode, armed: s.armed, altRelM: s.altRelM, batteryPct: s.batteryPct })),
    };
  }

  async close(): Promise<void> {
    await this.rw?.close();
    await this.autopilot?.close();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Writes the figures as one JSON line (stdout) and to $RINGWATCH_FIELD_OUT (default $TMPDIR/ringwatch-field)/<target>.json. */
  report(): string {
    const line = JSON.stringify({ ...this.figures, failures: this.failures });
    const dir = process.env['RINGWATCH_FIELD_OUT'] ?? join(tmpdir(), 'ringwatch-field');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${this.target.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.json`);
    writeFileSync(file, line + '\n');
    if (this.ledgerDump) writeFileSync(file.replace(/\.json$/, '.ledger.json'), JSON.stringify(this.ledgerDump, null, 1) + '\n');
    // SITL's console (PX4's failsafe and estimator messages that never reach MAVLink).
    const consoleText = this.autopilot?.output();
    if (consoleText) writeFileSync(file.replace(/\.json$/, '.autopilot.log'), consoleText);
    process.stdout.write(`FIELD_FIGURES ${line}\n`);
    return file;
  }

  /** Runs a check, keeping its symptom (and the battery then) for the report before rethrowing. */
  async check<T>(name: string, f: () => Promise<T>): Promise<T> {
    const battery = this.rw?.samples.length ? this.latest()?.batteryPct : undefined;
    if (battery !== undefined) this.figures[`batteryAt_${name}Pct`] = battery;
    try {
      return await f();
    } catch (err) {
      this.failures[name] = err instanceof Error ? err.message.split('\n')[0]!.slice(0, 400) : String(err);
      throw err;
    }
  }

  latest(): Sample | undefined {
    return this.rw.samples[this.rw.samples.length - 1];
  }

  /** Polls `f` (every 200 ms of wall time) until it returns a value; fails naming `what` and the last state. */
  async until<T>(what: string, f: () => Promise<T | undefined | false> | T | undefined | false, wallTimeoutMs: number): Promise<T> {
    const t0 = Date.now();
    let lastErr: unknown;
    for (;;) {
      try {
        const v = await f();
        if (v !== undefined && v !== false) return v;
      } catch (err) {
        lastErr = err;
      }
      if (Date.now() - t0 > wallTimeoutMs) {
        const s = this.latest();
        const state = s ? `last telemetry: mode ${s.mode}, armed ${s.armed}, alt ${s.altRelM.toFixed(1)} m, fix ${s.gpsFix}` : 'no telemetry';
        throw new Error(`timed out after ${this.vehicleS(wallTimeoutMs)} vehicle s waiting for ${what} (${state})${lastErr ? `; last error: ${String(lastErr)}` : ''}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Telemetry samples over the next `s` vehicle seconds. */
  async sampleFor(s: number): Promise<Sample[]> {
    const from = Date.now();
    await new Promise((r) => setTimeout(r, this.wallMs(s, 0)));
    return this.rw.samples.filter((x) => x.wallMs >= from);
  }

  async ledger(): Promise<LedgerRecord[]> {
    const rs = await this.rw.api<LedgerRecord[]>(`/api/ledger?target=${FIELD_DRONE_ID}`);
    return rs.sort((a, b) => a.createdMs - b.createdMs);
  }

  async record(id: string): Promise<LedgerRecord> {
    return this.rw.api<LedgerRecord>(`/api/ledger/${id}`);
  }

  /** Issues a drone command through the API and waits for its ledger record to settle. */
  async command(body: Record<string, unknown>, vehicleS = 30): Promise<LedgerRecord> {
    const rec = await this.rw.api<LedgerRecord>(`/api/drones/${FIELD_DRONE_ID}/commands`, { method: 'POST', body });
    return this.until(`the ${String(body['action'])} command to settle`, async () => {
      const r = await this.record(rec.id);
      return TERMINAL.has(r.state) ? r : undefined;
    }, this.wallMs(vehicleS, 15_000));
  }

  // ---- the scenario, step by step ----

  async online(): Promise<void> {
    await this.until('the drone online with telemetry', async () => {
      const ds = await this.rw.api<{ id: string; link: string; telemetry?: unknown }[]>('/api/drones');
      const d = ds.find((x) => x.id === FIELD_DRONE_ID);
      return d?.link === 'ok' && d.telemetry !== undefined;
    }, 60_000);
    this.figures['onlineS'] = this.vehicleS(Date.now() - this.t0WallMs);
  }

  /** Starts the ring's patrol right away, i.e. from a cold boot. */
  async startPatrol(): Promise<PatrolView> {
    const state = await this.rw.api<PatrolView[]>('/api/patrols/start', { method: 'POST', body: { ringIds: [FIELD_RING_ID] } });
    const ring = state.find((r) => r.ringId === FIELD_RING_ID);
    if (!ring?.active || !ring.plan) throw new Error(`patrol on ${FIELD_RING_ID} not started: ${JSON.stringify(ring)}`);
    if (!ring.sorties.some((s) => s.droneId === FIELD_DRONE_ID)) throw new Error(`no sortie for ${FIELD_DRONE_ID}: ${JSON.stringify(ring.sorties)}`);
    this.patrol = ring;
    this.figures['plannedLapS'] = Math.round(ring.plan.lapS);
    this.figures['loopLengthM'] = Math.round(ring.plan.loopLengthM);
    this.figures['plannedSpeedMps'] = ring.plan.speedMps;
    return ring;
  }

  private async patrolState(): Promise<PatrolView> {
    const state = await this.rw.api<PatrolView[]>('/api/patrols');
    return state.find((r) => r.ringId === FIELD_RING_ID)!;
  }

  /** A sortie that failed tells why; fail the waiting step with it at once. */
  private async sortieFailure(): Promise<string | undefined> {
    const s = (await this.patrolState()).sorties.find((x) => x.droneId === FIELD_DRONE_ID);
    return s?.status === 'failed' ? `sortie failed: ${s.failure ?? '(no reason)'}` : undefined;
  }

  private async transfer(missionType: 'mission' | 'fence'): Promise<LedgerRecord> {
    return this.until(`the ${missionType} upload to finish`, async () => {
      const r = (await this.ledger()).find((x) => x.kind === 'plan_upload' && x.payload['missionType'] === missionType);
      if (r && TERMINAL.has(r.state)) return r;
      const failure = await this.sortieFailure();
      if (failure && !r) throw new Error(`no ${missionType} upload; ${failure}`);
      return undefined;
    }, this.wallMs(120, 60_000)).catch(async (err: Error) => {
      throw new Error(`${err.message}${(await this.sortieFailure()) ? ` (${await this.sortieFailure()})` : ''}`);
    });
  }

  async patrolUploadVerified(): Promise<LedgerRecord> {
    const r = await this.transfer('mission');
    const done = r.transitions.find((t) => t.state === r.state);
    this.figures['uploadS'] = done ? Math.round((done.tsMs - r.createdMs) / 100) / 10 : null;
    this.figures['uploadItems'] = typeof r.payload['itemCount'] === 'number' ? r.payload['itemCount'] : null;
    if (r.state !== 'succeeded') throw new Error(`mission upload ${r.state}: ${lastDetail(r)}`);
    return r;
  }

  async fenceVerified(): Promise<LedgerRecord> {
    // The fence must be on the vehicle before it arms: wait for either, then compare.
    await this.until('a fence upload or the arm command', async () => (await this.ledger()).some((x) => (x.kind === 'plan_upload' && x.payload['missionType'] === 'fence') || x.kind === 'arm'), this.wallMs(120, 60_000));
    const all = await this.ledger();
    const fence = all.find((x) => x.kind === 'plan_upload' && x.payload['missionType'] === 'fence');
    const arm = all.find((x) => x.kind === 'arm');
    if (!fence) throw new Error(`no fence upload before arming (ledger: ${all.map((x) => `${x.kind}${x.payload['missionType'] ? `/${String(x.payload['missionType'])}` : ''} ${x.state}`).join(', ')})`);
    if (arm && arm.createdMs < fence.createdMs) throw new Error('the fence upload started after the arm command');
    const settled = await this.transfer('fence');
    if (settled.state !== 'succeeded') throw new Error(`fence upload ${settled.state}: ${lastDetail(settled)}`);
    this.figures['fenceItems'] = typeof settled.payload['itemCount'] === 'number' ? settled.payload['itemCount'] : null;
    return settled;
  }

  /** The patrol's arm goes through from a cold boot; time to armable is from autopilot start to armed. */
  async armFromColdBoot(): Promise<void> {
    const armed = await this.until('the drone armed by the patrol', async () => {
      const s = this.rw.samples.find((x) => x.armed);
      if (s) return s;
      const arm = (await this.ledger()).find((x) => x.kind === 'arm');
      if (arm && TERMINAL.has(arm.state) && arm.state !== 'succeeded') throw new Error(`arm ${arm.state}: ${lastDetail(arm)}`);
      const failure = await this.sortieFailure();
      if (failure) throw new Error(failure);
      return undefined;
    }, this.wallMs(150, 60_000)).catch((err: Error) => {
      // A terminal failure thrown inside the poll is the real symptom; keep it.
      throw err;
    });
    this.figures['timeToArmableS'] = this.vehicleS(armed.wallMs - this.t0WallMs);
    const arm = (await this.ledger()).find((x) => x.kind === 'arm');
    this.figures['armRetries'] = arm ? arm.transitions.filter((t) => t.detail && !['succeeded'].includes(t.state)).length : null;
  }

  async takeoff(): Promise<void> {
    await this.until('the drone in the air (5 m)', async () => {
      if ((this.latest()?.altRelM ?? 0) >= 5 && this.latest()?.armed) return true;
      const failure = await this.sortieFailure();
      if (failure) throw new Error(failure);
      return undefined;
    }, this.wallMs(90, 30_000));
    this.airborne = true;
    await this.until('the sortie flying', async () => {
      const s = (await this.patrolState()).sorties.find((x) => x.droneId === FIELD_DRONE_ID);
      if (s?.status === 'failed') throw new Error(`sortie failed: ${s.failure}`);
      return s?.status === 'flying';
    }, this.wallMs(60, 20_000));
  }

  /** On the loop in AUTO, every sample inside the ring's altitude band; measures the lap rate. */
  async autoLoopInBand(): Promise<Sample[]> {
    const plan = this.patrol!.plan!;
    await this.until('the drone on the loop in AUTO', () => {
      const s = this.latest();
      return s !== undefined && isMissionMode(s.mode) && s.altRelM >= this.site.ring.minRelM - FIELD_LIMITS.bandSlackM && distanceToLoopM(s, plan.loop) < 40;
    }, this.wallMs(240, 30_000));
    const samples = await this.sampleFor(FIELD_LIMITS.loopSampleS);
    if (samples.length < 3) throw new Error(`only ${samples.length} telemetry samples in ${FIELD_LIMITS.loopSampleS} s`);
    let pathM = 0;
    for (let i = 1; i < samples.length; i++) pathM += distanceM(samples[i - 1]!, samples[i]!);
    const spanS = ((samples[samples.length - 1]!.wallMs - samples[0]!.wallMs) * this.target.speed) / 1000;
    const meanMps = pathM / spanS;
    this.figures['loopSpeedMps'] = Math.round(meanMps * 10) / 10;
    this.figures['lapS'] = Math.round(plan.loopLengthM / meanMps);
    const alts = samples.map((s) => s.altRelM);
    this.figures['loopAltMinM'] = Math.round(Math.min(...alts) * 10) / 10;
    this.figures['loopAltMaxM'] = Math.round(Math.max(...alts) * 10) / 10;
    const { minRelM, maxRelM } = this.site.ring;
    const out = samples.filter((s) => s.altRelM < minRelM - FIELD_LIMITS.bandSlackM || s.altRelM > maxRelM + FIELD_LIMITS.bandSlackM);
    if (out.length) throw new Error(`${out.length}/${samples.length} samples outside the band ${minRelM}-${maxRelM} m: ${out.slice(0, 5).map((s) => s.altRelM.toFixed(1)).join(', ')} m`);
    const notAuto = samples.filter((s) => !isMissionMode(s.mode));
    if (notAuto.length) throw new Error(`left AUTO while on the loop: ${[...new Set(notAuto.map((s) => s.mode))].join(', ')}`);
    return samples;
  }

  /** A hold keeps its altitude without a pilot: no sag beyond FIELD_LIMITS.holdSagM over the window. */
  private async holdKeepsAltitude(label: string, fromWallMs: number, startAltM: number, around?: LatLon, heldFromWallMs = fromWallMs): Promise<void> {
    await this.sampleFor(FIELD_LIMITS.holdSampleS);
    const samples = this.rw.samples.filter((s) => s.wallMs >= fromWallMs);
    // Once the hold is in force — the vehicle reports it: its HEARTBEAT (1 Hz) may still
    // name the old mode just after the ack — nothing may take the drone out of it.
    const modes = () => [...new Set(samples.map((s) => s.mode))].join(', ');
    const inForce = samples.find((s) => s.wallMs > heldFromWallMs && !LEAVES_HOLD.test(s.mode));
    if (!inForce) throw new Error(`${label}: the vehicle never reported the hold (modes seen: ${modes()})`);
    const left = samples.filter((s) => s.wallMs > inForce.wallMs && LEAVES_HOLD.test(s.mode));
    if (left.length) {
      throw new Error(`${label}: left the hold for ${left[0]!.mode} ${this.vehicleS(left[0]!.wallMs - inForce.wallMs)} s into it (modes seen: ${modes()})`);
    }
    if (samples.length < 3) throw new Error(`only ${samples.length} samples during the ${label}`);
    const minAlt = Math.min(...samples.map((s) => s.altRelM));
    const last = samples[samples.length - 1]!;
    this.figures[`${label}AltLossM`] = Math.round((startAltM - minAlt) * 10) / 10;
    this.figures[`${label}Mode`] = last.mode;
    if (minAlt < startAltM - FIELD_LIMITS.holdSagM) {
      throw new Error(`${label}: descended from ${startAltM.toFixed(1)} m to ${minAlt.toFixed(1)} m within ${FIELD_LIMITS.holdSampleS} s (mode ${last.mode}, last ${last.altRelM.toFixed(1)} m)`);
    }
    if (!last.armed) throw new Error(`${label}: disarmed during the hold (landed at ${last.altRelM.toFixed(1)} m)`);
    if (isMissionMode(last.mode)) throw new Error(`${label}: back in ${last.mode} after ${FIELD_LIMITS.holdSampleS} s (the hold did not hold)`);
    if (around && distanceM(last, around) > 60) throw new Error(`${label}: drifted ${distanceM(last, around).toFixed(0)} m from the hold point (mode ${last.mode})`);
  }

  /** Pause (the API's loiter action) from the AUTO loop. */
  async pauseHoldsAltitude(): Promise<void> {
    const before = this.latest()!;
    const from = Date.now();
    const r = await this.command({ action: 'loiter' });
    if (r.state !== 'succeeded') throw new Error(`loiter ${r.state}: ${lastDetail(r)}`);
    // Where it holds: the first position reported once the hold was acknowledged, plus braking.
    const settled = r.transitions.find((t) => t.state === 'succeeded')?.tsMs ?? Date.now();
    const at = await this.until('a sample after the hold began', () => this.rw.samples.find((s) => s.wallMs > settled), this.wallMs(10, 5000));
    await this.holdKeepsAltitude('pause', from, before.altRelM, at, at.wallMs);
  }

  /** A manual alarm FIELD_LIMITS.dispatchRangeM from the drone, inside the containment ring. */
  async dispatchReachesScene(): Promise<AlarmView> {
    const here = this.latest()!;
    const point = pointAtRange(this.site.ring.center, here, FIELD_LIMITS.alarmRadiusM, FIELD_LIMITS.dispatchRangeM);
    this.figures['dispatchRangeM'] = Math.round(distanceM(here, point));
    const sent = Date.now();
    // The one drone is the ring's whole patrol: the operator confirms taking it (else 409).
    const alarm = await this.rw.api<AlarmView>('/api/dispatch', { method: 'POST', body: { latDeg: point.latDeg, lonDeg: point.lonDeg, note: 'field test', playWarning: false, confirm: true } });
    this.alarm = alarm;
    if (alarm.ringId !== FIELD_RING_ID) throw new Error(`alarm fell in ${alarm.ringId}, not ${FIELD_RING_ID}`);
    if (alarm.responder?.droneId !== FIELD_DRONE_ID) throw new Error(`no responder: ${alarm.noResponderReason ?? JSON.stringify(alarm.responder)}`);
    const target = this.site.ring.responseTargetS;
    const onScene = await this.until('the responder on scene', async () => {
      const a = (await this.rw.api<AlarmView[]>('/api/alarms?state=all')).find((x) => x.id === alarm.id);
      if (a?.noResponderReason) throw new Error(`dispatch failed: ${a.noResponderReason}`);
      return a?.responder?.onSceneAtMs !== undefined ? a : undefined;
    }, this.wallMs(target * 2.5, 30_000));
    this.alarm = onScene;
    // Our 2 Hz samples may lag ringwatch's own position feed: give them a little time.
    const own = await this.until('a telemetry sample on scene', () => this.rw.samples.find((s) => s.wallMs >= sent && distanceM(s, point) <= FIELD_LIMITS.onSceneM), this.wallMs(20, 3000)).catch(() => undefined);
    this.figures['timeToSceneS'] = onScene.responder!.timeToSceneS ?? null;
    this.figures['timeToSceneOwnS'] = own ? this.vehicleS(own.wallMs - sent) : null;
    this.figures['responseTargetS'] = target;
    if (!own) {
      const closestM = Math.min(...this.rw.samples.filter((s) => s.wallMs >= sent).map((s) => distanceM(s, point)));
      throw new Error(`ringwatch says on scene after ${onScene.responder!.timeToSceneS} s, but no sample came within ${FIELD_LIMITS.onSceneM} m of the alarm (closest ${closestM.toFixed(0)} m)`);
    }
    if ((onScene.responder!.timeToSceneS ?? Infinity) > target || onScene.responder!.withinTarget !== true) {
      throw new Error(`time to scene ${onScene.responder!.timeToSceneS} s against the ${target} s target (withinTarget ${onScene.responder!.withinTarget})`);
    }
    // Slack: one telemetry period (0.5 s of wall time) in vehicle seconds, plus 2 s.
    if (this.vehicleS(own.wallMs - sent) > target + 0.5 * this.target.speed + 2) throw new Error(`measured time to scene ${this.vehicleS(own.wallMs - sent)} s against the ${target} s target`);
    return onScene;
  }

  async onSceneHoldKeepsAltitude(): Promise<void> {
    const alarm = this.alarm;
    if (alarm?.responder?.onSceneAtMs === undefined) throw new Error('not run: the responder never reached the scene (see the dispatch step)');
    const from = Date.now();
    const start = this.latest()!;
    // ringwatch commands the hold on arrival; by the time we saw the arrival it is in force,
    // give its acknowledgement one more second of wall time.
    await this.holdKeepsAltitude('onSceneHold', from, start.altRelM, alarm.position, from + 1000);
  }

  async rtlLandsAtDock(): Promise<void> {
    const from = Date.now();
    // The record settles on the outcome (landed and disarmed at home, issue 14), not the
    // ack: ArduCopter SITL's RTL takes ~90-100 s; control's own budget is about twice the
    // time at the autopilot's RTL speeds plus slack, so wait a little beyond that.
    const r = await this.command({ action: 'rtl' }, 360);
    // succeeded is the record's `achieved` outcome.
    if (r.state !== 'succeeded') throw new Error(`rtl not achieved (${r.state}): ${lastDetail(r)}`);
    const landed = await this.until('landed and disarmed', () => {
      const s = this.latest();
      return s && !s.armed && s.altRelM < 2 && s.wallMs > from ? s : undefined;
    }, this.wallMs(300, 60_000));
    this.airborne = false;
    this.figures['rtlS'] = this.vehicleS(landed.wallMs - from);
    const offDockM = distanceM(landed, this.site.dock);
    this.figures['landedFromDockM'] = Math.round(offDockM * 10) / 10;
    if (offDockM > FIELD_LIMITS.dockM) throw new Error(`landed ${offDockM.toFixed(1)} m from the dock`);
  }

  /**
   * A refusal in the autopilot's own words: landed and disarmed, switch to RTL (a mode
   * neither ArduCopter nor PX4 arms in) and arm; the failed record must carry a
   * STATUSTEXT the autopilot sent, not only a MAV_RESULT name, and fail at once (a mode
   * that cannot arm does not pass by waiting).
   */
  async refusalCarriesReason(): Promise<void> {
    if (this.latest()?.armed !== false) throw new Error('not run: the drone is not landed and disarmed (see the RTL step)');
    const mode = await this.command({ action: 'set_mode', mode: 'RTL' });
    if (mode.state !== 'succeeded') throw new Error(`set_mode RTL on the ground ${mode.state}: ${lastDetail(mode)}`);
    const from = Date.now();
    const issued = await this.rw.api<LedgerRecord>(`/api/drones/${FIELD_DRONE_ID}/commands`, { method: 'POST', body: { action: 'arm' } });
    const texts = () => this.rw.events.filter((e) => e.wallMs >= from - 1000 && e.text).map((e) => e.text!.trim());
    const carries = (d: string | undefined) => d !== undefined && texts().some((t) => t.length >= 6 && d.includes(t));
    // Settled, or still retrying with the autopilot's reason on the record: either shows the reason.
    const arm = await this.until('the arm refusal with a reason', async () => {
      const r = await this.record(issued.id);
      return TERMINAL.has(r.state) || r.transitions.some((t) => carries(t.detail)) ? r : undefined;
    }, this.wallMs(60, 20_000)).catch(async (err: Error) => {
      const r = await this.record(issued.id);
      throw new Error(`${err.message}; record ${r.state}: "${lastDetail(r)}"; texts seen: ${JSON.stringify(texts().slice(0, 8))}`);
    });
    if (!TERMINAL.has(arm.state)) {
      // A permanent refusal being retried: note it, and stop the retries.
      this.figures['refusalRetried'] = true;
      await this.rw.api(`/api/ledger/${arm.id}/cancel`, { method: 'POST' }).catch(() => undefined);
    }
    if (arm.state === 'succeeded') {
      await this.command({ action: 'disarm' }).catch(() => undefined);
      throw new Error('the autopilot armed in RTL on the ground: no refusal to check');
    }
    // The STATUSTEXT reaches MQTT through the gateway; give it a moment after the ledger.
    await this.until('the reason on MQTT', () => arm.transitions.some((t) => carries(t.detail)), 5000).catch(() => undefined);
    const detail = [...arm.transitions].reverse().find((t) => carries(t.detail))?.detail ?? lastDetail(arm);
    this.figures['refusal'] = detail;
    if (!carries(detail)) throw new Error(`arm refused with "${detail}", which carries none of the autopilot's texts: ${JSON.stringify(texts().slice(0, 8))}`);
    // A mode the autopilot never arms in is no reason to wait (issue 17, finding 3).
    if (this.figures['refusalRetried']) throw new Error(`a permanent refusal was retried as if temporary: "${detail}"`);
  }

  /** Over the whole run: every arm refusal (final or while retrying) carried a text the autopilot sent (not a stale or generic one). */
  async everyRefusalCarriesReason(): Promise<void> {
    const texts = () => this.rw.events.filter((e) => e.text).map((e) => e.text!.trim());
    const unexplained = async () => {
      const bad: string[] = [];
      for (const r of await this.ledger()) {
        // Arming is where both autopilots always say why (STATUSTEXT after the COMMAND_ACK).
        if (r.kind !== 'arm') continue;
        const refusals = r.transitions.filter((t) => t.detail && (t.state === 'failed' || /denied|failed|rejected|refused|PreArm|Arm:/i.test(t.detail)));
        for (const t of refusals) {
          if (!texts().some((x) => x.length >= 6 && t.detail!.includes(x))) bad.push(`${r.kind} ${t.state}: "${t.detail}"`);
        }
      }
      return bad;
    };
    // The texts reach MQTT through the gateway a moment after the ledger has them.
    const bad = await this.until('every arm refusal matched by a text on MQTT', async () => ((await unexplained()).length === 0 ? [] : undefined), 5000).catch(() => unexplained());
    if (bad.length) throw new Error(`refusals without the autopilot's words: ${bad.slice(0, 6).join('; ')} (last texts seen: ${JSON.stringify([...new Set(texts())].slice(-12))})`);
  }

  /** Item 7 of issue 11: no position published before it is valid. */
  neverAtNullIsland(): void {
    const zero = this.rw.samples.filter((s) => Math.abs(s.latDeg) < 1e-6 && Math.abs(s.lonDeg) < 1e-6);
    if (zero.length) throw new Error(`${zero.length} telemetry samples at lat/lon 0,0 (gpsFix ${zero[0]!.gpsFix})`);
  }
}

function lastDetail(r: LedgerRecord): string {
  return [...r.transitions].reverse().find((t) => t.detail)?.detail ?? '(no detail)';
}
