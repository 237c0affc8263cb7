import { randomUUID } from 'node:crypto';
import { checkPayload, deviceTopic, parseDeviceTopic, type AckPayload, type DeviceKind } from '../../protocol/index.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { LedgerRecord, LedgerState } from '../ledger/machine.ts';
import type { Clock, ControlTimeouts } from '../timeouts.ts';
import type { Bus } from './bus.ts';
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
  /** Acks that failed the schema, or named no command we issued to that device. */
  acksDropped: number;
}

interface Inflight {
  timer: NodeJS.Timeout | undefined;
}

/**
 * Commands to MQTT devices (speakers, sensors, MQTT drones) through the same ledger:
 * published on the device's `cmd` topic with the ledger id, correlated by that id with
 * the device's `ack` channel, timed out when the device stays silent.
 */
export class DeviceCommands {
  readonly counters: DeviceCommandCounters = { acksReceived: 0, acksDropped: 0 };
  private readonly inflight = new Map<string, Inflight>();

  constructor(
    private readonly bus: Bus,
    private readonly ledger: Ledger,
    private readonly clock: Clock,
    private readonly t: Pick<ControlTimeouts, 'deviceAckMs' | 'deviceCompletionMs'>,
  ) {}

  /** Subscribes to every device's ack channel. Call once before issuing. */
  async start(): Promise<void> {
    await this.bus.subscribe('ringwatch/v1/+/+/ack', (topic, payload) => this.onAck(topic, payload));
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
    this.bus.publish(deviceTopic(target.kind, target.id, 'cmd'), json, { qos: 1 });
    this.ledger.move(id, 'sent');
    this.arm(id, this.t.deviceAckMs, 'no ack from the device');
    return { id, done };
  }

  private arm(id: string, ms: number, why: string): void {
    const f = this.inflight.get(id) ?? { timer: undefined };
    if (f.timer) clearTimeout(f.timer);
    f.timer = setTimeout(() => {
      this.inflight.delete(id);
      this.ledger.move(id, 'timed_out', { detail: `${why} within ${ms} ms` });
    }, ms);
    this.inflight.set(id, f);
  }

  private onAck(topic: string, payload: Buffer): void {
    const t = parseDeviceTopic(topic);
    const check = checkPayload<AckPayload>(t?.kind ?? 'speaker', 'ack', payload);
    if (!t || !check.ok) {
      this.counters.acksDropped++;
      return;
    }
    const ack = check.value;
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
    const f = this.inflight.get(id);
    if (f?.timer) clearTimeout(f.timer);
    this.inflight.delete(id);
  }

  close(): void {
    for (const id of [...this.inflight.keys()]) this.clear(id);
  }
}
