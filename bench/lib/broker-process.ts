/**
 * Child-process entry for the benchmark: runs ringwatch's broker (auth, ACL, validation,
 * rate limits all on) on a free port, prints {"port":N} once listening, answers
 * "metrics" over IPC, and exits on SIGTERM. Separate from the load generator so the two
 * do not share an event loop, the same as Mosquitto.
 */
import { createServer, type AddressInfo } from 'node:net';
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { Aedes } from 'aedes';
import { pino } from 'pino';
import { startBrokerServer } from '../../broker/index.ts';
import { benchSite } from './bench-site.ts';

const devices = Number(process.env['BENCH_DEVICES'] ?? 200);
// Bench devices publish well above field rates (up to ~500 msg/s each at the top of the
// ladder); raise their rate limit so it measures the broker, not the limiter. The
// limiter code still runs on every message.
const perDevice = Number(process.env['BENCH_DEVICE_RATE'] ?? 5000);
/**
 * BENCH_BARE_AEDES=1: aedes as it comes (no authentication, ACL, validation, rate limits,
 * size guard or write joining), on plain TCP. Not a configuration to run: the floor that
 * tells how much of ringwatch's cost per message is aedes and Node themselves.
 */
async function startBareAedes() {
  const aedes = await Aedes.createBroker();
  const tcp = createServer({ noDelay: true }, (socket) => aedes.handle(socket));
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  return {
    mqttPort: (tcp.address() as AddressInfo).port,
    metrics: () => ({ bare: true }),
    close: () => new Promise<void>((resolve) => tcp.close(() => aedes.close(() => resolve()))),
  };
}

const server = process.env['BENCH_BARE_AEDES'] ? await startBareAedes() : await startBrokerServer({
  site: benchSite(devices),
  host: '127.0.0.1',
  mqttPort: 0,
  wsPort: null,
  logger: pino({ level: 'error' }),
  limits: process.env['BENCH_DEFAULT_LIMITS']
    ? {}
    : {
        routine: {
          drone: { ratePerS: perDevice, burst: perDevice * 2 },
          speaker: { ratePerS: 100, burst: 200 },
          sensor: { ratePerS: 100, burst: 200 },
          control: { ratePerS: 5000, burst: 10000 },
          telemetry: { ratePerS: 100, burst: 200 },
          web: { ratePerS: 100, burst: 200 },
        },
      },
});
process.stdout.write(JSON.stringify({ port: server.mqttPort }) + '\n');

// Garbage-collection pauses by kind since the last "metrics" ask: a latency tail of a
// few ms at 2,000 msg/s is a pause or a scheduling delay, and this tells which.
const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};
let gc: Record<string, { count: number; totalMs: number; maxMs: number }> = {};
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = GC_KINDS[(e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? -1] ?? 'other';
    const g = (gc[kind] ??= { count: 0, totalMs: 0, maxMs: 0 });
    g.count++;
    g.totalMs = Math.round((g.totalMs + e.duration) * 100) / 100;
    g.maxMs = Math.max(g.maxMs, Math.round(e.duration * 100) / 100);
  }
}).observe({ entryTypes: ['gc'] });

process.on('message', (msg) => {
  if (msg === 'metrics') {
    process.send?.({ metrics: { ...server.metrics(), gcSinceLastAsk: gc }, rssMb: Math.round(process.memoryUsage().rss / 1e6) });
    gc = {};
  }
});
const stop = () => void server.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.once('disconnect', stop);
