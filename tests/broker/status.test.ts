import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BROKER_STATUS_TOPIC, checkBrokerStatus, type BrokerStatusRecord } from '../../protocol/index.ts';
import { collect, connectAs, nextMessage, startBroker, type Received, type TestBroker } from '../helpers/broker.ts';
import { until } from '../helpers/wait.ts';

/**
 * The broker publishes its own status (clients, refusals by reason and per device, its
 * health) on a retained service topic that only control may read and nobody may publish.
 */
const R = 'ringwatch/v1';
let broker: TestBroker;
let control: MqttClient;
let statuses: BrokerStatusRecord[];

/** The SUBACK return code for one filter: 128 when refused (mqtt.js rejects then). */
async function subackCode(c: MqttClient, filter: string): Promise<number | undefined> {
  try {
    return (await c.subscribeAsync(filter))[0]?.qos;
  } catch (err) {
    return (err as { packet?: { granted?: number[] } }).packet?.granted?.[0];
  }
}
const latest = () => statuses[statuses.length - 1];
const telemetry = () => JSON.stringify({ tsMs: Date.now(), state: 'idle', volumePct: 40 });

beforeAll(async () => {
  broker = await startBroker();
  control = await connectAs(broker, 'control', { clientId: 'control:status-test' });
  statuses = [];
  control.on('message', (topic, payload) => {
    if (topic !== BROKER_STATUS_TOPIC) return;
    const c = checkBrokerStatus(payload);
    if (!c.ok) throw new Error(`broker status does not pass its own schema: ${c.message}`);
    statuses.push(c.value);
  });
  await control.subscribeAsync(BROKER_STATUS_TOPIC);
});
afterAll(async () => {
  await control.endAsync(true);
  await broker.close();
});

describe('the broker\'s status', () => {
  test('is retained: control has one as soon as it subscribes, valid, with itself among the clients', async () => {
    await until(() => statuses.length > 0, 'a retained status');
    const s = latest()!;
    expect(s.startedAtMs).toBeLessThanOrEqual(s.tsMs);
    expect(s.health.status).toBe('ok');
    await until(() => (latest()!.clients['control'] ?? 0) >= 1, 'control counted among the clients');
  });

  test('counts refusals per device, by reason, and publishes soon after one', async () => {
    const sp = await connectAs(broker, 'sp-3');
    try {
      await sp.publishAsync(`${R}/speaker/sp-3/telemetry`, '{"tsMs": 1, state', { qos: 1 });
      await sp.publishAsync(`${R}/speaker/sp-4/telemetry`, telemetry(), { qos: 1 });
      await sp.publishAsync(`${R}/speaker/sp-4/telemetry`, telemetry(), { qos: 1 });
      // Within a few check periods, not the full interval.
      await until(() => latest()?.devices['sp-3']?.['acl'] === 2, 'sp-3 refused twice for acl', 4000);
      const s = latest()!;
      expect(s.devices['sp-3']).toEqual({ not_json: 1, acl: 2 });
      // The device it tried to speak for is not blamed.
      expect(s.devices['sp-4']).toBeUndefined();
      expect(s.rejects['acl']).toBeGreaterThanOrEqual(2);
    } finally {
      await sp.endAsync(true);
    }
  });

  test('a site device with a wrong secret is counted under its id; strangers grow nothing', async () => {
    const tryConnect = (username: string) =>
      mqtt.connectAsync(broker.url, { username, password: 'wrong', clientId: username, reconnectPeriod: 0, connectTimeout: 5000 }).then(
        (c) => c.endAsync(true).then(() => 'connected'),
        () => 'refused',
      );
    expect(await tryConnect('cp-1-anpr')).toBe('refused');
    for (let i = 0; i < 30; i++) expect(await tryConnect(`stranger-${i}`)).toBe('refused');
    await until(() => latest()?.devices['cp-1-anpr']?.['auth'] === 1, 'cp-1-anpr counted for auth', 4000);
    await until(() => (latest()?.rejects['auth'] ?? 0) >= 31, 'every auth refusal counted by reason', 4000);
    expect(Object.keys(latest()!.devices).filter((id) => id.startsWith('stranger'))).toEqual([]);
  });

  test('a device can neither subscribe to it nor publish it; control cannot publish it either', async () => {
    const sp = await connectAs(broker, 'sp-5');
    const got = collect(sp);
    try {
      for (const filter of [BROKER_STATUS_TOPIC, `${R}/svc/broker/#`, `${R}/svc/#`]) {
        expect(await subackCode(sp, filter), filter).toBe(128);
      }
      const forged = JSON.stringify({ ...latest()!, health: { status: 'ok', reasons: [] }, clientsTotal: 999 });
      await sp.publishAsync(BROKER_STATUS_TOPIC, forged, { qos: 1, retain: true });
      await control.publishAsync(BROKER_STATUS_TOPIC, forged, { qos: 1, retain: true });
      await until(() => latest()?.devices['sp-5']?.['acl'] === 1, 'the forged publish counted under sp-5', 4000);
      expect(statuses.some((s) => s.clientsTotal === 999)).toBe(false);
      expect(got.filter((m) => m.topic.includes('/svc/'))).toEqual([]);
      expect(sp.connected).toBe(true);
      // A fresh subscriber sees the broker's retained status, not a forgery.
      const other = await connectAs(broker, 'control', { clientId: 'control:status-test-2' });
      try {
        const first = nextMessage(other, (m) => m.topic === BROKER_STATUS_TOPIC);
        await other.subscribeAsync(BROKER_STATUS_TOPIC);
        expect(JSON.parse((await first).payload).clientsTotal).not.toBe(999);
      } finally {
        await other.endAsync(true);
      }
    } finally {
      await sp.endAsync(true);
    }
  });

  test('telemetry and web do not receive it, even through filters that reach it', async () => {
    const tel = await connectAs(broker, 'telemetry', { clientId: 'telemetry:status-test' });
    const web = await connectAs(broker, 'web', { clientId: 'web:status-test' });
    const telGot: Received[] = collect(tel);
    const webGot: Received[] = collect(web);
    try {
      expect(await subackCode(tel, BROKER_STATUS_TOPIC)).toBe(128);
      expect(await subackCode(web, BROKER_STATUS_TOPIC)).toBe(128);
      expect(await subackCode(tel, `${R}/#`)).toBe(0);
      expect(await subackCode(web, `${R}/svc/#`)).toBe(0);
      // Another service record reaches both, so the filters work; the status (retained,
      // and republished on this change of clients) reaches neither.
      const n = statuses.length;
      const ledgerSeen = Promise.all([nextMessage(tel, (m) => m.topic === `${R}/svc/ledger`), nextMessage(web, (m) => m.topic === `${R}/svc/ledger`)]);
      await control.publishAsync(`${R}/svc/ledger`, JSON.stringify({ id: 'x', tsMs: Date.now() }), { qos: 1 });
      await ledgerSeen;
      await until(() => statuses.length > n, 'a status after the new clients', 4000);
      const ledger = nextMessage(tel, (m) => m.topic === `${R}/svc/ledger`);
      await control.publishAsync(`${R}/svc/ledger`, JSON.stringify({ id: 'y', tsMs: Date.now() }), { qos: 1 });
      await ledger;
      expect([...telGot, ...webGot].filter((m) => m.topic === BROKER_STATUS_TOPIC)).toEqual([]);
    } finally {
      await Promise.all([tel.endAsync(true), web.endAsync(true)]);
    }
  });
});
