/**
 * npm run bench:sim — CPU and memory of the simulators.
 *
 * Phases (each in a fresh child process, so figures are the simulator's alone):
 *   A. 100 drones streaming at 5 Hz            → CPU and memory per 100 drones
 *   B. N drones (1000) at 5 Hz                 → the same, at scale
 *   C. N drones + M sensors (2000) on a broker → the issue's target figure
 * The parent process runs the broker (for C) and a light ground-station load generator:
 * one UDP socket that sends every vehicle a HEARTBEAT each second and, once,
 * REQUEST_DATA_STREAM(ALL, 5 Hz), as Mission Planner does on connect; Copter sends nothing
 * but HEARTBEAT until asked. It counts what comes back by message id.
 *
 * Environment: BENCH_SIM_DRONES (1000), BENCH_SIM_SENSORS (2000), BENCH_SIM_WINDOW_S (10),
 * BENCH_SIM_RATE_HZ (5), BENCH_SIM_PHASES (ABC), BENCH_SIM_CONNECT_CONCURRENCY (100). The whole run stops itself after
 * BENCH_SIM_LIMIT_S (300) seconds.
 */
import { runBench, type Figures } from './lib/runs.ts';
import { fork, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { common, minimal, MavLinkProtocolV2 } from 'node-mavlink';
import { pino } from 'pino';

const SELF = fileURLToPath(import.meta.url);
const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);

interface ChildConfig {
  drones: number;
  sensors: number;
  mqttUrl?: string;
  sensorReportIntervalS: number;
}
interface Ready {
  type: 'ready';
  ports: number[];
  droneStartMs: number;
  sensorConnectMs: number;
  rssAfterStartMb: number;
}
interface Report {
  type: 'report';
  cpuPct: number;
  rssMb: number;
  heapUsedMb: number;
  loopDelayP99Ms: number;
  sensorMsgsPerS: number;
}
type ToChild = { type: 'mark' } | { type: 'report' } | { type: 'stop' };

/* ------------------------------------------------------------------ child */

function benchSecret(id: string): string {
  return `bench-secret-${id}`;
}

async function runChild(cfg: ChildConfig): Promise<void> {
  const { loadSite } = await import('../site/index.ts');
  const { startSimDrone } = await import('../simulators/drone/index.ts');
  const { startSensorFleet } = await import('../simulators/sensor/sensor-fleet.ts');
  const site = loadSite('sites/demo.yaml');
  const proto = site.drones[0]!;
  const send = (m: Ready | Report) => process.send!(m);

  const t0 = performance.now();
  const drones: Awaited<ReturnType<typeof startSimDrone>>[] = [];
  for (let i = 0; i < cfg.drones; i++) {
    const drone = { ...proto, id: `bd-${i + 1}`, mavlink: { ...proto.mavlink, systemId: (i % 250) + 1 }, dock: { ...proto.dock, latDeg: proto.dock.latDeg + (i % 40) * 1e-4 } };
    delete (drone as { speaker?: unknown }).speaker;
    drones.push(await startSimDrone({ drone, udpPort: 0, prearmDelayS: 0, seed: i + 1 }));
  }
  const droneStartMs = performance.now() - t0;

  const t1 = performance.now();
  const fleet =
    cfg.sensors > 0
      ? await startSensorFleet({
          mqttUrl: cfg.mqttUrl!,
          specs: benchSensorSpecs(cfg.sensors),
          secretOf: benchSecret,
          speed: 1,
          seed: 7,
          reportIntervalS: cfg.sensorReportIntervalS,
          connectConcurrency: env('BENCH_SIM_CONNECT_CONCURRENCY', 100),
          connectTimeoutMs: 30_000,
        })
      : undefined;
  const sensorConnectMs = performance.now() - t1;
  const published = () => (fleet ? [...fleet.sensors.values()].reduce((n, s) => n + s.connection.counters.published, 0) : 0);

  send({ type: 'ready', ports: drones.map((d) => d.udpPort!), droneStartMs, sensorConnectMs, rssAfterStartMb: process.memoryUsage().rss / 2 ** 20 });
  const loop = monitorEventLoopDelay({ resolution: 10 });
  let mark = { cpu: process.cpuUsage(), at: performance.now(), published: 0 };
  process.on('message', (m: ToChild) => {
    if (m.type === 'mark') {
      loop.reset();
      loop.enable();
      mark = { cpu: process.cpuUsage(), at: performance.now(), published: published() };
    } else if (m.type === 'report') {
      const cpu = process.cpuUsage(mark.cpu);
      const wallMs = performance.now() - mark.at;
      // Memory after a full GC, so the figure is what the devices hold, not garbage.
      (globalThis as { gc?: () => void }).gc?.();
      const mem = process.memoryUsage();
      send({
        type: 'report',
        cpuPct: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
        rssMb: mem.rss / 2 ** 20,
        heapUsedMb: mem.heapUsed / 2 ** 20,
        loopDelayP99Ms: loop.percentile(99) / 1e6,
        sensorMsgsPerS: ((published() - mark.published) * 1000) / wallMs,
      });
    } else {
      void (async () => {
        await fleet?.close();
        await Promise.all(drones.map((d) => d.close()));
        process.exit(0);
      })();
    }
  });
}

const SENSOR_TYPES = ['anpr_camera', 'perimeter', 'panic_button', 'crowd_counter', 'face_watchlist'] as const;

function benchSensorSpecs(n: number) {
  return Array.from({ length: n }, (_, i) => ({ id: `bs-${i + 1}`, type: SENSOR_TYPES[i % SENSOR_TYPES.length]!, checkpointId: `bcp-${Math.floor(i / 10) + 1}` }));
}

/* ----------------------------------------------------------------- parent */

async function startBenchBroker(sensors: number) {
  const { loadSite, hashDeviceSecret } = await import('../site/index.ts');
  const { startBrokerServer } = await import('../broker/index.ts');
  const site = loadSite('sites/demo.yaml');
  // A synthetic site: the demo plus `sensors` sensors, ten per checkpoint, each with a credential.
  const specs = benchSensorSpecs(sensors);
  const cp0 = site.checkpoints[0]!;
  for (let c = 0; c * 10 < specs.length; c++) {
    const mine = specs.slice(c * 10, c * 10 + 10);
    site.checkpoints.push({ id: `bcp-${c + 1}`, name: `bench ${c + 1}`, position: cp0.position, sensors: mine.map((s) => ({ id: s.id, type: s.type })) });
    for (const s of mine) {
      site.credentials.devices[s.id] = hashDeviceSecret(benchSecret(s.id));
      site.devices.set(s.id, { kind: 'sensor', id: s.id, parentId: `bcp-${c + 1}` });
    }
  }
  return startBrokerServer({ site, host: '127.0.0.1', mqttPort: 0, wsPort: null, logger: pino({ level: 'silent' }) });
}

/** The ground-station side: heartbeats, one stream request per vehicle, counting by message id. */
class GcsLoad {
  private readonly sock: Socket = createSocket('udp4');
  private readonly proto = new MavLinkProtocolV2(255, 190);
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  counts = new Map<number, number>();
  datagrams = 0;
  frames = 0;

  constructor(
    private readonly ports: number[],
    private readonly rateHz: number,
  ) {
    this.sock.on('message', (buf) => {
      this.datagrams++;
      // A vehicle may pack several frames into one datagram; walk them without decoding.
      // MAVLink 2: 0xFD, len, incompat, compat, seq, sysid, compid, msgid (3 bytes LE),
      // payload, CRC (2), signature (13, when incompat bit 0 is set).
      for (let off = 0; off + 12 <= buf.length && buf[off] === 0xfd; ) {
        const id = buf[off + 7]! | (buf[off + 8]! << 8) | (buf[off + 9]! << 16);
        this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
        this.frames++;
        off += 12 + buf[off + 1]! + (buf[off + 2]! & 1 ? 13 : 0);
      }
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.sock.bind(0, '127.0.0.1', r));
    // A thousand vehicles at 5 Hz overflow the default 208 KB receive buffer in bursts;
    // what the kernel drops here would be charged to the simulator. Capped by rmem_max.
    try {
      this.sock.setRecvBufferSize(4 * 2 ** 20);
    } catch {
      // keep the default; the kernel's "receive buffer errors" counter then tells
    }
    const hb = new minimal.Heartbeat();
    hb.type = minimal.MavType.GCS;
    hb.autopilot = minimal.MavAutopilot.INVALID;
    hb.mavlinkVersion = 3;
    const beat = () => this.ports.forEach((p) => this.sock.send(this.proto.serialize(hb, this.seq++ & 0xff), p, '127.0.0.1'));
    beat();
    this.timer = setInterval(beat, 1000);
    this.ports.forEach((p, i) => {
      const req = new common.RequestDataStream();
      req.targetSystem = (i % 250) + 1;
      req.targetComponent = 1;
      req.reqStreamId = 0; // MAV_DATA_STREAM_ALL
      req.reqMessageRate = this.rateHz;
      req.startStop = 1;
      this.sock.send(this.proto.serialize(req, this.seq++ & 0xff), p, '127.0.0.1');
    });
  }

  reset(): void {
    this.counts = new Map();
    this.datagrams = 0;
    this.frames = 0;
  }

  close(): void {
    clearInterval(this.timer);
    this.sock.close();
  }
}

function ask<T>(child: ChildProcess, msg: ToChild | undefined, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child gave no ${type} within ${timeoutMs} ms`)), timeoutMs);
    const on = (m: { type: string }) => {
      if (m.type !== type) return;
      clearTimeout(timer);
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before ${type}`)));
    if (msg) child.send(msg);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface PhaseResult {
  name: string;
  drones: number;
  sensors: number;
  ready: Ready;
  report: Report;
  parentCpuPct: number;
  positionHzPerDrone: number;
  msgsPerSPerDrone: number;
}

async function runPhase(name: string, drones: number, sensors: number, windowS: number, rateHz: number): Promise<PhaseResult> {
  const broker = sensors > 0 ? await startBenchBroker(sensors) : undefined;
  const cfg: ChildConfig = { drones, sensors, mqttUrl: broker ? `mqtt://127.0.0.1:${broker.mqttPort}` : undefined, sensorReportIntervalS: 10 };
  const child = fork(SELF, ['--child'], { execArgv: ['--import', 'tsx', '--expose-gc'], env: { ...process.env, BENCH_SIM_CHILD: JSON.stringify(cfg) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const ready = await ask<Ready>(child, undefined, 'ready', 180_000);
    const gcs = new GcsLoad(ready.ports, rateHz);
    await gcs.start();
    await sleep(3000); // streams ramp up; sensors settle after their connect burst
    gcs.reset();
    const parentCpu0 = process.cpuUsage();
    const t0 = performance.now();
    child.send({ type: 'mark' } satisfies ToChild);
    await sleep(windowS * 1000);
    const report = await ask<Report>(child, { type: 'report' }, 'report', 10_000);
    const wallS = (performance.now() - t0) / 1000;
    const pc = process.cpuUsage(parentCpu0);
    gcs.close();
    const pos = gcs.counts.get(common.GlobalPositionInt.MSG_ID) ?? 0;
    return {
      name,
      drones,
      sensors,
      ready,
      report,
      parentCpuPct: ((pc.user + pc.system) / 1e6 / wallS) * 100,
      positionHzPerDrone: drones ? pos / wallS / drones : 0,
      msgsPerSPerDrone: drones ? gcs.frames / wallS / drones : 0,
    };
  } finally {
    child.send({ type: 'stop' });
    await new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
    await broker?.close();
  }
}

async function main(): Promise<Figures> {
  const figures: Figures = {};
  const limitS = env('BENCH_SIM_LIMIT_S', 300);
  setTimeout(() => {
    process.stderr.write(`bench:sim: time limit of ${limitS} s reached, stopping\n`);
    process.exit(1);
  }, limitS * 1000).unref();
  const drones = env('BENCH_SIM_DRONES', 1000);
  const sensors = env('BENCH_SIM_SENSORS', 2000);
  const windowS = env('BENCH_SIM_WINDOW_S', 10);
  const rateHz = env('BENCH_SIM_RATE_HZ', 5);
  const phases = (process.env['BENCH_SIM_PHASES'] ?? 'ABC').toUpperCase();
  const results: PhaseResult[] = [];
  const baseline = await runPhase('baseline (0 drones)', 0, 0, 2, rateHz);
  const print = (r: PhaseResult) =>
    process.stdout.write(
      `${r.name.padEnd(34)} start ${(r.ready.droneStartMs / 1000).toFixed(1)} s drones` +
        `${r.sensors ? `, ${(r.ready.sensorConnectMs / 1000).toFixed(1)} s sensor connects` : ''} | ` +
        `sim CPU ${r.report.cpuPct.toFixed(0)}% of one core, RSS ${r.report.rssMb.toFixed(0)} MB, heap ${r.report.heapUsedMb.toFixed(0)} MB, loop p99 ${r.report.loopDelayP99Ms.toFixed(1)} ms | ` +
        `GLOBAL_POSITION_INT ${r.positionHzPerDrone.toFixed(2)} Hz/drone, ${r.msgsPerSPerDrone.toFixed(1)} msg/s/drone` +
        `${r.sensors ? `, sensors ${r.report.sensorMsgsPerS.toFixed(0)} msg/s` : ''} | parent (GCS${r.sensors ? '+broker' : ''}) CPU ${r.parentCpuPct.toFixed(0)}%\n`,
    );
  print(baseline);
  if (phases.includes('A')) results.push(await runPhase('A: 100 drones', 100, 0, windowS, rateHz));
  if (phases.includes('B')) results.push(await runPhase(`B: ${drones} drones`, drones, 0, windowS, rateHz));
  if (phases.includes('C')) results.push(await runPhase(`C: ${drones} drones + ${sensors} sensors`, drones, sensors, windowS, rateHz));
  for (const r of results) print(r);
  process.stdout.write('\nper 100 drones at 5 Hz (streams ALL requested):\n');
  for (const r of results.filter((x) => x.drones > 0 && x.sensors === 0)) {
    const per = 100 / r.drones;
    const key = r.drones === 100 ? 'per100From100' : `per100From${r.drones}`;
    figures[`${key}CpuPct`] = Math.round(r.report.cpuPct * per * 10) / 10;
    figures[`${key}RssMb`] = Math.round((r.report.rssMb - baseline.report.rssMb) * per * 10) / 10;
    process.stdout.write(
      `  from ${r.name}: CPU ${(r.report.cpuPct * per).toFixed(1)}% of one core, ` +
        `RSS +${((r.report.rssMb - baseline.report.rssMb) * per).toFixed(1)} MB, heap +${((r.report.heapUsedMb - baseline.report.heapUsedMb) * per).toFixed(1)} MB ` +
        `(over a ${baseline.report.rssMb.toFixed(0)} MB RSS / ${baseline.report.heapUsedMb.toFixed(0)} MB heap process with no devices)\n`,
    );
  }
  const c = results.find((r) => r.sensors > 0);
  if (c) {
    Object.assign(figures, { fleetCpuPct: Math.round(c.report.cpuPct), fleetRssMb: Math.round(c.report.rssMb), fleetPositionHzPerDrone: Math.round(c.positionHzPerDrone * 100) / 100 });
    process.stdout.write(
      `  ${c.name}: CPU ${c.report.cpuPct.toFixed(0)}% of one core (machine: 2 cores), RSS ${c.report.rssMb.toFixed(0)} MB; ` +
        `${c.positionHzPerDrone >= 0.95 * rateHz ? 'kept' : 'did NOT keep'} ${rateHz} Hz position per drone\n`,
    );
  }
  return figures;
}

if (process.argv.includes('--child')) {
  runChild(JSON.parse(process.env['BENCH_SIM_CHILD']!) as ChildConfig).catch((err: unknown) => {
    process.stderr.write(`bench child: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
} else {
  await runBench('bench:sim', import.meta.url, main);
}
