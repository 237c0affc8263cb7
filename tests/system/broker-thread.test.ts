import { readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROKER_THREAD_TIMEOUTS, startBrokerThread, type BrokerThread, type ThreadHealthEvent } from '../../system/broker-thread/broker-thread.ts';
import { processRuns } from '../../system/broker-thread/orphan-influxd.ts';
import { findFreePort } from '../../util/free-port.ts';
import { credentialsFor, demoSite, startBroker, type TestBroker } from '../helpers/broker.ts';
import { until } from '../helpers/wait.ts';

const TEST_TIMEOUT_MS = 90_000;

/**
 * The broker thread of `ringwatch up` seen from the main thread: ports, health and
 * metrics from the thread; a thread that dies is reported down (alert logged), started
 * again on the same port, and devices get back in by reconnecting.
 */
describe('the broker thread', () => {
  let dir: string | undefined;
  let thread: BrokerThread | undefined;
  let client: MqttClient | undefined;
  const events: ThreadHealthEvent[] = [];
  const alerts: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-broker-thread-'));
    const { site, secrets } = demoSite();
    // A store nobody listens on: telemetry starts degraded and spools, the broker serves.
    const storeUrl = `http://127.0.0.1:${await findFreePort()}`;
    const logger = pino({ level: 'error' }, { write: (line: string) => void alerts.push(line) });
    thread = await startBrokerThread(
      {
        site,
        broker: { host: '127.0.0.1', mqttPort: 0, wsPort: 0 },
        telemetry: { ingest: 'publish-path', store: { backend: 'v1', url: storeUrl }, dataDir: join(dir, 'telemetry') },
        logLevel: 'silent',
      },
      logger,
      { ...BROKER_THREAD_TIMEOUTS, restartInitialMs: 100, restartMaxMs: 400 },
    );
    thread.onHealthEvent((e) => events.push(e));
    client = await mqtt.connectAsync(`mqtt://127.0.0.1:${thread.ports!.mqttPort}`, { ...credentialsFor({ secrets }, 'cp-1-anpr'), reconnectPeriod: 200 });
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    await client?.endAsync(true);
    await thread?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves, reports health, metrics and its own event-loop lag', async () => {
    expect(thread!.ports!.mqttPort).toBeGreaterThan(0);
    expect(thread!.brokerHealth()).toEqual({ status: 'ok', reasons: [] });
    expect(thread!.telemetryStart.ok).toBe(true);
    await until(() => thread!.telemetryHealth().reasons.some((r) => /InfluxDB unreachable/.test(r)), 'telemetry degraded without its store', 15_000);
    const metrics = await thread!.metrics();
    expect(metrics?.find((m) => m.name === 'ringwatch_broker_clients')?.values).toContainEqual(expect.objectContaining({ labels: { identity: 'sensor' }, value: 1 }));
    expect(metrics?.some((m) => m.name === 'ringwatch_telemetry_store_up')).toBe(true);
    const lag = await thread!.lag();
    expect(lag!.windowS).toBeGreaterThan(0);
  });

  it('is restarted on the same port after it dies, and devices reconnect', { timeout: TEST_TIMEOUT_MS }, async () => {
    const port = thread!.ports!.mqttPort;
    // A message spooled (the store is unreachable): the spool has a segment open.
    await client!.publishAsync('ringwatch/v1/sensor/cp-1-anpr/telemetry', JSON.stringify({ tsMs: Date.now(), rssiDbm: -61 }), { qos: 1 });
    await until(() => filesOpenUnder(dir!).length > 0, 'a spool file open', 10_000);
    const openBefore = filesOpenUnder(dir!);
    await thread!.crash();
    expect(thread!.brokerHealth().status).toBe('down');
    expect(thread!.telemetryHealth().reasons).toEqual(['telemetry runs in the broker thread, which is restarting']);
    expect(await thread!.metrics()).toBeUndefined();
    expect(events).toContainEqual(expect.objectContaining({ service: 'broker', status: 'down', event: 'broker thread exited' }));
    expect(alerts.some((l) => l.includes('"alert":"BrokerThreadDown"'))).toBe(true);

    await until(() => thread!.brokerHealth().status === 'ok', 'the broker thread back', 60_000);
    expect(events).toContainEqual(expect.objectContaining({ service: 'broker', status: 'ok', event: 'broker thread restarted' }));
    expect(thread!.ports!.mqttPort).toBe(port);
    await until(() => client!.connected, 'the device reconnected', 30_000);
    await client!.publishAsync('ringwatch/v1/sensor/cp-1-anpr/telemetry', JSON.stringify({ tsMs: Date.now(), rssiDbm: -60 }), { qos: 1 });
    // Descriptors belong to the process, not the thread, and the dead thread closed nothing
    // itself: its spool segment must not stay open beside the new thread's.
    await until(() => filesOpenUnder(dir!).length >= openBefore.length, 'the new thread spooling', 10_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(filesOpenUnder(dir!).length, filesOpenUnder(dir!).join(', ')).toBe(openBefore.length);
  });
});

/** This process's open file descriptors whose path lies under `dir` (Linux /proc). */
function filesOpenUnder(dir: string): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      return target.startsWith(dir) ? [target] : [];
    } catch {
      // Closed while we looked (the directory's own descriptor, for one).
      return [];
    }
  });
}

/** `ringwatch up` with telemetry over an MQTT session: in our broker's thread, or beside an external broker (`--mqtt URL`). */
describe('the broker thread with MQTT ingest', () => {
  let dir: string | undefined;
  const threads: BrokerThread[] = [];
  let external: TestBroker | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-broker-thread-mqtt-'));
  });

  afterAll(async () => {
    for (const t of threads) await t.close();
    await external?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const telemetryConfig = async (name: string, password: string | undefined) => ({
    ingest: 'mqtt' as const,
    ...(password !== undefined ? { password } : {}),
    store: { backend: 'v1' as const, url: `http://127.0.0.1:${await findFreePort()}` },
    dataDir: join(dir!, name),
  });

  it('logs telemetry in to our own broker as a client', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { site, secrets } = demoSite();
    const t = await startBrokerThread({ site, broker: { host: '127.0.0.1', mqttPort: 0, wsPort: 0 }, telemetry: await telemetryConfig('own', secrets.services['telemetry']), logLevel: 'silent' }, pino({ level: 'silent' }));
    threads.push(t);
    expect(t.telemetryStart.ok).toBe(true);
    await until(async () => (await t.metrics())?.find((m) => m.name === 'ringwatch_broker_clients')?.values.some((v) => v.labels['identity'] === 'telemetry' && v.value === 1), 'the telemetry client connected', 20_000);
  });

  it('runs telemetry alone beside an external broker', { timeout: TEST_TIMEOUT_MS }, async () => {
    external = await startBroker();
    const t = await startBrokerThread({ site: external.site, telemetry: { ...(await telemetryConfig('external', external.secrets.services['telemetry'])), mqttUrl: external.url }, logLevel: 'silent' }, pino({ level: 'silent' }));
    threads.push(t);
    expect(t.ports).toBeUndefined();
    await until(() => external!.metrics().clients.telemetry === 1, 'the telemetry client connected to the external broker', 20_000);
    expect((await t.metrics())?.some((m) => m.name === 'ringwatch_broker_clients')).toBe(false);
  });

  it('starts without telemetry, and says why, when MQTT ingest has no secret', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { site } = demoSite();
    const t = await startBrokerThread({ site, broker: { host: '127.0.0.1', mqttPort: 0, wsPort: 0 }, telemetry: await telemetryConfig('nosecret', undefined), logLevel: 'silent' }, pino({ level: 'silent' }));
    threads.push(t);
    expect(t.telemetryStart).toEqual({ ok: false, reason: 'telemetry service did not start: no secret for the telemetry service in the secrets file' });
    expect(t.telemetryHealth().status).toBe('degraded');
    expect(t.brokerHealth().status).toBe('ok');
  });
});

describe('the broker thread with a per-address connection cap', () => {
  let thread: BrokerThread | undefined;
  const clients: MqttClient[] = [];
  let dir: string | undefined;

  afterAll(async () => {
    for (const c of clients) await c.endAsync(true);
    await thread?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses connections from one address over the cap (ringwatch up --max-connections-per-address)', { timeout: TEST_TIMEOUT_MS }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-broker-thread-cap-'));
    const { site, secrets } = demoSite();
    thread = await startBrokerThread(
      {
        site,
        broker: { host: '127.0.0.1', mqttPort: 0, wsPort: 0, maxConnectionsPerAddress: 1 },
        telemetry: { ingest: 'publish-path', store: { backend: 'v1', url: `http://127.0.0.1:${await findFreePort()}` }, dataDir: join(dir, 'telemetry') },
        logLevel: 'silent',
      },
      pino({ level: 'silent' }),
    );
    const url = `mqtt://127.0.0.1:${thread.ports!.mqttPort}`;
    clients.push(await mqtt.connectAsync(url, credentialsFor({ secrets }, 'cp-1-anpr')));
    const second = await mqtt.connectAsync(url, credentialsFor({ secrets }, 'cp-2-anpr')).then(
      (c) => (clients.push(c), 'connected'),
      () => 'refused',
    );
    expect(second).toBe('refused');
    const rejects = (await thread.metrics())?.find((m) => m.name === 'ringwatch_broker_rejects_total')?.values;
    expect(rejects).toContainEqual(expect.objectContaining({ labels: { reason: 'connection_cap' }, value: 1 }));
  });
});

describe('the broker thread with its own influxd', () => {
  let thread: BrokerThread | undefined;
  let dir: string | undefined;

  afterAll(async () => {
    await thread?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stops the influxd a dead thread left behind and starts a new one on the same port', { timeout: TEST_TIMEOUT_MS }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-broker-thread-influxd-'));
    const logs: string[] = [];
    const { site } = demoSite();
    thread = await startBrokerThread(
      { site, broker: { host: '127.0.0.1', mqttPort: 0, wsPort: 0 }, telemetry: { ingest: 'publish-path', store: { backend: 'v1' }, dataDir: join(dir, 'telemetry') }, logLevel: 'silent' },
      pino({ level: 'warn' }, { write: (line: string) => void logs.push(line) }),
      { ...BROKER_THREAD_TIMEOUTS, restartInitialMs: 100, restartMaxMs: 400 },
    );
    const start = thread.telemetryStart;
    if (!start.ok) throw new Error(start.reason);
    const firstPid = start.influxdPid!;
    expect(processRuns(firstPid)).toBe(true);
    await until(() => thread!.telemetryHealth().status === 'ok', 'telemetry ok on its influxd', 30_000);

    await thread.crash();
    await until(() => thread!.brokerHealth().status === 'ok' && thread!.telemetryHealth().status === 'ok', 'broker and telemetry back', 60_000);
    expect(processRuns(firstPid)).toBe(false);
    // It outlived its thread: stopped by us, not gone with the thread.
    expect(logs.some((l) => l.includes('stopped the influxd the broker thread left behind') && l.includes(`"pid":${firstPid}`))).toBe(true);
    const now = thread.telemetryHealth();
    expect(now.influxd?.pid).toBeDefined();
    expect(now.influxd?.pid).not.toBe(firstPid);
    // The history client's address is still right: influxd came back on the same port.
    const res = await fetch(`${start.influxdUrl}/ping`);
    expect(res.status).toBe(204);

    await thread.close();
    expect(processRuns(now.influxd!.pid!)).toBe(false);
  });
});
