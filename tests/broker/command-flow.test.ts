import { afterAll, beforeAll, expect, test } from 'vitest';
import { connectAs, demoSite, nextMessage, startBroker, withDeviceSecret, type TestBroker } from '../helpers/broker.ts';

/** A drone with its own MQTT link: telemetry out, a command in, acks back, seen by the right services only. */
let broker: TestBroker;
beforeAll(async () => {
  const { site, secrets } = withDeviceSecret(demoSite().site, demoSite().secrets, 'drone-2');
  broker = await startBroker({ site, secrets });
});
afterAll(async () => {
  await broker.close();
});

const R = 'ringwatch/v1';

test('command → drone → accepted/succeeded acks reach control and web; web never sees the command', async () => {
  const drone = await connectAs(broker, 'drone-2');
  const control = await connectAs(broker, 'control');
  const web = await connectAs(broker, 'web');
  await drone.subscribeAsync(`${R}/drone/drone-2/cmd`, { qos: 1 });
  await control.subscribeAsync(`${R}/+/+/ack`, { qos: 1 });
  await web.subscribeAsync([`${R}/+/+/ack`, `${R}/+/+/telemetry`], { qos: 1 });
  const webTopics: string[] = [];
  web.on('message', (t) => webTopics.push(t));

  drone.on('message', (_topic, payload) => {
    const cmd = JSON.parse(payload.toString()) as { id: string; action: string };
    for (const state of ['accepted', 'succeeded'] as const) {
      drone.publish(`${R}/drone/drone-2/ack`, JSON.stringify({ id: cmd.id, tsMs: Date.now(), state }), { qos: 1 });
    }
  });
  const acks: string[] = [];
  const done = new Promise<void>((resolve) =>
    control.on('message', (_t, p) => {
      const ack = JSON.parse(p.toString()) as { id: string; state: string };
      if (ack.id === 'cmd-42') acks.push(ack.state);
      if (acks.length === 2) resolve();
    }),
  );
  const webSawAck = nextMessage(web, (m) => m.topic === `${R}/drone/drone-2/ack` && m.payload.includes('succeeded'));
  await control.publishAsync(
    `${R}/drone/drone-2/cmd`,
    JSON.stringify({ id: 'cmd-42', tsMs: Date.now(), issuer: 'operator', action: 'takeoff', altitudeRelM: 30 }),
    { qos: 1 },
  );
  await done;
  await webSawAck;
  expect(acks).toEqual(['accepted', 'succeeded']);
  expect(webTopics.some((t) => t.endsWith('/cmd'))).toBe(false);

  // The drone's own telemetry is accepted from the drone itself…
  const tel = nextMessage(web, (m) => m.topic === `${R}/drone/drone-2/telemetry`);
  await drone.publishAsync(
    `${R}/drone/drone-2/telemetry`,
    JSON.stringify({ tsMs: Date.now(), latDeg: 30.27, lonDeg: 120.06, altAmslM: 50, altRelM: 38, headingDeg: 90, groundSpeedMps: 5, batteryPct: 80, batteryV: 22.5, mode: 'GUIDED', armed: true, gpsFix: 3 }),
  );
  expect(JSON.parse((await tel).payload)).toMatchObject({ mode: 'GUIDED' });
  // …and an invalid command from control is dropped before it reaches the drone.
  const before = broker.metrics().rejects.schema ?? 0;
  await control.publishAsync(`${R}/drone/drone-2/cmd`, JSON.stringify({ id: 'cmd-43', tsMs: 1, issuer: 'op', action: 'takeoff', altitudeRelM: 9000 }), { qos: 1 });
  expect(broker.metrics().rejects.schema).toBe(before + 1);
  await Promise.all([drone.endAsync(true), control.endAsync(true), web.endAsync(true)]);
});
