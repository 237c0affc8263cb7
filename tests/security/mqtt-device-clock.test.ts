import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBrokerServer, type BrokerServer } from '../../broker/index.ts';
import { collect, connectAs, demoSite, nextMessage, type TestBroker } from '../helpers/broker.ts';

/**
 * Issue 12 item 10: a telemetry `tsMs` far in the future pinned the device's "latest"
 * state forever. The broker refuses device payloads stamped more than 5 minutes ahead of
 * its own clock (injected here), counts them and logs once per device.
 */
const R = 'ringwatch/v1';
const CLOCK_MS = 1_800_000_000_000;
const lines: { msg: string; clientId?: string }[] = [];
let server: BrokerServer;
let broker: Pick<TestBroker, 'url' | 'secrets'>;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const { site, secrets } = demoSite();
  server = await startBrokerServer({ site, host: '127.0.0.1', mqttPort: 0, wsPort: null, logger: pino({ level: 'warn' }, sink), nowMs: () => CLOCK_MS });
  broker = { url: `mqtt://127.0.0.1:${server.mqttPort}`, secrets };
});
afterAll(async () => {
  await server.close();
});

const telemetry = (tsMs: number, volumePct: number) => JSON.stringify({ tsMs, state: 'idle', volumePct });

test('telemetry over 5 minutes ahead is dropped and counted, logged once per device; within 5 minutes it passes', async () => {
  const device = await connectAs(broker, 'sp-4');
  const control = await connectAs(broker, 'control');
  await control.subscribeAsync(`${R}/speaker/sp-4/#`, { qos: 1 });
  const seen = collect(control);
  const topic = `${R}/speaker/sp-4/telemetry`;

  for (let i = 0; i < 3; i++) await device.publishAsync(topic, telemetry(CLOCK_MS + 5 * 60_000 + 1_000 + i, 10 + i), { qos: 1 });
  await device.publishAsync(`${R}/speaker/sp-4/status`, JSON.stringify({ tsMs: CLOCK_MS + 3_600_000, state: 'online' }), { qos: 1 });
  // Four minutes ahead is drift, not a broken clock: routed. Its arrival proves the earlier ones would have.
  const ok = nextMessage(control, (m) => m.topic === topic);
  await device.publishAsync(topic, telemetry(CLOCK_MS + 4 * 60_000, 50), { qos: 1 });
  expect(JSON.parse((await ok).payload)).toMatchObject({ volumePct: 50 });

  expect(seen.map((m) => m.topic)).toEqual([topic]);
  expect(server.metrics().rejects.future_ts).toBe(4);
  const warnings = lines.filter((l) => /ahead of the broker's clock/.test(l.msg));
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatchObject({ clientId: 'sp-4' });
  expect(device.connected).toBe(true);
  await Promise.all([device.endAsync(true), control.endAsync(true)]);
});
