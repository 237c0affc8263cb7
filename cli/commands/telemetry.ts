import { existsSync } from 'node:fs';
import { pino } from 'pino';
import { defaultSecretsPath, loadSecretsFile, loadSite } from '../../site/index.ts';
import { startTelemetryService } from '../../telemetry/service.ts';
import type { StoreConfig } from '../../telemetry/store/create.ts';
import { durationMs, type RetentionConfig } from '../../telemetry/store/types.ts';
import { parsePort, requireString, UsageError, waitForStopSignal, type Command } from '../args.ts';
import { DEFAULT_MQTT_URL } from '../../protocol/ports.ts';

const usage = `Usage: ringwatch telemetry --site FILE [--mqtt URL] [--influx-url URL | --data-dir DIR] [options]

Subscribes to everything under ringwatch/v1 (persistent session, QoS 1) as the
telemetry service and stores it in InfluxDB: telemetry, events, status, acks, and the
ledger/audit records. Without --influx-url it starts its own influxd (InfluxDB 1.x)
with data under DIR/influxdb and restarts it if it dies. Points wait in a spool on disk
(DIR/spool) until InfluxDB has them, so an InfluxDB outage or a restart loses nothing; an
InfluxDB that is unreachable at start is waited for (health "degraded"), not fatal.

  --site FILE             site file (e.g. sites/demo.yaml)
  --mqtt URL              broker URL (default ${DEFAULT_MQTT_URL})
  --secrets FILE          plain secrets file holding services.telemetry
                          (default: the site file's .secrets.yaml; $RINGWATCH_MQTT_SECRET wins)
  --client-id ID          MQTT client id, fixed so the broker keeps the session (default telemetry:ingest)
  --data-dir DIR          spool and local influxd data (default ./data/telemetry)
  --backend v1|v2         InfluxDB 1.x (default) or 2.x/Cloud
  --influx-url URL        an existing InfluxDB instead of a local influxd (required for v2)
  --database NAME         v1 database (default ringwatch); $RINGWATCH_INFLUX_USER/_PASSWORD for auth
  --influx-org ORG        v2 organization; token from $RINGWATCH_INFLUX_TOKEN
  --influx-bucket PREFIX  v2 bucket prefix: PREFIX-raw, PREFIX-track, PREFIX-long (default ringwatch)
  --retention-raw D       raw telemetry (default 7d)
  --retention-track D     downsampled tracks (default 90d)
  --retention-long D      events, status, acks, ledger, audit (default 730d)
  --track-interval D      downsampling interval (default 10s)
  --fsync POLICY          interval (default: write before ack, fsync every 200 ms) | always
  --spool-max-mb N        spool bound; above it MQTT acks wait (default 256)
  --batch-size N          points per InfluxDB write (default 5000)
  --flush-ms MS           write a partial batch after MS (default 250)
  --metrics-port PORT     serve /metrics (Prometheus) and /health on 127.0.0.1:PORT
  --log-level LEVEL       pino level (default info)`;

const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export const telemetryCommand: Command = {
  name: 'telemetry',
  summary: 'store device telemetry, events, ledger and audit records in InfluxDB',
  usage,
  options: {
    site: { type: 'string' },
    mqtt: { type: 'string' },
    secrets: { type: 'string' },
    'client-id': { type: 'string' },
    'data-dir': { type: 'string' },
    backend: { type: 'string' },
    'influx-url': { type: 'string' },
    database: { type: 'string' },
    'influx-org': { type: 'string' },
    'influx-bucket': { type: 'string' },
    'retention-raw': { type: 'string' },
    'retention-track': { type: 'string' },
    'retention-long': { type: 'string' },
    'track-interval': { type: 'string' },
    fsync: { type: 'string' },
    'spool-max-mb': { type: 'string' },
    'metrics-port': { type: 'string' },
    'batch-size': { type: 'string' },
    'flush-ms': { type: 'string' },
    'log-level': { type: 'string' },
  },
  async run(values) {
    const siteFile = requireString(values, 'site', usage);
    const site = loadSite(siteFile);
    const env = process.env;
    let password = env['RINGWATCH_MQTT_SECRET'];
    if (!password) {
      const file = str(values['secrets']) ?? defaultSecretsPath(siteFile);
      if (!existsSync(file)) throw new UsageError(`no MQTT secret: set $RINGWATCH_MQTT_SECRET or pass --secrets FILE (${file} not found)`);
      password = loadSecretsFile(file).services['telemetry'];
      if (!password) throw new UsageError(`${file} has no services.telemetry secret`);
    }
    const retention: Partial<RetentionConfig> = {};
    for (const [flag, key] of [['retention-raw', 'raw'], ['retention-track', 'track'], ['retention-long', 'long'], ['track-interval', 'trackInterval']] as const) {
      const v = str(values[flag]);
      if (v === undefined) continue;
      try {
        durationMs(v);
      } catch (err) {
        throw new UsageError(`--${flag}: ${(err as Error).message}`);
      }
      retention[key] = v;
    }
    const backend = str(values['backend']) ?? 'v1';
    const influxUrl = str(values['influx-url']);
    let store: StoreConfig;
    if (backend === 'v1') {
      store = {
        backend: 'v1',
        ...(influxUrl ? { url: influxUrl } : {}),
        database: str(values['database']) ?? 'ringwatch',
        ...(env['RINGWATCH_INFLUX_USER'] ? { username: env['RINGWATCH_INFLUX_USER'], password: env['RINGWATCH_INFLUX_PASSWORD'] ?? '' } : {}),
      };
    } else if (backend === 'v2') {
      const org = str(values['influx-org']);
      const token = env['RINGWATCH_INFLUX_TOKEN'];
      if (!influxUrl || !org || !token) throw new UsageError('--backend v2 needs --influx-url, --influx-org and $RINGWATCH_INFLUX_TOKEN');
      store = { backend: 'v2', url: influxUrl, org, token, bucketPrefix: str(values['influx-bucket']) ?? 'ringwatch' };
    } else {
      throw new UsageError(`--backend must be v1 or v2, got "${backend}"`);
    }
    const fsync = str(values['fsync']) ?? 'interval';
    if (fsync !== 'interval' && fsync !== 'always') throw new UsageError(`--fsync must be interval or always, got "${fsync}"`);
    const spoolMb = values['spool-max-mb'] === undefined ? 256 : Number(values['spool-max-mb']);
    if (!Number.isFinite(spoolMb) || spoolMb < 1) throw new UsageError('--spool-max-mb must be a number >= 1');
    const int = (flag: string, min: number, max: number): number | undefined => {
      const v = values[flag];
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${flag} must be an integer ${min}-${max}, got "${String(v)}"`);
      return n;
    };
    const batchSize = int('batch-size', 1, 100_000);
    const flushIntervalMs = int('flush-ms', 1, 60_000);
    const metricsPort = values['metrics-port'] === undefined ? undefined : parsePort(values['metrics-port'], 'metrics-port', 0);
    const dataDir = str(values['data-dir']) ?? 'data/telemetry';
    const mqttUrl = str(values['mqtt']) ?? DEFAULT_MQTT_URL;
    const logger = pino({ level: str(values['log-level']) ?? 'info' });

    const svc = await startTelemetryService({
      site: site.site.id,
      mqtt: { url: mqttUrl, password, clientId: str(values['client-id']) ?? 'telemetry:ingest' },
      store,
      dataDir,
      retention,
      spool: { fsync, maxBytes: spoolMb * 1024 * 1024 },
      writer: { ...(batchSize ? { batchSize } : {}), ...(flushIntervalMs ? { flushIntervalMs } : {}) },
      ...(metricsPort !== undefined ? { metricsPort } : {}),
      logger,
    });
    process.stdout.write(
      `telemetry: ${mqttUrl} → InfluxDB ${store.backend} ${svc.influxd ? `(local influxd ${svc.influxd.url}, data in ${svc.influxd.dataDir})` : influxUrl}; ` +
        `spool in ${dataDir}/spool${svc.metricsUrl ? `; metrics on ${svc.metricsUrl}` : ''}\n`,
    );
    // InfluxDB away at start is not fatal: say so, keep spooling, and go on.
    const h = svc.health();
    if (h.status !== 'ok') process.stdout.write(`telemetry: degraded: ${h.reasons.join('; ')}\n`);
    const sig = await waitForStopSignal();
    process.stdout.write(`telemetry: ${sig}, writing what is queued and closing\n`);
    await svc.close();
  },
};
