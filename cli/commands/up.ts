import { existsSync } from 'node:fs';
import { pino } from 'pino';
import { defaultSecretsPath, loadSecretsFile, loadSite } from '../../site/index.ts';
import { loadScenario } from '../../simulators/scenario/load.ts';
import { startSystem } from '../../system/start-system.ts';
import type { StoreConfig } from '../../telemetry/store/create.ts';
import { parseTileSpec } from '../../web-map/server/tiles.ts';
import { tileOrigin } from '../../control/api/http-options.ts';
import { refuseDemoCredentialsOffLoopback } from '../demo-credentials-check.ts';
import { startBanner } from '../start-banner.ts';
import { readTlsFlags, TLS_USAGE } from '../tls-files.ts';
import { parsePort, requireString, UsageError, waitForStopSignal, type Command } from '../args.ts';
import { DEFAULT_PORTS } from '../../protocol/ports.ts';
import { connectionLimitsFromFlags } from './broker.ts';

/**
 * The usual port of a Prometheus exporter process (OpenTelemetry's). `ringwatch up` binds
 * it on loopback only; when it is taken the stack runs on without metrics (and says so).
 */
export const DEFAULT_METRICS_PORT = 9464;


const usage = `Usage: ringwatch up --site FILE [--sim] [options]

Starts the whole control plane in one process: the MQTT broker, a local InfluxDB
(influxd 1.x, data under --data-dir), telemetry ingest, the MAVLink control service
with patrols, alarms and broadcasts, the HTTP API and the web map; with --sim also the
site's simulated drones, speakers and sensors. The broker with telemetry ingest, and the
simulated fleet, each run on a thread of their own, so a busy API cannot delay them.
Ctrl-C stops everything, influxd too; the next start picks up the stored history.

  --site FILE          site file (e.g. sites/demo.yaml)
  --sim                run the site's simulated fleet and start patrols on every ring
  --scenario FILE      with --sim: a scenario (default simulators/scenarios/demo.yaml for the demo site)
  --speed X            with --sim: time acceleration (default the scenario's, else 1)
  --no-patrol          with --sim: do not start patrols by themselves (an operator starts them)
  --secrets FILE       plain secrets for services (and simulated devices)
                       (default: the site file's .secrets.yaml)
  --data-dir DIR       persistent state (default ./data)
  --host H             address to bind (default 127.0.0.1)
  --http-port N        web map and API (default ${DEFAULT_PORTS.http})
  --mqtt-port N        MQTT over TCP (default ${DEFAULT_PORTS.mqtt})
  --ws-port N          MQTT over WebSocket (default ${DEFAULT_PORTS.ws})
  --mqtts-port N       with --tls-cert: MQTT over TLS on --host (default ${DEFAULT_PORTS.mqtts}); plain MQTT
                       and WebSocket then listen on 127.0.0.1 only
  --wss-port N         with --tls-cert: MQTT over WebSocket over TLS (default ${DEFAULT_PORTS.wss})
  --mqtt URL           use an external broker instead of starting one
  --max-connections-per-address N
                       our broker's cap on open connections from one address (default 1000)
  --influx-url URL     use an existing InfluxDB 1.x instead of a local influxd; when it is
                       unreachable everything else runs, telemetry spools and health says degraded
  --influxd-port N     HTTP port of the local influxd (default: a free one)
  --metrics-port N     /metrics (Prometheus: broker, control, telemetry) and /health (ok, degraded
                       or down, per part) on 127.0.0.1:N, no login (default ${DEFAULT_METRICS_PORT};
                       0 picks a free port; "off" serves none)
  --telemetry-metrics-port N
                       telemetry's own /metrics and /health on 127.0.0.1:N as well
  --tiles URL|DIR|FILE basemap: XYZ URL template, tile folder or .mbtiles (default: plain grid)
${TLS_USAGE}
  --log-level LEVEL    pino level (default info)

A site using the published demo credentials starts only with --host on loopback.`;

export const upCommand: Command = {
  name: 'up',
  summary: 'run everything: broker, InfluxDB, telemetry, control, web map (and simulators)',
  usage,
  options: {
    site: { type: 'string' },
    sim: { type: 'boolean' },
    'no-patrol': { type: 'boolean' },
    scenario: { type: 'string' },
    speed: { type: 'string' },
    secrets: { type: 'string' },
    'data-dir': { type: 'string' },
    host: { type: 'string' },
    'http-port': { type: 'string' },
    'mqtt-port': { type: 'string' },
    'ws-port': { type: 'string' },
    mqtt: { type: 'string' },
    'influx-url': { type: 'string' },
    'influxd-port': { type: 'string' },
    'telemetry-metrics-port': { type: 'string' },
    'metrics-port': { type: 'string' },
    tiles: { type: 'string' },
    'log-level': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'mqtts-port': { type: 'string' },
    'wss-port': { type: 'string' },
    'max-connections-per-address': { type: 'string' },
  },
  async run(values) {
    const siteFile = requireString(values, 'site', usage);
    const site = loadSite(siteFile);
    const secretsFile = typeof values['secrets'] === 'string' ? values['secrets'] : defaultSecretsPath(siteFile);
    if (!existsSync(secretsFile)) throw new UsageError(`no secrets file at ${secretsFile}: pass --secrets FILE with the services' MQTT secrets`);
    const secrets = loadSecretsFile(secretsFile);
    const sim = values['sim'] === true;
    let scenarioFile = typeof values['scenario'] === 'string' ? values['scenario'] : undefined;
    if (sim && !scenarioFile && site.site.id === 'lakeside' && existsSync('simulators/scenarios/demo.yaml')) scenarioFile = 'simulators/scenarios/demo.yaml';
    if (scenarioFile && !sim) throw new UsageError('--scenario needs --sim');
    const scenario = scenarioFile ? loadScenario(scenarioFile, site) : undefined;
    const speed = values['speed'] !== undefined ? Number(values['speed']) : (scenario?.speed ?? 1);
    if (!Number.isFinite(speed) || speed <= 0 || speed > 100) throw new UsageError(`--speed must be a number from 0 to 100, got "${String(values['speed'])}"`);
    const logger = pino({ level: typeof values['log-level'] === 'string' ? values['log-level'] : 'info' });
    const store: StoreConfig | undefined = typeof values['influx-url'] === 'string' ? { backend: 'v1', url: values['influx-url'] } : undefined;
    const tiles = typeof values['tiles'] === 'string' ? values['tiles'] : undefined;
    const host = typeof values['host'] === 'string' ? values['host'] : '127.0.0.1';
    const tls = readTlsFlags(values);
    if (!tls && (values['mqtts-port'] !== undefined || values['wss-port'] !== undefined)) throw new UsageError('--mqtts-port and --wss-port need --tls-cert and --tls-key');
    const demoCredentials = await refuseDemoCredentialsOffLoopback(site, [{ name: 'HTTP', host }, ...(typeof values['mqtt'] === 'string' ? [] : [{ name: 'MQTT', host }])]);
    const tileSrc = tiles ? tileOrigin(tiles) : undefined;
    const perAddress = connectionLimitsFromFlags(values)?.maxConnectionsPerAddress;
    if (perAddress !== undefined && typeof values['mqtt'] === 'string') throw new UsageError('--max-connections-per-address applies to our own broker, not to one given with --mqtt');

    const system = await startSystem({
      site,
      secrets,
      dataDir: typeof values['data-dir'] === 'string' ? values['data-dir'] : 'data',
      host,
      httpPort: parsePort(values['http-port'], 'http-port', DEFAULT_PORTS.http),
      mqttPort: parsePort(values['mqtt-port'], 'mqtt-port', DEFAULT_PORTS.mqtt),
      wsPort: parsePort(values['ws-port'], 'ws-port', DEFAULT_PORTS.ws),
      ...(typeof values['mqtt'] === 'string' ? { mqttUrl: values['mqtt'] } : {}),
      // The HTTPS certificate serves mqtts and wss too: devices reach one name.
      ...(tls ? { brokerTls: { files: tls, mqttsPort: parsePort(values['mqtts-port'], 'mqtts-port', DEFAULT_PORTS.mqtts), wssPort: parsePort(values['wss-port'], 'wss-port', DEFAULT_PORTS.wss) } } : {}),
      ...(store ? { store } : {}),
      ...(perAddress !== undefined ? { brokerLimits: { maxConnectionsPerAddress: perAddress } } : {}),
      ...(values['metrics-port'] === 'off' ? {} : { metricsPort: parsePort(values['metrics-port'], 'metrics-port', DEFAULT_METRICS_PORT) }),
      telemetry: {
        ...(values['influxd-port'] !== undefined ? { influxdPort: parsePort(values['influxd-port'], 'influxd-port', 0) } : {}),
        ...(values['telemetry-metrics-port'] !== undefined ? { metricsPort: parsePort(values['telemetry-metrics-port'], 'telemetry-metrics-port', 0) } : {}),
      },
      ...(tiles ? { web: { tiles: parseTileSpec(tiles) } } : {}),
      ...(sim ? { sim: { speed, ...(scenario ? { scenario } : {}) }, autoPatrol: values['no-patrol'] !== true } : {}),
      http: { ...(tls ? { tls } : {}), ...(tileSrc ? { extraImgSrc: [tileSrc] } : {}), logger },
      logger,
    });

    process.stdout.write(startBanner({ site, secrets, demoCredentials, hosts: [host], mapUrl: system.mapUrl, mqttUrl: system.mqttUrl }));
    const health = system.health();
    if (health.status !== 'ok') process.stdout.write(`ringwatch: running ${health.status} (${health.reasons.join('; ')})\n`);
    if (system.metricsUrl) process.stdout.write(`ringwatch: metrics on ${system.metricsUrl}, health on ${system.metricsUrl.replace(/metrics$/, 'health')}\n`);
    if (system.telemetryMetricsUrl) process.stdout.write(`ringwatch: telemetry metrics on ${system.telemetryMetricsUrl}\n`);
    const sig = await waitForStopSignal();
    process.stdout.write(`ringwatch: ${sig}, stopping\n`);
    await system.close();
  },
};
