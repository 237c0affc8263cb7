import { serviceTopic } from '../../protocol/index.ts';
import type { Bus } from '../mqtt/bus.ts';
import type { LedgerSink } from './ledger.ts';
import type { LedgerRecord, LedgerTransition } from './machine.ts';

export const LEDGER_TOPIC = serviceTopic('ledger');

/**
 * Publishes each state change at QoS 1 on ringwatch/v1/svc/ledger as
 * `{ tsMs, id, state, detail?, record }`; the telemetry service stores them in InfluxDB
 * and web clients follow commands from it.
 */
export class MqttLedgerSink implements LedgerSink {
  constructor(private readonly bus: Bus) {}

  write(record: LedgerRecord, change: LedgerTransition): void {
    const msg: Record<string, unknown> = { tsMs: change.tsMs, id: record.id, state: change.state, record };
    if (change.detail !== undefined) msg['detail'] = change.detail;
    this.bus.publish(LEDGER_TOPIC, JSON.stringify(msg), { qos: 1 });
  }
}
