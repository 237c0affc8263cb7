import { spawn } from 'node:child_process';
import { pino } from 'pino';
import { readTlsFiles, startBrokerServer, type BrokerTlsOptions } from '../../broker/index.ts';
import { brokerPromRegistry } from '../../broker/metrics.ts';
import { startMetricsServer } from '../../telemetry/metrics-server.ts';
import { loadSite } from '../../site/index.ts';
import { refuseDemoCredentialsOffLoopback } from '../demo-credentials-check.ts';
import { parsePort, requireString, UsageError, waitForStopSignal, type Command } from '../args.ts';
import { DEFAULT_PORTS } from '../../protocol/ports.ts';

const usage = `Usage: ringwatch broker --site FILE [--mqtt-port N] [--ws-port N] [--host H] [--redis URL]
                        [--tls-cert FILE --tls-key FILE [--mqtts-port N] [--wss-port N] [--tls-host H]]

Runs the ringwatch MQTT broker: every client authenticates with its site credentials
(username = device or service id, password = its secret, client id = its id), the ACL
limits each identity to its own topics, and payloads on device topics are validated
against the protocol schemas (invalid ones are dropped and counted).

  --site FILE       site file (e.g. sites/demo.yaml)
  --mqtt-port N     MQTT over TCP (default ${DEFAULT_PORTS.mqtt}; 0 picks a free port)
  --ws-port N       MQTT over WebSocket, subprotocol "mqtt" (default ${DEFAULT_PORTS.ws}; 0 picks a free port)
  --no-ws           do not listen for WebSocket
  --host H          address of the plain (unencrypted) listeners (default 127.0.0.1;
                    0.0.0.0 for all interfaces)
  --tls-cert FILE   PEM certificate chain: also offer mqtts and wss (with --tls-key)
  --tls-key FILE    the certificate's PEM private key (keep it 0600)
  --tls-ca FILE     PEM intermediate certificates to send, if not in --tls-cert
  --mqtts-port N    MQTT over TLS (default ${DEFAULT_PORTS.mqtts}; 0 picks a free port)
  --wss-port N      MQTT over WebSocket over TLS (default ${DEFAULT_PORTS.wss}; 0 picks a free port)
  --no-wss          do not offer wss
  --tls-host H      address of the TLS listeners (default: --host). For devices off this
                    machine use --tls-host 0.0.0.0 and keep --host 127.0.0.1 for local services
  --max-connections N           open connections in total (default 20000)
  --max-connections-per-address N  open connections from one address (default 1000)
  --redis URL       cluster with other brokers on this Redis (redis://host:port[/db])
  --id ID           broker id, distinct per instance in a cluster (default random)
  --metrics-every S log a metrics line every S seconds (default 60; 0 disables)
  --metrics-port N  serve /metrics (Prometheus) and /health on 127.0.0.1:N, no login
                    (0 picks a free port; default: not served)
  --log-level LEVEL pino level (default info)`;

export const brokerCommand: Command = {
  name: 'broker',
  summary: 'run the MQTT broker (auth, ACL, payload validation, overload control)',
  usage,
  options: {
    site: { type: 'string' },
    'mqtt-port': { type: 'string' },
    'ws-port': { type: 'string' },
    'no-ws': { type: 'boolean' },
    host: { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'tls-ca': { type: 'string' },
    'mqtts-port': { type: 'string' },
    'wss-port': { type: 'string' },
    'no-wss': { type: 'boolean' },
    'tls-host': { type: 'string' },
    'max-connections': { type: 'string' },
    'max-connections-per-address': { type: 'string' },
    redis: { type: 'string' },
    id: { type: 'string' },
    'metrics-every': { type: 'string' },
    'metrics-port': { type: 'string' },
    'log-level': { type: 'string' },
  },
  async run(values) {
    const siteFile = requireString(values, 'site', usage);
    if (!process.execArgv.some((a) => a.startsWith('--max-semi-space-size'))) return runWithLargerYoungGeneration();
    const site = loadSite(siteFile);
    const tls = brokerTlsFromFlags(values);
    const limits = connectionLimitsFromFlags(values);
    const plainHost = typeof values['host'] === 'string' ? values['host'] : '127.0.0.1';
    await refuseDemoCredentialsOffLoopback(site, [{ name: 'MQTT', host: plainHost }, ...(tls ? [{ name: 'MQTT over TLS', host: tls.host ?? plainHost }] : [])]);
    const logger = pino({ name: 'broker', level: typeof values['log-level'] === 'string' ? values['log-level'] : 'info' });
    const metricsEveryS = Number(values['metrics-every'] ?? 60);
    const server = await startBrokerServer({
      site,
      host: typeof values['host'] === 'string' ? values['host'] : '127.0.0.1',
      mqttPort: parsePort(values['mqtt-port'], 'mqtt-port', DEFAULT_PORTS.mqtt),
      wsPort: values['no-ws'] ? null : parsePort(values['ws-port'], 'ws-port', DEFAULT_PORTS.ws),
      logger,
      ...(tls ? { tls } : {}),
      ...(limits ? { limits } : {}),
      ...(typeof values['redis'] === 'string' ? { redis: values['redis'] } : {}),
      ...(typeof values['id'] === 'string' ? { id: values['id'] } : {}),
    });
    logger.info(
      {
        site: site.site.id,
        mqttPort: server.mqttPort,
        wsPort: server.wsPort || undefined,
        mqttsPort: server.mqttsPort || undefined,
        wssPort: server.wssPort || undefined,
        redis: values['redis'] ? true : undefined,
        nodeFlags: process.execArgv,
      },
      `broker listening: ${listenerUrls(values, server).join(', ')}`,
    );
    // Loopback only and without login, like every ringwatch metrics port (docs/security.md).
    const registry = brokerPromRegistry(() => server.metrics());
    const endpoint =
      values['metrics-port'] !== undefined
        ? await startMetricsServer({
            port: parsePort(values['metrics-port'], 'metrics-port', 0),
            metrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
            // Answering at all is the broker's health; the counters say how it is doing.
            health: () => ({ status: 'ok', reasons: [], ...server.metrics() }),
            logger,
          })
        : undefined;
    if (endpoint) logger.info(`broker metrics on ${endpoint.metricsUrl}, health on ${endpoint.healthUrl}`);
    const ticker =
      metricsEveryS > 0 ? setInterval(() => logger.info({ metrics: server.metrics() }, 'broker metrics'), metricsEveryS * 1000) : undefined;
    ticker?.unref();
    const signal = await waitForStopSignal();
    // A second Ctrl-C (or the parent forwarding the terminal's) must not cut the close short.
    process.on('SIGINT', () => undefined).on('SIGTERM', () => undefined);
    logger.info({ signal }, 'closing broker');
    if (ticker) clearInterval(ticker);
    await endpoint?.close();
    await server.close();
    logger.info({ metrics: server.metrics() }, 'broker closed');
  },
};

type Values = Record<string, string | boolean | undefined>;

/** `--tls-cert`/`--tls-key` (both or neither) and the TLS listener flags; files are read now, so a bad path exits 2. */
export function brokerTlsFromFlags(values: Values): BrokerTlsOptions | undefined {
  const cert = values['tls-cert'];
  const key = values['tls-key'];
  if (cert === undefined && key === undefined) {
    for (const f of ['tls-ca', 'mqtts-port', 'wss-port', 'tls-host']) if (values[f] !== undefined) throw new UsageError(`--${f} needs --tls-cert and --tls-key`);
    return undefined;
  }
  if (typeof cert !== 'string' || typeof key !== 'string') throw new UsageError('--tls-cert and --tls-key go together: give both, or neither for plain MQTT only');
  let files;
  try {
    files = readTlsFiles({ certFile: cert, keyFile: key, ...(typeof values['tls-ca'] === 'string' ? { caFile: values['tls-ca'] } : {}) });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return {
    files,
    ...(typeof values['tls-host'] === 'string' ? { host: values['tls-host'] } : {}),
    mqttsPort: parsePort(values['mqtts-port'], 'mqtts-port', DEFAULT_PORTS.mqtts),
    wssPort: values['no-wss'] ? null : parsePort(values['wss-port'], 'wss-port', DEFAULT_PORTS.wss),
  };
}

export function connectionLimitsFromFlags(values: Values): { maxConnections?: number; maxConnectionsPerAddress?: number } | undefined {
  const count = (name: string): number | undefined => {
    const v = values[name];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a whole number of at least 1, got "${String(v)}"`);
    return n;
  };
  const total = count('max-connections');
  const perAddress = count('max-connections-per-address');
  if (total === undefined && perAddress === undefined) return undefined;
  return { ...(total ? { maxConnections: total } : {}), ...(perAddress ? { maxConnectionsPerAddress: perAddress } : {}) };
}

function listenerUrls(values: Values, server: { mqttPort: number; wsPort: number; mqttsPort: number; wssPort: number }): string[] {
  const host = typeof values['host'] === 'string' ? values['host'] : '127.0.0.1';
  const tlsHost = typeof values['tls-host'] === 'string' ? values['tls-host'] : host;
  return [
    `mqtt://${host}:${server.mqttPort}`,
    ...(server.wsPort ? [`ws://${host}:${server.wsPort}`] : []),
    ...(server.mqttsPort ? [`mqtts://${tlsHost}:${server.mqttsPort}`] : []),
    ...(server.wssPort ? [`wss://${tlsHost}:${server.wssPort}`] : []),
  ];
}

/**
 * The broker allocates a few short-lived objects per message (aedes packets, closures,
 * parsed JSON); with V8's default 16 MiB semi-spaces the scavenger ran ~17% of the time
 * at 40k msg/s. bench:broker measured zero-loss QoS 0 throughput rising from ~36-52k to
 * ~64-79k msg/s with --max-semi-space-size=32 on this kind of machine. The flag only
 * works at process start, so `ringwatch broker` re-executes itself with it (once: the
 * child sees the flag in its execArgv) and forwards stop signals.
 */
async function runWithLargerYoungGeneration(): Promise<void> {
  const child = spawn(process.execPath, ['--max-semi-space-size=32', ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  const forward = (sig: NodeJS.Signals) => {
    if (child.exitCode === null) child.kill(sig);
  };
  process.on('SIGINT', forward).on('SIGTERM', forward);
  const code = await new Promise<number>((resolve) => child.once('exit', (c, sig) => resolve(c ?? (sig ? 128 + 2 : 1))));
  // The child has reported everything (usage and site errors included); mirror its status.
  process.exit(code);
}
