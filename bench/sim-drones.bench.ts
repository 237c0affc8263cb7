/**
 * node --import tsx bench/sim-drones.bench.ts — CPU and memory of simulated drones *in flight*.
 *
 * bench:sim measures vehicles resting on their docks with streams on; a flying vehicle
 * also integrates its physics every tick. Here each phase forks a child holding N sim
 * drones (UDP, port 0); the parent is the ground station: one UDP socket that sends each
 * vehicle HEARTBEAT at 1 Hz and REQUEST_DATA_STREAM(ALL, 5 Hz), then GUIDED, arm,
 * takeoff to 30 m and DO_REPOSITION 20 km away, so every vehicle cruises through the
 * measurement window. The child reports its own CPU and memory; the parent counts frames.
 *
 * Environment: BENCH_DRONES (comma list, default "100,1000"), BENCH_WINDOW_S (10),
 * BENCH_WARMUP_S (20, simulated takeoff and acceleration happen here).
 */
import { runBench, type Figures } from './lib/runs.ts';
import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { common, minimal, MavLinkProtocolV2, type MavLinkData } from 'node-mavlink';

const SELF = fileURLToPath(import.meta.url);
const env = (k: string, d: string) => process.env[k] ?? d;
const HARD_LIMIT_MS = 10 * 60_000;

type FromChild =
  | { type: 'ready'; ports: number[]; systemIds: number[] }
  | { type: 'report'; cpuPct: number; rssMb: number; rssBaseMb: number; heapMb: number; flying: number };

async function child(n: number): Promise<void> {
  const { loadSite } = await import('../site/index.ts');
  const { startSimDrone } = await import('../simulators/drone/index.ts');
  const proto = loadSite('sites/demo.yaml').drones[0]!;
  const rssBaseMb = process.memoryUsage().rss / 2 ** 20;
  const drones: Awaited<ReturnType<typeof startSimDrone>>[] = [];
  for (let i = 0; i < n; i++) {
    const drone = { ...proto, id: `bd-${i + 1}`, mavlink: { ...proto.mavlink, systemId: (i % 250) + 1 } };
    drones.push(await startSimDrone({ drone, udpPort: 0, prearmDelayS: 0, seed: i + 1, autoDisarmS: 0 }));
  }
  process.send!({ type: 'ready', ports: drones.map((d) => d.udpPort!), systemIds: drones.map((d) => d.systemId) } satisfies FromChild);
  let mark = { cpu: process.cpuUsage(), at: performance.now() };
  process.on('message', (m: { type: 'mark' | 'report' | 'stop' }) => {
    if (m.type === 'mark') mark = { cpu: process.cpuUsage(), at: performance.now() };
    else if (m.type === 'report') {
      const cpu = process.cpuUsage(mark.cpu);
      const mem = process.memoryUsage();
      const flying = drones.filter((d) => d.state().groundSpeedMps > 5).length;
      process.send!({
        type: 'report',
        cpuPct: ((cpu.user + cpu.system) / 1000 / (performance.now() - mark.at)) * 100,
        rssMb: mem.rss / 2 ** 20,
        rssBaseMb,
        heapMb: mem.heapUsed / 2 ** 20,
        flying,
      } satisfies FromChild);
    } else void Promise.all(drones.map((d) => d.close())).then(() => process.exit(0));
  });
}

async function phase(n: number, windowS: number, warmupS: number): Promise<{ text: string; figures: Figures }> {
  const c = fork(SELF, ['--child', String(n)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = () => new Promise<FromChild>((resolve) => c.once('message', (m) => resolve(m as FromChild)));
  const ready = (await next()) as Extract<FromChild, { type: 'ready' }>;
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  try {
    sock.setRecvBufferSize(4 * 2 ** 20);
  } catch {
    // rmem_max caps it; drops would then show as a lower frame rate
  }
  let frames = 0;
  sock.on('message', (b: Buffer) => {
    for (let o = 0; o + 12 <= b.length && b[o] === 0xfd; o += 12 + b[o + 1]! + (b[o + 2]! & 1 ? 13 : 0)) frames++;
  });
  const protocol = new MavLinkProtocolV2(255, 190);
  let seq = 0;
  const send = (i: number, m: MavLinkData) => sock.send(protocol.serialize(m, seq++ & 0xff), ready.ports[i]!, '127.0.0.1');
  const cmd = (i: number, command: number, p: number[]) => {
    const c = new common.CommandLong();
    c.targetSystem = ready.systemIds[i]!;
    c.targetComponent = 1;
    c.command = command;
    [c._param1, c._param2, c._param3, c._param4, c._param5, c._param6, c._param7] = [...p, 0, 0, 0, 0, 0, 0, 0] as [number, number, number, number, number, number, number];
    send(i, c);
  };
  const hb = new minimal.Heartbeat();
  hb.type = minimal.MavType.GCS;
  const beat = setInterval(() => ready.ports.forEach((_, i) => send(i, hb)), 1000);
  const C = common.MavCmd;
  const steps: ((i: number) => void)[] = [
    (i) => {
      send(i, hb);
      const r = new common.RequestDataStream();
      r.targetSystem = ready.systemIds[i]!;
      r.reqStreamId = 0;
      r.reqMessageRate = 5;
      r.startStop = 1;
      send(i, r);
    },
    (i) => cmd(i, C.DO_SET_MODE, [1, 4]),
    (i) => cmd(i, C.COMPONENT_ARM_DISARM, [1]),
    (i) => cmd(i, C.NAV_TAKEOFF, [0, 0, 0, 0, 0, 0, 30]),
  ];
  // Commands go out in small waves so the GCS itself does not flood the loopback.
  for (const step of steps) {
    for (let i = 0; i < ready.ports.length; i++) step(i);
    await new Promise((r) => setTimeout(r, 300));
  }
  await new Promise((r) => setTimeout(r, 14_000)); // climb to 30 m at 2.5 m/s
  // DO_REPOSITION is COMMAND_INT only on ArduCopter 4.7 (and in the simulator).
  for (let i = 0; i < ready.ports.length; i++) {
    const r = new common.CommandInt();
    r.targetSystem = ready.systemIds[i]!;
    r.targetComponent = 1;
    r.command = C.DO_REPOSITION;
    r.frame = common.MavFrame.GLOBAL_RELATIVE_ALT_INT;
    [r._param1, r._param5, r._param6, r._param7] = [-1, 30.45e7, Math.round((120.065 + (i % 50) * 0.01) * 1e7), 30];
    send(i, r);
  }
  await new Promise((r) => setTimeout(r, Math.max(0, warmupS - 14) * 1000));
  c.send({ type: 'mark' });
  const f0 = frames;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, windowS * 1000));
  const framesPerDroneS = (frames - f0) / ((performance.now() - t0) / 1000) / n;
  c.send({ type: 'report' });
  const rep = (await next()) as Extract<FromChild, { type: 'report' }>;
  clearInterval(beat);
  sock.close();
  c.send({ type: 'stop' });
  await new Promise((r) => c.once('exit', r));
  const figures: Figures = { [`cpuPctPer100Of${n}`]: Math.round((rep.cpuPct / n) * 1000) / 10, [`rssMbPer100Of${n}`]: Math.round(((rep.rssMb - rep.rssBaseMb) / n) * 1000) / 10 };
  const text = `${String(n).padStart(5)} drones, ${rep.flying} cruising: sim CPU ${rep.cpuPct.toFixed(1)}% of one core ` +
    `(${((rep.cpuPct / n) * 100).toFixed(1)}% per 100), RSS ${rep.rssMb.toFixed(0)} MB (+${(((rep.rssMb - rep.rssBaseMb) / n) * 100).toFixed(1)} MB per 100 over ${rep.rssBaseMb.toFixed(0)} MB), heap ${rep.heapMb.toFixed(0)} MB, ` +
    `${framesPerDroneS.toFixed(1)} msg/s per drone at the GCS`;
  return { text, figures };
}

if (process.argv[2] === '--child') {
  await child(Number(process.argv[3]));
} else {
  await runBench('bench:sim-drones', import.meta.url, async () => {
    setTimeout(() => {
      console.error(`sim-drones bench: gave up after ${HARD_LIMIT_MS / 1000} s`);
      process.exit(1);
    }, HARD_LIMIT_MS).unref();
    const figures: Figures = {};
    const sizes = env('BENCH_DRONES', '100,1000').split(',').map(Number).filter((x) => x > 0);
    for (const n of sizes) {
      const r = await phase(n, Number(env('BENCH_WINDOW_S', '10')), Number(env('BENCH_WARMUP_S', '20')));
      console.log(r.text);
      Object.assign(figures, r.figures);
    }
    return figures;
  });
}
