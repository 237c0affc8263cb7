import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSecretsFile } from '../../site/index.ts';
import { findFreePort } from '../../util/free-port.ts';
import { startInflux, type InfluxdHandle } from '../../telemetry/influxd.ts';
import { InfluxV1Store } from '../../telemetry/store/v1.ts';
import { publishStream } from '../telemetry/ingest-helpers.ts';
import { getJson, runCli, until, type CliProcess, type HealthRecord } from './drill-helpers.ts';

/**
 * Drill: `ringwatch up --influx-url` pointing at a port where no InfluxDB listens yet.
 * It used to exit 1 with a stack trace, taking the broker and drone control with it.
 * Now: everything comes up, telemetry says degraded and spools every acknowledged
 * message, and when an influxd appears on that port the spool drains into it.
 */
const DRILL_TIMEOUT_MS = 90_000;
/** `ringwatch up` compiles the console with esbuild at start; on a busy 2-core machine that takes a while. */
const UP_START_TIMEOUT_MS = 45_000;
const N = 500;

describe('drill: InfluxDB absent when ringwatch up starts', () => {
  let dir: string;
  let up: CliProcess | undefined;
  let influx: InfluxdHandle | undefined;
  let device: MqttClient | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-drill-up-'));
  });
  afterAll(async () => {
    await device?.endAsync(true);
    await up?.stop('SIGKILL', 5_000);
    await influx?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('starts broker, control and API; telemetry degraded and spooling; drains into a later influxd', { timeout: DRILL_TIMEOUT_MS }, async () => {
    const [influxPort, mqttPort] = [await findFreePort(), await findFreePort()];
    const influxUrl = `http://127.0.0.1:${influxPort}`;
    up = runCli(['up', '--site', 'sites/demo.yaml', '--data-dir', join(dir, 'data'), '--http-port', '0', '--mqtt-port', String(mqttPort), '--ws-port', '0',
      '--influx-url', influxUrl, '--telemetry-metrics-port', '0', '--log-level', 'warn']);
    const metrics = await up.waitFor(/telemetry metrics on (http:\/\/\S+)\/metrics/, UP_START_TIMEOUT_MS);
    const healthUrl = `${metrics[1]}/health`;
    expect(up.output()).toMatch(/running degraded \(telemetry: InfluxDB unreachable/);

    // The API and the console answer.
    const mapUrl = /(https?:\/\/127\.0\.0\.1:\d+\/)/.exec(up.output())?.[1];
    expect(mapUrl).toBeDefined();
    expect((await fetch(mapUrl!)).status).toBe(200);

    // The broker takes a device's QoS 1 stream, and telemetry acks all of it into the spool.
    const secrets = loadSecretsFile('sites/demo.secrets.yaml');
    device = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { username: 'control', password: secrets.services['control']!, clientId: `control:drill-${process.pid}`, reconnectPeriod: 0 });
    const base = Date.now() - 10 * 60_000;
    await publishStream(device, 'drone-3', base, 0, N);
    await until(async () => (await getJson<HealthRecord>(healthUrl)).accepted >= N, `${N} messages spooled`, 20_000);
    const degraded = await getJson<HealthRecord>(healthUrl);
    expect(degraded).toMatchObject({ status: 'degraded', pointsWritten: 0, store: { reachable: false } });
    expect(degraded.spoolBytes).toBeGreaterThan(0);

    // InfluxDB appears: the spool drains by itself and health turns ok.
    influx = await startInflux({ dataDir: join(dir, 'influxdb'), port: influxPort });
    await until(async () => (await getJson<HealthRecord>(healthUrl)).pointsWritten >= N, 'the spool drained', 40_000);
    await until(async () => (await getJson<HealthRecord>(healthUrl)).status === 'ok', 'health ok', 20_000);
    const rows = await new InfluxV1Store({ url: influxUrl }).positions({ fromMs: base, toMs: base + N * 100 });
    expect(rows.map((r) => r.tsMs)).toEqual(Array.from({ length: N }, (_, i) => base + i * 100));

    const stopped = await up.stop('SIGINT', 30_000);
    expect(stopped).toMatchObject({ code: 0, killed: false });
    console.info(`drill influx absent: up started degraded, ${N}/${N} points drained after influxd appeared; SIGINT closed in ${stopped.tookMs} ms`);
  });
});
