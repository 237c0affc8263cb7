import { LEDGER_TOPIC } from '../../protocol/service-records.ts';
import type { Bus } from '../mqtt/bus.ts';
import type { LedgerSink } from './ledger.ts';
import type { LedgerRecord, LedgerTransition } from './machine.ts';

// The topic is the protocol's; re-exported for the callers that read it from here.
export { LEDGER_TOPIC };

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
