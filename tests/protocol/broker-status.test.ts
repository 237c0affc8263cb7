import { describe, expect, test } from 'vitest';
import { brokerHealth, brokerStatusRecord, LOOP_DELAY_DEGRADED_MS, statusDue, statusPayload } from '../../broker/status-publisher.ts';
import { MetricsRegistry, REJECT_REASONS } from '../../broker/metrics.ts';
import { checkBrokerStatus, MAX_BROKER_STATUS_BYTES, type BrokerStatusRecord } from '../../protocol/index.ts';

function metrics(f: (m: MetricsRegistry) => void = () => undefined) {
  const m = new MetricsRegistry(['sp-1']);
  f(m);
  return m.snapshot();
}

const record = (over: Partial<BrokerStatusRecord> = {}): BrokerStatusRecord => ({
  ...brokerStatusRecord({ brokerId: 'b1', nowMs: 2000, startedAtMs: 1000, metrics: metrics(), deviceRejects: { devices: {}, omitted: 0 }, loopDelayP99Ms: 1 }),
  ...over,
});

describe('broker status record', () => {
  test('a record built from the counters passes its own schema', () => {
    const m = metrics((r) => {
      r.clientConnected('speaker');
      r.reject('schema', 'sp-1');
    });
    const rec = brokerStatusRecord({ brokerId: 'b1', nowMs: 5000, startedAtMs: 1000, metrics: m, deviceRejects: { devices: { 'sp-1': { schema: 1 } }, omitted: 0 }, loopDelayP99Ms: 3 });
    expect(rec).toMatchObject({ clientsTotal: 1, rejects: { schema: 1 }, rejectsTotal: 1, devices: { 'sp-1': { schema: 1 } }, health: { status: 'ok', reasons: [] } });
    expect(checkBrokerStatus(JSON.stringify(rec))).toEqual({ ok: true, value: rec });
  });

  test.each([
    ['not JSON', '{"brokerId":', 'not_json', /not JSON/],
    ['a missing field', JSON.stringify({ ...record(), health: undefined }), 'schema', /health/],
    ['a negative count', JSON.stringify(record({ clientsTotal: -1 })), 'schema', /clientsTotal/],
    ['a device id that is not one', JSON.stringify(record({ devices: { 'Bad Id!': { acl: 1 } } })), 'schema', /devices/],
    ['a reason that is not one', JSON.stringify(record({ rejects: { 'No Reason': 1 } })), 'schema', /rejects/],
    ['an unknown health', JSON.stringify(record({ health: { status: 'fine' as 'ok', reasons: [] } })), 'schema', /health\/status/],
    ['an unknown field', JSON.stringify({ ...record(), extra: 1 }), 'schema', /extra/],
    ['a health reason in words, not a code', JSON.stringify(record({ health: { status: 'degraded', reasons: ['slow' as never] } })), 'schema', /health\/reasons\/0/],
    ['oversize', JSON.stringify({ ...record(), pad: 'x'.repeat(70_000) }), 'oversize', /limit/],
  ])('refuses %s, naming what is wrong', (_name, payload, reason, message) => {
    const c = checkBrokerStatus(payload);
    expect(c.ok).toBe(false);
    if (!c.ok) {
      expect(c.reason).toBe(reason);
      expect(c.message).toMatch(message);
    }
  });

  test('health: degraded on deliveries shed, connections capped or a late event loop, since the previous status', () => {
    const before = metrics((m) => m.reject('slow_consumer'));
    expect(brokerHealth({ metrics: before, previous: before, loopDelayP99Ms: 5 })).toEqual({ status: 'ok', reasons: [] });
    const after = metrics((m) => {
      for (let i = 0; i < 4; i++) m.reject('slow_consumer');
      m.reject('connection_cap');
    });
    expect(brokerHealth({ metrics: after, previous: before, loopDelayP99Ms: LOOP_DELAY_DEGRADED_MS + 50 })).toEqual({
      status: 'degraded',
      reasons: [
        { code: 'shed', value: 3 },
        { code: 'capped', value: 1 },
        { code: 'loop_delay', value: LOOP_DELAY_DEGRADED_MS + 50 },
      ],
    });
  });

  test('published on the interval, and sooner when clients or refusals change (not for traffic alone)', () => {
    const a = metrics();
    const busy = { ...a, messagesIn: 500, messagesOut: 900 };
    const refused = metrics((m) => m.reject('acl', 'sp-1'));
    const joined = metrics((m) => m.clientConnected('sensor'));
    expect(statusDue(undefined, 0, a, 0, 5000)).toBe(true);
    expect(statusDue(a, 1000, busy, 2000, 5000)).toBe(false);
    expect(statusDue(a, 1000, refused, 2000, 5000)).toBe(true);
    expect(statusDue(a, 1000, joined, 2000, 5000)).toBe(true);
    expect(statusDue(a, 1000, busy, 6000, 5000)).toBe(true);
  });
});

describe('broker status size', () => {
  test('lists fewer devices when the record would pass the size control accepts', () => {
    // Every reason at once for 200 devices with long ids: more than control accepts.
    const many = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`checkpoint-sensor-${String(i).padStart(4, '0')}`, Object.fromEntries(REJECT_REASONS.map((r) => [r, 1_234_567]))]));
    const build = (limit: number) => {
      const ids = Object.keys(many).slice(0, limit);
      return record({ devices: Object.fromEntries(ids.map((id) => [id, many[id]!])), devicesOmitted: 200 - ids.length });
    };
    expect(Buffer.byteLength(JSON.stringify(build(200)))).toBeGreaterThan(MAX_BROKER_STATUS_BYTES);
    const json = statusPayload(build);
    const c = checkBrokerStatus(json);
    expect(c.ok).toBe(true);
    if (c.ok) {
      expect(Object.keys(c.value.devices).length).toBe(100);
      expect(c.value.devicesOmitted).toBe(100);
    }
    // A small record goes out whole.
    expect(JSON.parse(statusPayload(() => record())).devicesOmitted).toBe(0);
  });
});
