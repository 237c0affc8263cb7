import { randomUUID } from 'node:crypto';
import { checkPayload, deviceTopic, type AckPayload, type DeviceKind } from '../../protocol/index.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { LedgerRecord, LedgerState } from '../ledger/machine.ts';
import type { Clock, ControlTimeouts } from '../timeouts.ts';
import type { Bus } from './bus.ts';
import { InboundRouter, type InboundMessage } from './inbound-router.ts';
import type { IssuedCommand } from '../commands/drone-commands.ts';

/** Device ack state → ledger state. Pure; the one mapping for MQTT devices. */
export function ledgerStateForAck(state: AckPayload['state']): LedgerState {
  switch (state) {
    case 'accepted':
      return 'acked';
    case 'in_progress':
    case 'playing':
      return 'in_progress';
    case 'succeeded':
    case 'finished':
      return 'succeeded';
    case 'stopped':
      return 'cancelled';
    case 'rejected':
    case 'failed':
    case 'preempted':
      return 'failed';
  }
}

export interface DeviceCommandCounters {
  acksReceived: number;
  /** Acks that named no command we issued to that device (bad payloads are the inbound router's count). */
  acksDropped: number;
  /** Commands issued while the broker was unreachable, held in `queued` until it came back. */
  held: number;
  /** Held commands that expired before the broker came back (ledger: failed, never sent). */
  expiredUnsent: number;
}

export interface DeviceCommandOptions {
  /**
   * Longest a command without its own `expiresAtMs` is held while the broker is away;
   * one with `expiresAtMs` is held until then.
   */
  maxHoldMs?: number;
  /** The control service's inbound MQTT router (one made over `bus` when absent, e.g. in tests). */
  inbound?: InboundRouter;
}

interface Held {
  topic: string;
  json: string;
  timer: NodeJS.Timeout;
}

interface Inflight {
  timer: NodeJS.Timeout | undefined;
}

/**
 * Commands to MQTT devices (speakers, sensors, MQTT drones) through the same ledger:
 * published on the device's `cmd` topic with the ledger id, correlated by that id with
 * the device's `ack` channel, timed out when the device stays silent.
 *
 * While the broker is unreachable a command is held here, `queued` in the ledger, and
 * sent when the link comes back (failed if it expires first) rather than left in
 * mqtt.js's offline store: that store would deliver it after its ledger record had timed
 * out, so a speaker would play a command the ledger calls unanswered, and the
 * broadcast's retry would then find it busy.
 */
export class DeviceCommands {
  readonly counters: DeviceCommandCounters = { acksReceived: 0, acksDropped: 0, held: 0, expiredUnsent: 0 };
  private readonly inflight = new Map<string, Inflight>();
  private readonly held = new Map<string, Held>();
  private readonly maxHoldMs: number;
  private closed = false;
  private readonly inbound: InboundRouter;

  constructor(
    private readonly bus: Bus,
    private readonly ledger: Ledger,
    private readonly clock: Clock,
    private readonly t: Pick<ControlTimeouts, 'deviceAckMs' | 'deviceCompletionMs'>,
    o: DeviceCommandOptions = {},
  ) {
    this.maxHoldMs = o.maxHoldMs ?? 30_000;
    this.inbound = o.inbound ?? new InboundRouter(bus);
  }

  /** Subscribes to every device's ack channel. Call once before issuing. */
  async start(): Promise<void> {
    this.bus.onReconnect?.(() => this.sendHeld());
    await this.inbound.on<AckPayload>('+', 'ack', (m) => this.onAck(m));
  }

  /**
   * Sends `payload` (the command body without id/tsMs/issuer, e.g. `{ action: 'play', ... }`)
   * to a device. Validated against the device's cmd schema before anything is sent.
   */
  issue(target: { kind: DeviceKind; id: string }, payload: Record<string, unknown>, issuer: string, id = randomUUID()): IssuedCommand {
    const body = { ...payload, id, tsMs: this.clock.nowMs(), issuer };
    const action = typeof payload['action'] === 'string' ? payload['action'] : 'cmd';
    const rec = this.ledger.open({ id, issuer, target, kind: action, via: 'mqtt', payload }, () => this.cancel(id));
    const done = this.ledger.settled(id);
    const json = JSON.stringify(body);
    const check = checkPayload(target.kind, 'cmd', json);
    if (!check.ok) {
      this.ledger.move(rec.id, 'failed', { detail: `invalid command: ${check.message}` });
      return { id, done };
    }
    const topic = deviceTopic(target.kind, target.id, 'cmd');
    if (this.bus.connected === false) this.hold(id, topic, json, payload['expiresAtMs']);
    else this.send(id, topic, json);
    return { id, done };
  }

  private send(id: string, topic: string, json: string): void {
    this.bus.publish(topic, json, { qos: 1 });
    this.ledger.move(id, 'sent');
    this.arm(id, this.t.deviceAckMs, 'no ack from the device');
  }

  private hold(id: string, topic: string, json: string, expiresAtMs: unknown): void {
    const now = this.clock.nowMs();
    const holdMs = typeof expiresAtMs === 'number' ? Math.max(0, expiresAtMs - now) : this.maxHoldMs;
    this.counters.held++;
    const timer = setTimeout(() => {
      this.held.delete(id);
      this.counters.expiredUnsent++;
      this.ledger.move(id, 'failed', { detail: `not sent: the broker was unreachable for ${holdMs} ms, until the command expired` });
    }, holdMs);
    timer.unref();
    this.held.set(id, { topic, json, timer });
  }

  /** The broker is back: send what was held, oldest first (Map keeps insertion order). */
  private sendHeld(): void {
    for (const [id, h] of [...this.held]) {
      clearTimeout(h.timer);
      this.held.delete(id);
      this.send(id, h.topic, h.json);
    }
  }

  private arm(id: string, ms: number, why: string): void {
    const f = this.inflight.get(id) ?? { timer: undefined };
    if (f.timer) clearTimeout(f.timer);
    f.timer = setTimeout(() => {
      this.inflight.delete(id);
      this.ledger.move(id, 'timed_out', { detail: `${why} within ${ms} ms` });
    }, ms);
    // A device's silence must not keep the process alive on its own.
    f.timer.unref();
    this.inflight.set(id, f);
  }

  /** An ack the inbound router already validated against its kind's schema. */
  private onAck(t: InboundMessage<AckPayload>): void {
    // Closed: the broker link still delivers acks while the stack shuts down; they would
    // arm timers (120 s for a playing speaker) for a service that is gone.
    if (this.closed) return;
    const ack = t.value;
    const rec: LedgerRecord | undefined = this.ledger.get(ack.id);
    // An ack counts only from the device the command went to.
    if (!rec || rec.via !== 'mqtt' || rec.target.id !== t.deviceId || rec.target.kind !== t.kind) {
      this.counters.acksDropped++;
      return;
    }
    this.counters.acksReceived++;
    const to = ledgerStateForAck(ack.state);
    const extra: { detail?: string; progressPct?: number; result?: LedgerRecord['result'] } = { detail: ack.reason ?? ack.state };
    if (ack.progressPct !== undefined) extra.progressPct = ack.progressPct;
    // The ledger folds rejected, failed and preempted into `failed`; keep the device's word.
    if (to === 'failed') extra.result = { deviceState: ack.state };
    if (to === 'in_progress' && rec.state === 'sent') this.ledger.move(ack.id, 'acked', { detail: 'implicit in ' + ack.state });
    if (to === 'succeeded' && rec.state === 'sent') this.ledger.move(ack.id, 'acked', { detail: 'implicit in ' + ack.state });
    if (!this.ledger.move(ack.id, to, extra)) return;
    if (to === 'acked' || to === 'in_progress') this.arm(ack.id, this.t.deviceCompletionMs, 'no final ack from the device');
    else this.clear(ack.id);
  }

  private cancel(id: string): void {
    this.clear(id);
    this.ledger.move(id, 'cancelled', { detail: 'cancelled by request' });
  }

  private clear(id: string): void {
    const h = this.held.get(id);
    if (h) clearTimeout(h.timer);
    this.held.delete(id);
    const f = this.inflight.get(id);
    if (f?.timer) clearTimeout(f.timer);
    this.inflight.delete(id);
  }

  close(): void {
    this.closed = true;
    for (const id of [...this.inflight.keys(), ...this.held.keys()]) this.clear(id);
  }
}
