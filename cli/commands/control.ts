import { pino } from 'pino';
import { defaultSecretsPath, loadSecretsFile, loadSite, mavlinkSigningKeys } from '../../site/index.ts';
import { MqttBus } from '../../control/mqtt/bus.ts';
import { startControlService } from '../../control/service.ts';
import { parsePort, requireString, UsageError, waitForStopSignal, type Command } from '../args.ts';
import type { Site } from '../../site/index.ts';
import type { ControlService } from '../../control/service.ts';
import { CONTROL_APP_DEFAULTS, startControlApp } from '../../control/start-control-app.ts';
import { InfluxV1Store } from '../../telemetry/store/v1.ts';
import { webMapPlugin } from '../../web-map/server/plugin.ts';
import { refuseDemoCredentialsOffLoopback } from '../demo-credentials-check.ts';
import { readTlsFlags, TLS_USAGE } from '../tls-files.ts';
import { DEFAULT_MQTT_URL } from '../../protocol/ports.ts';
import { startMetricsServer } from '../../telemetry/metrics-server.ts';
import { controlObservability, type OpsObservables } from '../../control/observability/metrics.ts';

const usage = `Usage: ringwatch control --site FILE [--mqtt URL] [--secrets FILE] [--data-dir DIR] [--rate HZ]
                        [--http-port N] [--host H] [--influx-url URL] [--web]

Connects to every site drone's MAVLink endpoint (udp://, udpout://, tcp://), publishes
their telemetry and status on the broker as the control service, and runs the command
ledger. With --http-port it also runs operations (patrols, alarms and dispatch,
broadcasts, coverage) and serves the HTTP API (and with --web the map on the same port).
Ctrl-C closes every link and marks the drones offline.

  --site FILE       site file (e.g. sites/demo.yaml)
  --mqtt URL        broker URL (default ${DEFAULT_MQTT_URL}); "none" runs without MQTT
  --secrets FILE    plain secrets file holding services.control and the drones'
                    MAVLink signing keys (mavlinkKeys)
                    (default: the site file's .secrets.yaml, or $RINGWATCH_MQTT_SECRET)
  --data-dir DIR    where the ledger's JSONL lives (default ./data/control)
  --rate HZ         MQTT telemetry rate per drone (default 2)
  --http-port N     serve the API on this port (0 = any); needs MQTT
  --host H          address for the API (default ${CONTROL_APP_DEFAULTS.httpHost})
  --influx-url URL  InfluxDB 1.x to answer /api/history from
  --web             serve the web map beside the API
  --metrics-port N  serve /metrics (Prometheus) and /health (ok, degraded or down) on
                    127.0.0.1:N, no login (0 picks a free port; default: not served)
${TLS_USAGE}
  --trust-proxy ADDR[,ADDR]  addresses of "ringwatch web" proxies in front of this API,
                    whose X-Forwarded-For then names the client (for the login throttle)`;

export const controlCommand: Command = {
  name: 'control',
  summary: 'run the MAVLink links, telemetry gateway and command ledger for a site',
  usage,
  options: {
    site: { type: 'string' },
    mqtt: { type: 'string' },
    secrets: { type: 'string' },
    'data-dir': { type: 'string' },
    rate: { type: 'string' },
    'http-port': { type: 'string' },
    host: { type: 'string' },
    'influx-url': { type: 'string' },
    web: { type: 'boolean' },
    'metrics-port': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'trust-proxy': { type: 'string' },
  },
  async run(values) {
    const siteFile = requireString(values, 'site', usage);
    const site = loadSite(siteFile);
    const mqttUrl = typeof values['mqtt'] === 'string' ? values['mqtt'] : DEFAULT_MQTT_URL;
    const rate = values['rate'] === undefined ? 2 : Number(values['rate']);
    if (!Number.isFinite(rate) || rate <= 0 || rate > 50) throw new UsageError(`--rate must be 0-50 Hz, got "${String(values['rate'])}"`);
    const dataDir = typeof values['data-dir'] === 'string' ? values['data-dir'] : 'data/control';

    let bus: MqttBus | undefined;
    if (mqttUrl !== 'none') {
      const password =
        process.env['RINGWATCH_MQTT_SECRET'] ??
        loadSecretsFile(typeof values['secrets'] === 'string' ? values['secrets'] : defaultSecretsPath(siteFile)).services['control'];
      if (!password) throw new UsageError('no secret for the control service (services.control in the secrets file)');
      bus = await MqttBus.connect({ url: mqttUrl, username: 'control', password, clientSuffix: `gw-${process.pid}` });
    }
    // Signing keys come from the secrets file only when some drone asks for signing.
    const signingKeys = site.drones.some((d) => d.mavlink.signing)
      ? mavlinkSigningKeys(site.drones, loadSecretsFile(typeof values['secrets'] === 'string' ? values['secrets'] : defaultSecretsPath(siteFile)))
      : new Map<string, Buffer>();
    const svc = await startControlService({ site, bus, dataDir, telemetryRateHz: rate, signingKeys });
    process.stdout.write(
      `control: ${svc.vehicles.size} drones on ${svc.links.size} MAVLink endpoints; ` +
        `${bus ? `publishing to ${mqttUrl}` : 'no MQTT'}; ledger in ${dataDir}\n`,
    );
    for (const v of svc.vehicles.values()) {
      v.on('online', () => process.stdout.write(`control: ${v.droneId} online (${v.endpointUrl} sysid ${v.systemId})\n`));
      v.on('link_lost', () => process.stdout.write(`control: ${v.droneId} link lost\n`));
      v.on('link_regained', () => process.stdout.write(`control: ${v.droneId} link regained\n`));
    }
    const api = values['http-port'] !== undefined ? await startApi(values, site, svc, bus, dataDir) : undefined;
    const observed = controlObservability({ control: svc, ...(bus ? { bus } : {}), ...(api ? { ops: api.ops } : {}) });
    const endpoint =
      values['metrics-port'] !== undefined
        ? await startMetricsServer({
            port: parsePort(values['metrics-port'], 'metrics-port', 0),
            metrics: async () => ({ contentType: observed.registry.contentType, body: await observed.registry.metrics() }),
            health: observed.health,
            logger: pino({ name: 'control', level: 'warn' }),
          })
        : undefined;
    if (endpoint) process.stdout.write(`control: metrics on ${endpoint.metricsUrl}, health on ${endpoint.healthUrl}\n`);
    const sig = await waitForStopSignal();
    process.stdout.write(`control: ${sig}, closing\n`);
    await endpoint?.close();
    observed.close();
    await api?.close();
    await svc.close();
    await bus?.close();
  },
};

/** Part 2 over the running part 1: operations and the HTTP API (and the map with --web). */
async function startApi(
  values: Record<string, string | boolean | undefined>,
  site: Site,
  svc: ControlService,
  bus: MqttBus | undefined,
  dataDir: string,
): Promise<{ ops: OpsObservables; close(): Promise<void> }> {
  if (!bus) throw new UsageError('--http-port needs the broker (--mqtt URL)');
  const host = typeof values['host'] === 'string' ? values['host'] : CONTROL_APP_DEFAULTS.httpHost;
  const tls = readTlsFlags(values);
  const trustProxy = typeof values['trust-proxy'] === 'string' ? values['trust-proxy'].split(',').map((a) => a.trim()).filter(Boolean) : undefined;
  await refuseDemoCredentialsOffLoopback(site, [{ name: 'HTTP', host }]);
  const history = typeof values['influx-url'] === 'string' ? new InfluxV1Store({ url: values['influx-url'] }) : undefined;
  const app = await startControlApp({
    site,
    control: svc,
    bus,
    dataDir,
    listen: { host, port: parsePort(values['http-port'], 'http-port', CONTROL_APP_DEFAULTS.httpPort) },
    http: { ...(tls ? { tls } : {}), ...(trustProxy ? { trustProxy } : {}), logger: pino({ level: 'warn' }) },
    ...(history ? { history } : {}),
    ...(values['web'] ? { plugins: [webMapPlugin({})] } : {}),
  }).catch(async (err: unknown) => {
    await history?.close();
    throw err;
  });
  process.stdout.write(`control: API on ${app.url}/api\n`);
  return {
    ops: { alarms: app.ops.alarms, broadcasts: app.ops.broadcasts, time: app.time },
    async close() {
      await app.close();
      await history?.close();
    },
  };
}
