import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROKER_THREAD_TIMEOUTS, startBrokerThread, type BrokerThread, type ThreadHealthEvent } from '../../system/broker-thread/broker-thread.ts';
import { findFreePort } from '../../util/free-port.ts';
import { credentialsFor, demoSite } from '../helpers/broker.ts';
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
  });
});
