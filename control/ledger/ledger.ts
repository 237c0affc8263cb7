import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Clock } from '../timeouts.ts';
import { ControlError } from '../errors.ts';
import {
  createRecord,
  transition,
  TERMINAL_STATES,
  type LedgerRecord,
  type LedgerState,
  type LedgerTransition,
  type NewRecord,
} from './machine.ts';

/** Where state changes go: the JSONL store, the MQTT publisher. */
export interface LedgerSink {
  write(record: LedgerRecord, change: LedgerTransition): void;
  close?(): Promise<void>;
}

interface LedgerEvents {
  change: [LedgerRecord, LedgerTransition];
}

/**
 * The command ledger: the only source of "what a device is doing". It holds records,
 * applies the pure machine's transitions, and hands each change to its sinks. Records
 * never move to acked/in_progress/succeeded except from a device confirmation: the
 * vehicle API and the MQTT command path are its only callers for those states.
 */
export class Ledger extends EventEmitter<LedgerEvents> {
  private readonly records = new Map<string, LedgerRecord>();
  private readonly cancellers = new Map<string, () => void>();
  /** Moves refused by the machine (a late ack after a timeout, say): counted, not thrown. */
  refusedTransitions = 0;

  constructor(
    private readonly clock: Clock,
    private readonly sinks: LedgerSink[] = [],
    /** Bound on finished records kept in memory; the sinks keep the full history. */
    private readonly maxFinished = 10_000,
  ) {
    super();
  }

  /** Opens a record in `queued`. `id` defaults to a UUID; a duplicate id is refused. */
  open(r: Omit<NewRecord, 'id'> & { id?: string }, cancel?: () => void): LedgerRecord {
    const id = r.id ?? randomUUID();
    if (this.records.has(id)) throw new ControlError('CTL_ERR_INVALID_TRANSITION', `command id ${id} already exists`);
    const rec = createRecord({ ...r, id }, this.clock.nowMs());
    this.records.set(id, rec);
    if (cancel) this.cancellers.set(id, cancel);
    this.emitChange(rec, rec.transitions[0]!);
    this.trim();
    return rec;
  }

  /** Applies a transition; returns false (and counts it) when the machine refuses. */
  move(id: string, to: LedgerState, extra: { detail?: string; progressPct?: number; distanceLeftM?: number; etaS?: number; result?: LedgerRecord['result'] } = {}): boolean {
    const rec = this.records.get(id);
    if (!rec) return false;
    const out = transition(rec, to, this.clock.nowMs(), extra);
    if (!out.ok) {
      this.refusedTransitions++;
      return false;
    }
    this.records.set(id, out.record);
    if (TERMINAL_STATES.has(to)) this.cancellers.delete(id);
    this.emitChange(out.record, out.change);
    return true;
  }

  /** Records why a sent command is still open (it stays in its state). */
  note(id: string, detail: string): boolean {
    const rec = this.records.get(id);
    if (!rec) return false;
    return this.move(id, rec.state, { detail });
  }

  /** Asks the command's runner to stop; the runner moves the record to `cancelled`. */
  cancel(id: string): boolean {
    const rec = this.records.get(id);
    if (!rec) throw new ControlError('CTL_ERR_UNKNOWN_COMMAND', id);
    if (TERMINAL_STATES.has(rec.state)) return false;
    const c = this.cancellers.get(id);
    if (c) c();
    else this.move(id, 'cancelled', { detail: 'cancelled by request' });
    return true;
  }

  /**
   * Takes back records stored by an earlier run. A command that was still open when the
   * service stopped can no longer be confirmed by its device: it ends as timed_out.
   */
  restore(records: LedgerRecord[]): void {
    for (const r of records) {
      if (this.records.has(r.id)) continue;
      this.records.set(r.id, r);
      if (!TERMINAL_STATES.has(r.state)) this.move(r.id, 'timed_out', { detail: 'control service restarted before the device answered' });
    }
    this.trim();
  }

  get(id: string): LedgerRecord | undefined {
    return this.records.get(id);
  }

  list(filter: { targetId?: string; active?: boolean } = {}): LedgerRecord[] {
    const out: LedgerRecord[] = [];
    for (const r of this.records.values()) {
      if (filter.targetId && r.target.id !== filter.targetId) continue;
      if (filter.active !== undefined && filter.active === TERMINAL_STATES.has(r.state)) continue;
      out.push(r);
    }
    return out;
  }

  /** Resolves when the record reaches a terminal state. */
  settled(id: string): Promise<LedgerRecord> {
    const now = this.records.get(id);
    if (!now) return Promise.reject(new ControlError('CTL_ERR_UNKNOWN_COMMAND', id));
    if (TERMINAL_STATES.has(now.state)) return Promise.resolve(now);
    // Waiters are kept per id rather than as 'change' listeners: with hundreds of commands
    // in flight (a broadcast to every speaker) each change would otherwise visit them all.
    return new Promise((resolve) => {
      const list = this.waiters.get(id) ?? [];
      list.push(resolve);
      this.waiters.set(id, list);
    });
  }

  private readonly waiters = new Map<string, ((rec: LedgerRecord) => void)[]>();

  private emitChange(rec: LedgerRecord, change: LedgerTransition): void {
    for (const s of this.sinks) {
      try {
        s.write(rec, change);
      } catch {
        // A failing sink must not stop the ledger; the sink counts its own errors.
      }
    }
    this.emit('change', rec, change);
    if (TERMINAL_STATES.has(rec.state)) {
      const waiting = this.waiters.get(rec.id);
      this.waiters.delete(rec.id);
      for (const resolve of waiting ?? []) resolve(rec);
    }
  }

  private trim(): void {
    if (this.records.size <= this.maxFinished) return;
    for (const [id, r] of this.records) {
      if (this.records.size <= this.maxFinished) break;
      if (TERMINAL_STATES.has(r.state)) this.records.delete(id);
    }
  }

  async close(): Promise<void> {
    for (const s of this.sinks) await s.close?.();
  }
}
