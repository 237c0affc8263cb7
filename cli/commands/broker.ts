import { spawn } from 'node:child_process';
import { pino } from 'pino';
import { startBrokerServer } from '../../broker/index.ts';
import { loadSite } from '../../site/index.ts';
import { refuseDemoCredentialsOffLoopback } from '../demo-credentials-check.ts';
import { parsePort, requireString, waitForStopSignal, type Command } from '../args.ts';

const usage = `Usage: ringwatch broker --site FILE [--mqtt-port N] [--ws-port N] [--host H] [--redis URL]

Runs the ringwatch MQTT broker: every client authenticates with its site credentials
(username = device or service id, password = its secret, client id = its id), the ACL
limits each identity to its own topics, and payloads on device topics are validated
against the protocol schemas (invalid ones are dropped and counted).

  --site FILE       site file (e.g. sites/demo.yaml)
  --mqtt-port N     MQTT over TCP (default 1883; 0 picks a free port)
  --ws-port N       MQTT over WebSocket, subprotocol "mqtt" (default 8083; 0 picks a free port)
  --no-ws           do not listen for WebSocket
  --host H          address to listen on (default 127.0.0.1; 0.0.0.0 for all interfaces)
  --redis URL       cluster with other brokers on this Redis (redis://host:port[/db])
  --id ID           broker id, distinct per instance in a cluster (default random)
  --metrics-every S log a metrics line every S seconds (default 60; 0 disables)
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
    redis: { type: 'string' },
    id: { type: 'string' },
    'metrics-every': { type: 'string' },
    'log-level': { type: 'string' },
  },
  async run(values) {
    const siteFile = requireString(values, 'site', usage);
    if (!process.execArgv.some((a) => a.startsWith('--max-semi-space-size'))) return runWithLargerYoungGeneration();
    const site = loadSite(siteFile);
    await refuseDemoCredentialsOffLoopback(site, [{ name: 'MQTT', host: typeof values['host'] === 'string' ? values['host'] : '127.0.0.1' }]);
    const logger = pino({ name: 'broker', level: typeof values['log-level'] === 'string' ? values['log-level'] : 'info' });
    const metricsEveryS = Number(values['metrics-every'] ?? 60);
    const server = await startBrokerServer({
      site,
      host: typeof values['host'] === 'string' ? values['host'] : '127.0.0.1',
      mqttPort: parsePort(values['mqtt-port'], 'mqtt-port', 1883),
      wsPort: values['no-ws'] ? null : parsePort(values['ws-port'], 'ws-port', 8083),
      logger,
      ...(typeof values['redis'] === 'string' ? { redis: values['redis'] } : {}),
      ...(typeof values['id'] === 'string' ? { id: values['id'] } : {}),
    });
    logger.info(
      { site: site.site.id, mqttPort: server.mqttPort, wsPort: server.wsPort || undefined, redis: values['redis'] ? true : undefined, nodeFlags: process.execArgv },
      `broker listening: mqtt://${values['host'] ?? '127.0.0.1'}:${server.mqttPort}` + (server.wsPort ? ` and ws://${values['host'] ?? '127.0.0.1'}:${server.wsPort}` : ''),
    );
    const ticker =
      metricsEveryS > 0 ? setInterval(() => logger.info({ metrics: server.metrics() }, 'broker metrics'), metricsEveryS * 1000) : undefined;
    ticker?.unref();
    const signal = await waitForStopSignal();
    // A second Ctrl-C (or the parent forwarding the terminal's) must not cut the close short.
    process.on('SIGINT', () => undefined).on('SIGTERM', () => undefined);
    logger.info({ signal }, 'closing broker');
    if (ticker) clearInterval(ticker);
    await server.close();
    logger.info({ metrics: server.metrics() }, 'broker closed');
  },
};

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
