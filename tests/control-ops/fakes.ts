import { EventEmitter } from 'node:events';
import type { DroneCommands, DroneRequest, IssuedCommand } from '../../control/commands/drone-commands.ts';
import type { LedgerRecord, LedgerState } from '../../control/ledger/machine.ts';
import type { OpsTime } from '../../control/ops/sim-time.ts';
import { normaliseTelemetry, type TelemetryState } from '../../control/vehicle/telemetry-state.ts';
import type { DroneTelemetry } from '../../protocol/index.ts';
import type { Vehicle } from '../../control/vehicle/vehicle.ts';

/** Ops time under the test's control: timers run only when `advance` passes them. */
export class ManualTime implements OpsTime {
  readonly speed = 1;
  private timers: { atMs: number; fn: () => void; live: boolean }[] = [];
  constructor(public now: number) {}
  nowMs(): number {
    return this.now;
  }
  after(ms: number, fn: () => void) {
    const t = { atMs: this.now + Math.max(0, ms), fn, live: true };
    this.timers.push(t);
    return { cancel: () => void (t.live = false) };
  }
  /** Moves time on, running due timers in order. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.live && t.atMs <= end).sort((a, b) => a.atMs - b.atMs)[0];
      if (!due) break;
      due.live = false;
      this.now = Math.max(this.now, due.atMs);
      due.fn();
      await flush();
    }
    this.now = end;
    await flush();
  }
}

export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}

/** A vehicle as operations reads it: telemetry state, link, clock and events. */
export interface FakeVehicle extends EventEmitter {
  droneId: string;
  autopilot: 'ardupilot' | 'px4';
  online: boolean;
  telemetryState: TelemetryState;
  linkMeter: { qualityPct: number | undefined };
  clock: { nowMs(): number };
  /** As Vehicle.telemetry: the state normalised, stamped `nowMs`. */
  telemetry(nowMs?: number): DroneTelemetry | undefined;
}

const MODE = { AUTO: 3, GUIDED: 4, LOITER: 5, RTL: 6, LAND: 9 } as const;

export function fakeVehicle(droneId: string, at: { latDeg: number; lonDeg: number }, clock: { nowMs(): number }): FakeVehicle {
  const v = new EventEmitter() as FakeVehicle;
  Object.assign(v, { droneId, autopilot: 'ardupilot', online: true, linkMeter: { qualityPct: 100 }, clock });
  v.telemetry = (nowMs = clock.nowMs()) => normaliseTelemetry(v.telemetryState, v.autopilot, nowMs, v.linkMeter.qualityPct);
  v.telemetryState = {
    latE7: Math.round(at.latDeg * 1e7),
    lonE7: Math.round(at.lonDeg * 1e7),
    altAmslMm: 10_000,
    relAltMm: 0,
    batteryPct: 100,
    batteryMv: 16_000,
    customMode: MODE.LOITER,
    armed: false,
    gpsFix: 3,
    lastPositionMs: clock.nowMs(),
  };
  return v;
}

/** Sets what the vehicle reports, stamped now on its clock. */
export function report(v: FakeVehicle, r: Partial<{ armed: boolean; altRelM: number; mode: keyof typeof MODE; batteryPct: number; at: { latDeg: number; lonDeg: number }; groundSpeedMps: number }>): void {
  const s = v.telemetryState;
  if (r.armed !== undefined) s.armed = r.armed;
  if (r.altRelM !== undefined) s.relAltMm = r.altRelM * 1000;
  if (r.mode !== undefined) s.customMode = MODE[r.mode];
  if (r.batteryPct !== undefined) s.batteryPct = r.batteryPct;
  if (r.groundSpeedMps !== undefined) s.groundSpeedMps = r.groundSpeedMps;
  if (r.at) {
    s.latE7 = Math.round(r.at.latDeg * 1e7);
    s.lonE7 = Math.round(r.at.lonDeg * 1e7);
  }
  s.lastPositionMs = v.clock.nowMs();
}

export interface Issued {
  droneId: string;
  req: DroneRequest;
  issuer: string;
  id: string;
}

/** DroneCommands that records what was asked and answers as told (success by default). */
export class FakeCommands {
  readonly issued: Issued[] = [];
  answer: (i: Issued) => { state: LedgerState; detail?: string } = () => ({ state: 'succeeded' });
  issue(droneId: string, req: DroneRequest, issuer: string): IssuedCommand {
    const id = `cmd-${this.issued.length + 1}`;
    const i = { droneId, req, issuer, id };
    this.issued.push(i);
    const a = this.answer(i);
    const { items, ...rest } = req as DroneRequest & { items?: unknown[] };
    const rec: LedgerRecord = {
      id,
      issuer,
      target: { kind: 'drone', id: droneId },
      kind: req.action,
      via: 'mavlink',
      payload: { ...rest, ...(items ? { itemCount: items.length } : {}) },
      state: a.state,
      createdMs: 0,
      updatedMs: 0,
      transitions: [{ state: a.state, tsMs: 0, ...(a.detail ? { detail: a.detail } : {}) }],
    };
    return { id, done: Promise.resolve(rec) };
  }
  asCommands(): DroneCommands {
    return this as unknown as DroneCommands;
  }
  actions(droneId?: string): string[] {
    return this.issued.filter((i) => !droneId || i.droneId === droneId).map((i) => (i.req.action === 'plan_upload' ? `upload:${i.req.missionType}` : i.req.action === 'set_mode' ? `mode:${i.req.mode}` : i.req.action));
  }
}

export function asVehicles(vs: FakeVehicle[]): ReadonlyMap<string, Vehicle> {
  return new Map(vs.map((v) => [v.droneId, v as unknown as Vehicle]));
}
