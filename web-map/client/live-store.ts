import type { Alarm, DeliverySnapshot, DroneTelemetry, LedgerRecord, LinkState, LiveEvent, Warning } from './types.ts';

/** One drone as the map draws it. */
export interface DroneState {
  id: string;
  link: LinkState;
  telemetry?: DroneTelemetry;
  /** Recent positions, oldest first, bounded by `trailPoints`. */
  trail: { latDeg: number; lonDeg: number; tsMs: number }[];
  /** The telemetry came from a REST snapshot, not the stream: the next streamed one replaces it. */
  snapshot?: boolean;
}

/** Sections of the store a view may listen to. */
export type Section = 'drones' | 'ledger' | 'alarms' | 'broadcasts' | 'sensors' | 'speakers' | 'coverage' | 'patrol' | 'warnings' | 'status' | 'services';

export interface SensorState {
  deviceId: string;
  online?: boolean;
  lastEvent?: { type: string; severity: string; tsMs: number; checkpointId: string };
}

/** Requests one callback before the next paint: `requestAnimationFrame` in the browser. */
export type FrameScheduler = (cb: () => void) => void;

const LEDGER_ORDER = ['queued', 'sent', 'acked', 'in_progress', 'succeeded', 'failed', 'timed_out', 'cancelled'];

/**
 * The console's live model. SSE batches are only queued on arrival; they are applied
 * together once per animation frame and each listener hears once per frame with the
 * sections that changed — with 1,000 drones at 2 Hz the map redraws at most 60 times a
 * second no matter how many events arrive. No DOM in here, so it is unit-tested in Node.
 */
export class LiveStore {
  readonly drones = new Map<string, DroneState>();
  readonly ledger = new Map<string, LedgerRecord>();
  readonly alarms = new Map<string, Alarm>();
  readonly broadcasts = new Map<string, DeliverySnapshot>();
  readonly sensors = new Map<string, SensorState>();
  readonly speakers = new Map<string, Record<string, unknown>>();
  coverage: unknown[] = [];
  patrol: unknown = undefined;
  warnings: Warning[] | undefined;
  /** Each service's newest health report (telemetry store, spool), by service name. */
  readonly services = new Map<string, { service: string; status: string; reasons: readonly string[]; tsMs: number }>();
  /** Events applied, by type; unknown types are counted and dropped. */
  readonly counts = new Map<string, number>();
  frames = 0;

  private pending: { batch: LiveEvent[]; receivedMs: number }[] = [];
  private applyingReceivedMs = 0;
  private scheduled = false;
  private readonly listeners = new Set<(changed: ReadonlySet<Section>) => void>();
  /** Called for every telemetry event applied, with when its batch arrived (bench hook). */
  onTelemetryApplied: ((droneId: string, tsMs: number, receivedMs: number) => void) | undefined;

  constructor(
    private readonly schedule: FrameScheduler,
    private readonly trailPoints = 120,
  ) {}

  /** Queue a batch from the live stream; applied on the next frame. */
  enqueue(batch: LiveEvent[], receivedMs = Date.now()): void {
    this.pending.push({ batch, receivedMs });
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => this.flush());
  }

  /** Apply now, outside the frame loop (initial state from the REST API). */
  applyNow(batch: LiveEvent[]): void {
    this.notify(this.applyBatch(batch));
  }

  subscribe(fn: (changed: ReadonlySet<Section>) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private sorted: DroneState[] = [];

  /** Drones sorted by id, for lists; re-sorted only when a drone joins (this runs every frame). */
  droneList(): DroneState[] {
    if (this.sorted.length !== this.drones.size) {
      const collator = new Intl.Collator('en', { numeric: true });
      this.sorted = [...this.drones.values()].sort((a, b) => collator.compare(a.id, b.id));
    }
    return this.sorted;
  }

  /** The newest ledger records for one target, newest first. */
  ledgerFor(targetId: string, limit = 10): LedgerRecord[] {
    const out: LedgerRecord[] = [];
    for (const r of this.ledger.values()) if (r.target.id === targetId) out.push(r);
    return out.sort((a, b) => b.createdMs - a.createdMs).slice(0, limit);
  }

  private flush(): void {
    this.scheduled = false;
    const batches = this.pending;
    this.pending = [];
    const changed = new Set<Section>();
    for (const b of batches) {
      this.applyingReceivedMs = b.receivedMs;
      for (const s of this.applyBatch(b.batch)) changed.add(s);
    }
    this.frames++;
    this.notify(changed);
  }

  private notify(changed: ReadonlySet<Section>): void {
    if (changed.size === 0) return;
    for (const l of this.listeners) l(changed);
  }

  private applyBatch(batch: LiveEvent[]): Set<Section> {
    const changed = new Set<Section>();
    for (const ev of batch) {
      const s = this.apply(ev);
      this.counts.set(s ? ev.type : `dropped:${ev.type}`, (this.counts.get(s ? ev.type : `dropped:${ev.type}`) ?? 0) + 1);
      if (s) changed.add(s);
    }
    return changed;
  }

  private drone(id: string): DroneState {
    let d = this.drones.get(id);
    if (!d) {
      d = { id, link: 'never', trail: [] };
      this.drones.set(id, d);
    }
    return d;
  }

  private apply(ev: LiveEvent): Section | undefined {
    const data = ev.data as Record<string, unknown> | null;
    if (!data || typeof data !== 'object') return undefined;
    switch (ev.type) {
      case 'telemetry':
      case 'telemetry_snapshot': {
        const { droneId, ...t } = data as { droneId?: string } & DroneTelemetry;
        if (typeof droneId !== 'string' || typeof t.latDeg !== 'number' || typeof t.lonDeg !== 'number') return undefined;
        const d = this.drone(droneId);
        // Out-of-order telemetry (a reconnect replaying older points) must not move the drone
        // back. Only stream points are compared: a REST snapshot may be stamped by another
        // clock (the control service's, not the vehicle's), and must never freeze the stream.
        if (d.telemetry && !d.snapshot && d.telemetry.tsMs > t.tsMs) return undefined;
        d.snapshot = ev.type === 'telemetry_snapshot';
        d.telemetry = t;
        if (d.link !== 'lost') d.link = 'ok';
        d.trail.push({ latDeg: t.latDeg, lonDeg: t.lonDeg, tsMs: t.tsMs });
        if (d.trail.length > this.trailPoints) d.trail.splice(0, d.trail.length - this.trailPoints);
        this.onTelemetryApplied?.(droneId, t.tsMs, this.applyingReceivedMs);
        return 'drones';
      }
      case 'link': {
        const { droneId, state } = data as { droneId?: string; state?: LinkState };
        if (typeof droneId !== 'string' || (state !== 'ok' && state !== 'lost')) return undefined;
        this.drone(droneId).link = state;
        return 'drones';
      }
      case 'status': {
        const { kind, deviceId, state } = data as { kind?: string; deviceId?: string; state?: string };
        if (typeof deviceId !== 'string') return undefined;
        if (kind === 'drone') {
          const d = this.drone(deviceId);
          d.link = state === 'online' ? 'ok' : 'lost';
          return 'drones';
        }
        if (kind === 'sensor') {
          const s = this.sensors.get(deviceId) ?? { deviceId };
          s.online = state === 'online';
          this.sensors.set(deviceId, s);
          return 'sensors';
        }
        if (kind === 'speaker') {
          this.speakers.set(deviceId, { ...this.speakers.get(deviceId), online: state === 'online' });
          return 'speakers';
        }
        return undefined;
      }
      case 'sensor_event': {
        const e = data as { deviceId?: string; type?: string; severity?: string; tsMs?: number; checkpointId?: string };
        if (typeof e.deviceId !== 'string' || typeof e.checkpointId !== 'string') return undefined;
        const s = this.sensors.get(e.deviceId) ?? { deviceId: e.deviceId };
        s.lastEvent = { type: String(e.type), severity: String(e.severity), tsMs: Number(e.tsMs), checkpointId: e.checkpointId };
        this.sensors.set(e.deviceId, s);
        return 'sensors';
      }
      case 'speaker': {
        const { deviceId, ...rest } = data as { deviceId?: string };
        if (typeof deviceId !== 'string') return undefined;
        this.speakers.set(deviceId, { ...this.speakers.get(deviceId), ...rest });
        return 'speakers';
      }
      case 'ledger': {
        const r = data as unknown as LedgerRecord;
        if (typeof r.id !== 'string' || !Array.isArray(r.transitions)) return undefined;
        const old = this.ledger.get(r.id);
        // A record only moves forward: keep whichever has seen more transitions.
        if (old && old.transitions.length > r.transitions.length) return undefined;
        if (old && old.transitions.length === r.transitions.length && LEDGER_ORDER.indexOf(old.state) > LEDGER_ORDER.indexOf(r.state)) return undefined;
        this.ledger.set(r.id, r);
        return 'ledger';
      }
      case 'alarm': {
        const a = data as unknown as Alarm;
        if (typeof a.id !== 'string') return undefined;
        this.alarms.set(a.id, a);
        return 'alarms';
      }
      case 'broadcast': {
        const b = data as unknown as DeliverySnapshot;
        if (typeof b.broadcastId !== 'string') return undefined;
        this.broadcasts.set(b.broadcastId, b);
        return 'broadcasts';
      }
      case 'coverage':
        if (!Array.isArray(ev.data)) return undefined;
        this.coverage = ev.data;
        return 'coverage';
      case 'patrol':
        this.patrol = ev.data;
        return 'patrol';
      case 'warnings':
        if (!Array.isArray(ev.data)) return undefined;
        this.warnings = ev.data as Warning[];
        return 'warnings';
      case 'service-health': {
        const h = data as { service?: unknown; status?: unknown; reasons?: unknown; tsMs?: unknown };
        if (typeof h.service !== 'string' || typeof h.status !== 'string') return undefined;
        this.services.set(h.service, { service: h.service, status: h.status, reasons: Array.isArray(h.reasons) ? h.reasons.map(String) : [], tsMs: Number(h.tsMs) });
        return 'services';
      }
      default:
        return undefined;
    }
  }
}
