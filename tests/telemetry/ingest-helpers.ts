import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { startTelemetryService, type TelemetryService, type TelemetryServiceConfig } from '../../telemetry/service.ts';
import { connectAs, demoSite, startBroker, withDeviceSecret, type TestBroker } from '../helpers/broker.ts';
import type { TestInflux } from '../helpers/influx.ts';
import { until as waitUntil } from '../helpers/wait.ts';

/** Short, named test timings: retries fast so an outage test takes seconds, not minutes. */
export const TEST_WRITER = { retryInitialMs: 50, retryMaxMs: 400, flushIntervalMs: 30 } as const;
export const ARRIVAL_TIMEOUT_MS = 20_000;

let seq = 0;

export interface ServiceFixture {
  dataDir: string;
  database: string;
  clientId: string;
  start(): Promise<TelemetryService>;
  cleanup(): Promise<void>;
}

/** A service configuration on its own data dir, database and MQTT client id; `start()` may run many times. */
export async function serviceFixture(broker: TestBroker, influx: TestInflux, extra: Partial<TelemetryServiceConfig> = {}): Promise<ServiceFixture> {
  const n = ++seq;
  const dataDir = await mkdtemp(join(tmpdir(), 'rw-tel-'));
  const running: TelemetryService[] = [];
  const f: ServiceFixture = {
    dataDir,
    database: `ingest_${process.pid}_${n}`,
    clientId: `telemetry:test-${process.pid}-${n}`,
    async start() {
      const svc = await startTelemetryService({
        site: broker.site.site.id,
        mqtt: { url: broker.url, password: broker.secrets.services['telemetry']!, clientId: f.clientId },
        store: { backend: 'v1', url: influx.url, database: f.database },
        dataDir,
        writer: TEST_WRITER,
        logger: pino({ level: process.env['RINGWATCH_TEST_LOG'] ?? 'silent' }),
        ...extra,
      });
      running.push(svc);
      return svc;
    },
    async cleanup() {
      for (const s of running) await s.abort();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return f;
}

/** Polls a cheap in-process condition (no event exists for "InfluxDB has it"), bounded. */
export function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = ARRIVAL_TIMEOUT_MS): Promise<void> {
  return waitUntil(cond, what, timeoutMs);
}

export function telemetryPayload(tsMs: number, i: number): string {
  return JSON.stringify({
    tsMs,
    latDeg: 30.5 + i * 1e-5,
    lonDeg: 114.3,
    altAmslM: 80,
    altRelM: 60,
    headingDeg: 90,
    groundSpeedMps: 9,
    batteryPct: 80,
    batteryV: 22,
    mode: 'AUTO',
    armed: true,
    gpsFix: 3,
  });
}

/** Publishes messages [from, to) of a stream at QoS 1 and waits for every PUBACK. */
export async function publishStream(client: MqttClient, deviceId: string, base: number, from: number, to: number): Promise<void> {
  const pending: Promise<unknown>[] = [];
  for (let i = from; i < to; i++) {
    pending.push(client.publishAsync(`ringwatch/v1/drone/${deviceId}/telemetry`, telemetryPayload(base + i * 100, i), { qos: 1 }));
  }
  await Promise.all(pending);
}

/** Publishes [from, to) in groups of `perTick` every `tickMs` (a live stream), QoS 1. */
export async function publishPaced(client: MqttClient, deviceId: string, base: number, from: number, to: number, perTick = 50, tickMs = 25): Promise<void> {
  for (let i = from; i < to; i += perTick) {
    const tick = new Promise((r) => setTimeout(r, tickMs));
    await publishStream(client, deviceId, base, i, Math.min(to, i + perTick));
    await tick;
  }
}

/**
 * A broker on the demo site with one drone given its own secret and connected as itself;
 * both closing steps go on `cleanups` (the caller runs them in reverse, drone first).
 */
export async function brokerWithDrone(droneId: string, cleanups: { push(close: () => Promise<void>): unknown }): Promise<{ broker: TestBroker; drone: MqttClient }> {
  const { site, secrets } = withDeviceSecret(demoSite().site, demoSite().secrets, droneId);
  const broker = await startBroker({ site, secrets });
  cleanups.push(() => broker.close());
  const drone = await connectAs(broker, droneId);
  cleanups.push(() => drone.endAsync(true));
  return { broker, drone };
}
