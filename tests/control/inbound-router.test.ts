import { describe, expect, it } from 'vitest';
import type { Bus } from '../../control/mqtt/bus.ts';
import { InboundRouter, type InboundMessage } from '../../control/mqtt/inbound-router.ts';
import { deviceTopic } from '../../protocol/index.ts';

/** A broker link that records subscriptions and delivers to matching filters, as MqttBus does. */
// (MQTT `+` only: the router subscribes nothing else.)
const filterRe = (filter: string) => new RegExp(`^${filter.split('/').map((p) => (p === '+' ? '[^/]+' : p)).join('/')}$`);

class RecordingBus implements Bus {
  readonly subscriptions: string[] = [];
  private readonly handlers: { re: RegExp; fn: (topic: string, payload: Buffer) => void }[] = [];
  publish(): void {}
  async subscribe(filter: string, fn: (topic: string, payload: Buffer) => void): Promise<void> {
    this.subscriptions.push(filter);
    this.handlers.push({ re: filterRe(filter), fn });
  }
  deliver(topic: string, body: unknown): void {
    const payload = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    for (const h of this.handlers) if (h.re.test(topic)) h.fn(topic, payload);
  }
}

const event = { id: 'e-1', tsMs: 1_700_000_000_000, type: 'perimeter_intrusion', severity: 'high', checkpointId: 'cp-1' };

describe('InboundRouter', () => {
  it('subscribes once per topic filter and validates once for every handler of it', async () => {
    const bus = new RecordingBus();
    const router = new InboundRouter(bus);
    const a: InboundMessage[] = [];
    const b: InboundMessage[] = [];
    // Dispatch and the live hub both want sensor events: one subscription between them.
    await router.on('sensor', 'event', (m) => a.push(m));
    await router.on('sensor', 'event', (m) => b.push(m));
    await router.on('+', 'ack', () => undefined);
    expect(bus.subscriptions).toEqual(['ringwatch/v1/sensor/+/event', 'ringwatch/v1/+/+/ack']);

    bus.deliver(deviceTopic('sensor', 'cp-1-s1', 'event'), event);
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(1);
    expect(a[0]).toMatchObject({ kind: 'sensor', deviceId: 'cp-1-s1', channel: 'event', value: { id: 'e-1' } });
    // One parsed value for both handlers: validated once, not once per handler.
    expect(a[0]!.value).toBe(b[0]!.value);
    expect(router.counters).toMatchObject({ received: 1, dispatched: 1 });
  });

  it('counts and drops an invalid payload with a message naming the field; the next one still flows', async () => {
    const bus = new RecordingBus();
    const lines: string[] = [];
    const router = new InboundRouter(bus, { log: (l) => lines.push(l) });
    const got: InboundMessage[] = [];
    await router.on('sensor', 'event', (m) => got.push(m));

    bus.deliver(deviceTopic('sensor', 'cp-1-s1', 'event'), { ...event, tsMs: 'yesterday' });
    bus.deliver(deviceTopic('sensor', 'cp-1-s1', 'event'), '{not json');
    expect(got).toHaveLength(0);
    expect(router.counters.dropped).toMatchObject({ schema: 1, not_json: 1 });
    expect(lines[0]).toMatch(/schema.*ringwatch\/v1\/sensor\/cp-1-s1\/event.*field \/tsMs/);

    // A device repeating the same mistake is logged once, then only counted.
    bus.deliver(deviceTopic('sensor', 'cp-1-s1', 'event'), { ...event, tsMs: 'yesterday' });
    expect(router.counters.dropped.schema).toBe(2);
    expect(lines.filter((l) => l.includes('(schema)'))).toHaveLength(1);

    bus.deliver(deviceTopic('sensor', 'cp-1-s1', 'event'), event);
    expect(got).toHaveLength(1);
  });

  it('counts a throwing handler without starving the others', async () => {
    const bus = new RecordingBus();
    const router = new InboundRouter(bus);
    const got: string[] = [];
    await router.on('sensor', 'event', () => {
      throw new Error('bug');
    });
    await router.on('sensor', 'event', (m) => got.push(m.deviceId));
    bus.deliver(deviceTopic('sensor', 'cp-1-s1', 'event'), event);
    expect(got).toEqual(['cp-1-s1']);
    expect(router.counters.dropped.handler_error).toBe(1);
  });

  it("skips control's own messages, already delivered in-process, before parsing them", async () => {
    const bus = new RecordingBus();
    const own = new Set(['d-1']);
    const router = new InboundRouter(bus, { inProcess: (t) => t.kind === 'drone' && t.channel === 'telemetry' && own.has(t.deviceId) });
    const got: string[] = [];
    await router.on('drone', 'telemetry', (m) => got.push(m.deviceId));
    // Not even JSON: it would be a not_json drop if it were parsed.
    bus.deliver(deviceTopic('drone', 'd-1', 'telemetry'), 'x');
    expect(router.counters).toMatchObject({ ownSkipped: 1, dispatched: 0 });
    expect(router.counters.dropped.not_json).toBe(0);
    expect(got).toEqual([]);
  });
});

describe('inbound drops on /metrics', () => {
  it('counts dropped device messages by reason', async () => {
    const { controlObservability } = await import('../../control/observability/metrics.ts');
    const { Ledger } = await import('../../control/ledger/ledger.ts');
    const bus = new RecordingBus();
    const inbound = new InboundRouter(bus);
    await inbound.on('sensor', 'event', () => undefined);
    bus.deliver(deviceTopic('sensor', 'cp-1-s1', 'event'), { ...event, severity: 'apocalyptic' });
    const control = { vehicles: new Map(), links: new Map(), ledger: new Ledger({ nowMs: () => 0 }), devices: undefined, gateway: undefined, inbound, stats: () => ({ links: [], ledgerRefusedTransitions: 0 }) };
    const text = await controlObservability({ control, wallMs: () => 0 }).registry.metrics();
    expect(text).toContain('ringwatch_control_mqtt_inbound_dropped_total{reason="schema"} 1');
    expect(text).toContain('ringwatch_control_mqtt_inbound_dropped_total{reason="not_json"} 0');
  });
});
