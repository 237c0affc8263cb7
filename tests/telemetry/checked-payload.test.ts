import { afterEach, describe, expect, it } from 'vitest';
import { mapMessage } from '../../telemetry/mapping/index.ts';
import { connectAs } from '../helpers/broker.ts';
import { until } from '../helpers/wait.ts';
import { brokerWithDrone as brokerWithDroneAt, telemetryPayload } from './ingest-helpers.ts';

/**
 * `ringwatch up` parses each device payload once: the broker's publish guard validates it
 * and hands the parsed value through the accepted-publish tap, and the telemetry mapping
 * maps that value instead of parsing the bytes again.
 */
const DRONE = 'drone-1';
const topic = `ringwatch/v1/drone/${DRONE}/telemetry`;

let cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const brokerWithDrone = () => brokerWithDroneAt(DRONE, cleanups);

describe('one parse per message on the in-process path', () => {
  it('the tap gets the payload the broker validated, parsed; service topics come unparsed', async () => {
    const { broker, drone } = await brokerWithDrone();
    const seen: { topic: string; checked: unknown }[] = [];
    broker.server.broker.tapAccepted((t, _payload, checked) => seen.push({ topic: t, checked }));
    const body = telemetryPayload(Date.now(), 7);
    await drone.publishAsync(topic, body, { qos: 1 });
    const control = await connectAs(broker, 'control');
    cleanups.push(() => control.endAsync(true));
    await control.publishAsync('ringwatch/v1/svc/reports', JSON.stringify({ n: 1 }), { qos: 1 });
    await until(() => seen.length === 2, 'both publishes tapped', 5_000);
    expect(seen[0]).toEqual({ topic, checked: JSON.parse(body) });
    expect(seen[1]).toEqual({ topic: 'ringwatch/v1/svc/reports', checked: undefined });
  });

  it('maps a checked value without reading the bytes, and checks the bytes when there is none', () => {
    const value = JSON.parse(telemetryPayload(1_795_000_000_000, 3)) as Record<string, unknown>;
    const fromValue = mapMessage('lakeside', topic, Buffer.from('bytes that are not read'), value);
    const fromBytes = mapMessage('lakeside', topic, Buffer.from(JSON.stringify(value)));
    expect(fromValue.ok).toBe(true);
    expect(fromValue).toEqual(fromBytes);
    expect(mapMessage('lakeside', topic, Buffer.from('not json'))).toMatchObject({ ok: false, reason: 'not_json' });
  });
});
