import type { AckPayload, SensorCommand, SensorEvent, SensorEventType, SensorTelemetry } from '../../protocol/index.ts';
import type { Rng } from '../fleet/rng.ts';
import type { Scheduler, Task } from '../fleet/scheduler.ts';
import { buildSensorEvent, DEFAULT_EMITS, DEFAULT_RATES_PER_HOUR, type EventOverrides, type SensorState, type SensorType } from './events.ts';

export interface SensorSpec {
  id: string;
  type: SensorType;
  emits?: readonly SensorEventType[];
  checkpointId: string;
}

export interface SensorSink {
  event(ev: SensorEvent): void;
  telemetry(t: SensorTelemetry): void;
  ack(a: AckPayload): void;
}

export interface SensorSimOptions {
  scheduler: Scheduler;
  rng: Rng;
  nowMs(): number;
  speed: number;
  /** Simulated seconds between heartbeats (default 30; `set_report_interval` changes it). */
  reportIntervalS?: number;
  /** Random background events; scripted events are sent either way. */
  randomEvents?: boolean;
  ratesPerHour?: Partial<Record<SensorEventType, number>>;
  /** Simulated seconds a self test takes. */
  selfTestS?: number;
}

export type SensorCoreFault = 'stop_heartbeats';

/**
 * One checkpoint sensor's behaviour — heartbeats, random events, commands — on a shared
 * scheduler. No sockets: the sink decides where payloads go.
 */
export class SensorSim {
  readonly emits: readonly SensorEventType[];
  private readonly rates: Record<SensorEventType, number>;
  private reportIntervalS: number;
  private heartbeatTask: Task | undefined;
  private eventTask: Task | undefined;
  private readonly state: SensorState = { crowdCount: 80 };
  private readonly telemetry: SensorTelemetry = { tsMs: 0, batteryPct: 100, rssiDbm: -60 };
  private seq = 0;
  private readonly boot: string;
  private running = false;
  stopHeartbeats = false;
  readonly counters = { events: 0, heartbeats: 0, commands: 0 };

  constructor(
    readonly spec: SensorSpec,
    private readonly opts: SensorSimOptions,
    private readonly sink: SensorSink,
  ) {
    this.emits = spec.emits ?? DEFAULT_EMITS[spec.type];
    this.rates = { ...DEFAULT_RATES_PER_HOUR, ...opts.ratesPerHour };
    this.reportIntervalS = opts.reportIntervalS ?? 30;
    this.boot = opts.nowMs().toString(36);
    this.telemetry.batteryPct = opts.rng.int(60, 100);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    // Random phase, so two thousand sensors do not all report in the same millisecond.
    this.scheduleHeartbeat(this.opts.rng.next() * this.intervalRealMs());
    this.scheduleRandomEvent();
  }

  stop(): void {
    this.running = false;
    this.opts.scheduler.cancel(this.heartbeatTask);
    this.opts.scheduler.cancel(this.eventTask);
  }

  /** Sends one event now (scripted); returns it, or throws if this sensor cannot emit it. */
  trigger(type: SensorEventType, overrides: EventOverrides = {}): SensorEvent {
    if (!this.emits.includes(type) && type !== 'tamper') {
      throw new Error(`sensor ${this.spec.id} (${this.spec.type}) does not emit ${type}; it emits ${this.emits.join(', ')}`);
    }
    const ev = buildSensorEvent(type, this.eventContext(), overrides);
    this.counters.events++;
    this.sink.event(ev);
    return ev;
  }

  handleCommand(cmd: SensorCommand): void {
    this.counters.commands++;
    const now = this.opts.nowMs();
    switch (cmd.action) {
      case 'self_test': {
        this.sink.ack({ id: cmd.id, tsMs: now, state: 'accepted' });
        this.sink.ack({ id: cmd.id, tsMs: now, state: 'in_progress', progressPct: 0 });
        this.opts.scheduler.after(((this.opts.selfTestS ?? 2) * 1000) / this.opts.speed, () => {
          this.sink.ack({ id: cmd.id, tsMs: this.opts.nowMs(), state: 'succeeded', reason: 'self test passed: optics, storage, uplink' });
        });
        return;
      }
      case 'set_report_interval':
        this.reportIntervalS = cmd.intervalS;
        this.sink.ack({ id: cmd.id, tsMs: now, state: 'succeeded', reason: `report interval ${cmd.intervalS} s` });
        if (this.running) {
          this.opts.scheduler.cancel(this.heartbeatTask);
          this.scheduleHeartbeat(0);
        }
        return;
    }
  }

  reject(id: string, reason: string): void {
    this.sink.ack({ id, tsMs: this.opts.nowMs(), state: 'rejected', reason: reason.slice(0, 200) });
  }

  get currentReportIntervalS(): number {
    return this.reportIntervalS;
  }

  private intervalRealMs(): number {
    return (this.reportIntervalS * 1000) / this.opts.speed;
  }

  private scheduleHeartbeat(delayMs: number): void {
    this.heartbeatTask = this.opts.scheduler.after(delayMs, () => {
      if (!this.running) return;
      if (!this.stopHeartbeats) this.heartbeat();
      this.scheduleHeartbeat(this.intervalRealMs());
    });
  }

  private heartbeat(): void {
    const t = this.telemetry;
    t.tsMs = this.opts.nowMs();
    // Mains-backed sensors with a backup cell: the cell creeps down and is topped up.
    t.batteryPct = t.batteryPct! <= 20 ? 100 : Math.round((t.batteryPct! - 0.01) * 100) / 100;
    t.rssiDbm = -55 - this.opts.rng.int(0, 20);
    if (this.spec.type === 'crowd_counter') t.crowdCount = this.state.crowdCount;
    this.counters.heartbeats++;
    this.sink.telemetry(t);
  }

  private scheduleRandomEvent(): void {
    if (this.opts.randomEvents === false) return;
    let total = 0;
    for (const type of this.emits) total += this.rates[type];
    if (total <= 0) return;
    const simS = this.opts.rng.expS(total / 3600);
    this.eventTask = this.opts.scheduler.after((simS * 1000) / this.opts.speed, () => {
      if (!this.running) return;
      let r = this.opts.rng.next() * total;
      let type = this.emits[0]!;
      for (const t of this.emits) {
        r -= this.rates[t];
        if (r < 0) {
          type = t;
          break;
        }
      }
      this.trigger(type);
      this.scheduleRandomEvent();
    });
  }

  private eventContext() {
    return {
      id: `${this.spec.id}:${this.boot}:${++this.seq}`,
      sensorType: this.spec.type,
      checkpointId: this.spec.checkpointId,
      rng: this.opts.rng,
      state: this.state,
      nowMs: this.opts.nowMs(),
    };
  }
}
