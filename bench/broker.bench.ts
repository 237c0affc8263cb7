/**
 * npm run bench:broker — ringwatch's broker (auth, ACL, validation, rate limits on) and
 * Debian's Mosquitto, side by side, driven by one load generator in this process:
 *   1. throughput: 200 devices publish ~200-byte drone telemetry to one wildcard
 *      subscriber at QoS 0 and QoS 1; offered load climbs a ladder; the result is the
 *      highest delivered msgs/s with zero loss (every message received by the subscriber);
 *   2. latency: publish-to-delivery p50/p99 at 2,000 msg/s (after a 1.5 s warm-up at that rate);
 *   2b. CPU: the broker process's CPU time per message at 10,000 msg/s (ratio Mosquitto/ours,
 *      comparable with the throughput ratio and far less sensitive to other load);
 *   3. flood: one client floods unpaced QoS 0 while 50 devices send 10 Hz each.
 * Each broker runs in its own process. Bounded: each run stops itself after BENCH_MAX_S (240 s);
 * 3 runs by default (`-- --runs N`), see bench/lib/runs.ts.
 * BENCH_PROFILE=1 writes a CPU profile of our broker to bench/profiles/;
 * BENCH_ONLY=ringwatch|mosquitto runs one broker; BENCH_QUICK=1 runs only the QoS 0 ladder
 * (BENCH_QOS=1: the QoS 1 ladder); BENCH_CPU_ONLY=1 runs only the CPU phase (both QoS, or BENCH_QOS);
 * BENCH_LATENCY_ONLY=1 only the latency phase (with the broker's GC pauses meanwhile);
 * BENCH_BARE_AEDES=1 adds aedes with none of our hooks (BENCH_ONLY=aedes for it alone): the floor;
 * BENCH_BROKER_NODE_ARGS sets our broker process's node flags (default: --max-semi-space-size=32,
 * as `ringwatch broker` runs; set it to '' to measure with V8's defaults).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { BENCH_SERVICE_SECRET, benchDeviceIds, benchSecret, droneTelemetry } from './lib/bench-site.ts';
import { startMosquitto } from './lib/mosquitto.ts';
import { runBench, type Figures } from './lib/runs.ts';
import { WireClient, encodePublish } from './lib/wire-client.ts';
import { encodePublishQos0, startRawFlood } from '../tests/broker/raw-mqtt.ts';
import { stopChild } from '../util/stop-child.ts';

const DEVICES = 200;
const STEP_MS = 1_500;
const LADDER = process.env['BENCH_LADDER']?.split(',').map(Number) ?? [10_000, 15_000, 20_000, 25_000, 30_000, 40_000, 50_000, 65_000, 80_000, 100_000];
const LATENCY_RATE = 2_000;
/** Below saturation for both brokers even on a loaded machine: the CPU-cost phase. */
const CPU_RATE = 10_000;
const LATENCY_MS = 3_000;
/**
 * Sent at the latency rate before the measured window and not counted, for both brokers:
 * the first second after 200 fresh connections measures connection set-up and (for
 * Node) JIT warm-up, not the steady state a deployment runs in.
 */
const LATENCY_WARMUP_MS = 1_500;
const FLOOD_MS = 4_000;
const MAX_S = Number(process.env['BENCH_MAX_S'] ?? 240);
const ids = benchDeviceIds(DEVICES);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Target {
  name: string;
  port: number;
  /** The broker's process, for its CPU time. */
  pid: number;
  login(id: string): [string, string] | [];
  subscriberLogin(): [string, string] | [];
  rssMb(): Promise<number>;
  extra(): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

const cleanups: Array<() => Promise<void>> = [];

async function startOurs(defaultLimits = false, bare = false): Promise<Target> {
  // The same node flag `ringwatch broker` runs with (see cli/commands/broker.ts).
  const nodeArgs = process.env['BENCH_BROKER_NODE_ARGS'] ?? '--max-semi-space-size=32';
  const execArgv = ['--import', 'tsx', ...nodeArgs.split(' ').filter(Boolean)];
  if (process.env['BENCH_PROFILE']) execArgv.push('--cpu-prof', '--cpu-prof-dir=bench/profiles');
  const child: ChildProcess = fork('bench/lib/broker-process.ts', [], {
    execArgv,
    env: { ...process.env, BENCH_DEVICES: String(DEVICES), ...(defaultLimits ? { BENCH_DEFAULT_LIMITS: '1' } : {}), BENCH_BARE_AEDES: bare ? '1' : '' },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve((JSON.parse(d.toString()) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`broker process exited (${code})`)));
  });
  const ask = () =>
    new Promise<{ metrics: Record<string, unknown>; rssMb: number }>((resolve) => {
      child.once('message', (m) => resolve(m as { metrics: Record<string, unknown>; rssMb: number }));
      child.send('metrics');
    });
  const close = () => stopChild(child);
  cleanups.push(close);
  return {
    name: bare ? 'aedes (bare)' : defaultLimits ? 'ringwatch (default limits)' : 'ringwatch',
    port,
    pid: child.pid!,
    login: (id) => (bare ? [] : [id, benchSecret(id)]),
    subscriberLogin: () => (bare ? [] : ['telemetry', BENCH_SERVICE_SECRET]),
    rssMb: async () => (child.exitCode === null ? (await ask()).rssMb : 0),
    extra: async () => (child.exitCode === null ? (await ask()).metrics : { crashed: true }),
    close,
  };
}

async function startMosq(): Promise<Target> {
  const m = await startMosquitto();
  cleanups.push(m.close);
  return {
    name: 'mosquitto',
    port: m.port,
    pid: m.child.pid!,
    login: () => [],
    subscriberLogin: () => [],
    rssMb: async () => {
      const status = readFileSync(`/proc/${m.child.pid}/status`, 'utf8');
      return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1000);
    },
    extra: async () => ({ alive: m.child.exitCode === null }),
    close: m.close,
  };
}

async function connectPublishers(t: Target, count = DEVICES): Promise<WireClient[]> {
  // The previous phase's clients used the same ids; give the broker a moment to retire them.
  await sleep(1_000);
  const connect = (id: string) =>
    WireClient.connect(t.port, id, ...t.login(id)).catch(async () => {
      await sleep(500);
      return WireClient.connect(t.port, id, ...t.login(id));
    });
  const out: WireClient[] = [];
  for (let i = 0; i < count; i += 20) out.push(...(await Promise.all(ids.slice(i, Math.min(count, i + 20)).map(connect))));
  return out;
}

async function subscriber(t: Target, qos: 0 | 1, suffix: string): Promise<WireClient> {
  const sub = await WireClient.connect(t.port, `telemetry:${suffix}`, ...t.subscriberLogin());
  const granted = await sub.subscribe('ringwatch/v1/drone/+/telemetry', qos);
  if (granted !== qos) throw new Error(`${t.name}: subscription granted ${granted}`);
  return sub;
}

interface Step {
  offered: number;
  sent: number;
  received: number;
  delivered: number;
  ok: boolean;
}

/** Offers `rate` msg/s for STEP_MS, spread round-robin over the publishers, then waits for delivery to settle. */
let stepNo = 0;
async function runStep(pubs: WireClient[], sub: WireClient, qos: 0 | 1, rate: number): Promise<Step> {
  // Each step stamps its own tsMs, so stragglers from an earlier step are not counted.
  const marker = String(1795398600000 + ++stepNo);
  const packets = pubs.map((_, i) => encodePublish(`ringwatch/v1/drone/${ids[i]}/telemetry`, droneTelemetry(i, Number(marker)), qos));
  const nextId = pubs.map(() => 1);
  let received = 0;
  let lastRecv = performance.now();
  sub.onPublish = (_topic, payload) => {
    // payload starts with {"tsMs":<13 digits>
    if (payload.toString('latin1', 8, 21) === marker) received++;
    lastRecv = performance.now();
  };
  let sent = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(Math.floor((rate * Math.min(now - t0, STEP_MS)) / 1000), Math.floor((rate * STEP_MS) / 1000)) - sent;
      if (due > 0) {
        const per = new Array<number>(pubs.length).fill(0);
        for (let k = 0; k < due; k++) per[(sent + k) % pubs.length]!++;
        for (let i = 0; i < pubs.length; i++) {
          const n = per[i]!;
          if (n === 0) continue;
          const { packet, idOffset } = packets[i]!;
          const out = Buffer.allocUnsafe(packet.length * n);
          for (let j = 0; j < n; j++) {
            packet.copy(out, j * packet.length);
            if (qos) {
              out.writeUInt16BE(nextId[i]!, j * packet.length + idOffset);
              nextId[i] = (nextId[i]! % 65535) + 1;
            }
          }
          pubs[i]!.write(out);
        }
        sent += due;
      }
      if (now - t0 >= STEP_MS) resolve();
      else setTimeout(tick, 2);
    };
    tick();
  });
  // Settle: until everything arrived, or nothing new for 1 s (max 4 s).
  const settleStart = performance.now();
  if (received === 0) lastRecv = settleStart; // an overloaded broker may not have delivered anything yet
  while (received < sent && performance.now() - lastRecv < 1_000 && performance.now() - settleStart < 4_000) await sleep(20);
  const elapsedS = (Math.max(lastRecv, t0 + STEP_MS) - t0) / 1000;
  return { offered: rate, sent, received, delivered: Math.round(received / elapsedS), ok: received === sent };
}

async function throughput(t: Target, qos: 0 | 1): Promise<{ best: number; steps: Step[] }> {
  const pubs = await connectPublishers(t);
  const sub = await subscriber(t, qos, `tp${qos}`);
  const steps: Step[] = [];
  let best = 0;
  for (const rate of LADDER) {
    let s = await runStep(pubs, sub, qos, rate);
    if (!s.ok) {
      await sleep(1_000); // let the backlog drain, then one retry: the machine is shared
      s = await runStep(pubs, sub, qos, rate);
    }
    steps.push(s);
    process.stderr.write(`  ${t.name} QoS ${qos} offered ${rate}: sent ${s.sent} received ${s.received} → ${s.delivered} msg/s ${s.ok ? 'ok' : 'LOSS'}\n`);
    if (!s.ok && process.env['BENCH_DEBUG']) process.stderr.write(`    subscriber frames ${sub.received}, broker ${JSON.stringify(await t.extra())}\n`);
    if (!s.ok) break;
    best = Math.max(best, s.delivered);
    await sleep(300);
  }
  pubs.forEach((p) => p.close());
  sub.close();
  return { best, steps };
}

/** User and system CPU time of a process, in clock ticks (100/s). */
function cpuTicks(pid: number): { user: number; sys: number } {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { user: Number(f[11]), sys: Number(f[12]) };
}

/**
 * The broker's CPU time per delivered message at a rate both brokers carry with zero loss.
 * Unlike msgs/s at saturation, this hardly depends on what else the machine runs, so
 * its ratio is the steadiest figure on a shared machine; on two idle cores shared with the
 * load generator, the saturation ratio follows it.
 */
async function cpuCost(t: Target, qos: 0 | 1): Promise<number> {
  const pubs = await connectPublishers(t);
  const sub = await subscriber(t, qos, `cpu${qos}`);
  await runStep(pubs, sub, qos, CPU_RATE); // warm-up, not counted
  const c0 = cpuTicks(t.pid);
  let received = 0;
  for (let i = 0; i < 2; i++) received += (await runStep(pubs, sub, qos, CPU_RATE)).received;
  const c1 = cpuTicks(t.pid);
  const [userUs, sysUs] = [((c1.user - c0.user) * 10_000) / received, ((c1.sys - c0.sys) * 10_000) / received];
  const us = userUs + sysUs;
  pubs.forEach((p) => p.close());
  sub.close();
  // The split matters: system time is mostly the loopback send (the kernel runs the receiver's side of TCP in the sender's syscall).
  process.stderr.write(`  ${t.name} QoS ${qos} CPU at ${CPU_RATE} msg/s: ${us.toFixed(1)} µs per message (user ${userUs.toFixed(1)}, system ${sysUs.toFixed(1)})\n`);
  return Math.round(us * 10) / 10;
}

async function latency(t: Target, qos: 0 | 1): Promise<{ p50Ms: number; p99Ms: number; lost: number }> {
  const pubs = await connectPublishers(t);
  const sub = await subscriber(t, qos, `lat${qos}`);
  const sentAt: number[] = [];
  const lat: number[] = [];
  const warm = Math.round((LATENCY_RATE * LATENCY_WARMUP_MS) / 1000);
  sub.onPublish = (_topic, payload) => {
    const m = /"missionSeq":(\d+)/.exec(payload.toString('latin1'));
    const seq = m ? Number(m[1]) : -1;
    if (seq >= warm) lat.push(performance.now() - sentAt[seq]!);
  };
  const total = warm + Math.round((LATENCY_RATE * LATENCY_MS) / 1000);
  const t0 = performance.now();
  const nextId = pubs.map(() => 1);
  for (let seq = 0; seq < total; ) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) * LATENCY_RATE) / 1000));
    for (; seq < due; seq++) {
      const i = seq % pubs.length;
      const { packet, idOffset } = encodePublish(`ringwatch/v1/drone/${ids[i]}/telemetry`, droneTelemetry(seq), qos);
      if (qos) {
        packet.writeUInt16BE(nextId[i]!, idOffset);
        nextId[i] = (nextId[i]! % 65535) + 1;
      }
      sentAt[seq] = performance.now();
      pubs[i]!.write(packet);
    }
    await sleep(1);
  }
  const end = performance.now();
  while (lat.length < total - warm && performance.now() - end < 2_000) await sleep(20);
  pubs.forEach((p) => p.close());
  sub.close();
  lat.sort((a, b) => a - b);
  const q = (p: number) => Math.round((lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN) * 100) / 100;
  return { p50Ms: q(0.5), p99Ms: q(0.99), lost: total - warm - lat.length };
}

async function flood(t: Target): Promise<Record<string, unknown>> {
  const good = await connectPublishers(t, 50);
  const sub = await subscriber(t, 0, 'flood');
  const floodId = ids[DEVICES - 1]!;
  let floodGot = 0;
  let goodGot = 0;
  sub.onPublish = (topic) => (topic.includes(`/${floodId}/`) ? floodGot++ : goodGot++);
  const rogue = await startRawFlood({
    port: t.port,
    clientId: floodId,
    username: t.login(floodId)[0] ?? '',
    password: t.login(floodId)[1] ?? '',
    packet: encodePublishQos0(`ringwatch/v1/drone/${floodId}/telemetry`, droneTelemetry(1)),
  }).catch((e: Error) => e);
  if (rogue instanceof Error) process.stderr.write(`  ${t.name} flood client refused: ${rogue.message}\n`);
  let goodSent = 0;
  const packets = good.map((_, i) => encodePublish(`ringwatch/v1/drone/${ids[i]}/telemetry`, droneTelemetry(i), 0).packet);
  const ticker = setInterval(() => {
    good.forEach((c, i) => c.write(packets[i]!));
    goodSent += good.length;
  }, 100);
  await sleep(FLOOD_MS);
  clearInterval(ticker);
  const written = rogue instanceof Error ? 0 : (await rogue.stop()).packetsWritten;
  const settle = performance.now();
  while (goodGot < goodSent && performance.now() - settle < 3_000) await sleep(20);
  const rssMb = await t.rssMb();
  // Still alive and serving?
  const probe = await WireClient.connect(t.port, 'telemetry:probe', ...t.subscriberLogin()).then(
    (c) => (c.close(), true),
    () => false,
  );
  good.forEach((p) => p.close());
  sub.close();
  return {
    goodDelivered: `${goodGot}/${goodSent}`,
    floodWrittenPerS: Math.round(written / (FLOOD_MS / 1000)),
    floodDeliveredPerS: Math.round(floodGot / (FLOOD_MS / 1000)),
    aliveAfter: probe,
    rssMb,
  };
}

async function main(): Promise<Figures> {
  const results: Record<string, Record<string, unknown>> = {};
  const only = process.env['BENCH_ONLY'];
  const targets: Array<[string, () => Promise<Target>]> = [
    ['mosquitto', startMosq],
    ['ringwatch', () => startOurs()],
    ...(process.env['BENCH_BARE_AEDES'] ? [['aedes', () => startOurs(false, true)] as [string, () => Promise<Target>]] : []),
  ];
  for (const [key, start] of targets) {
    if (only && only !== key) continue;
    const t = await start();
    process.stderr.write(`${t.name} on port ${t.port}\n`);
    if (process.env['BENCH_LATENCY_ONLY']) {
      await t.extra(); // starts the broker's GC counts afresh
      const latencyQos0 = await latency(t, 0);
      const gcQos0 = (await t.extra())['gcSinceLastAsk'];
      const latencyQos1 = await latency(t, 1);
      results[t.name] = { latencyQos0, gcQos0, latencyQos1, gcQos1: (await t.extra())['gcSinceLastAsk'] };
      process.stderr.write(`  ${t.name} latency ${JSON.stringify(results[t.name])}\n`);
      await t.close();
      continue;
    }
    if (process.env['BENCH_CPU_ONLY']) {
      const qos = process.env['BENCH_QOS'];
      results[t.name] = {
        ...(qos !== '1' ? { cpuUsQos0: await cpuCost(t, 0) } : {}),
        ...(qos !== '0' ? { cpuUsQos1: await cpuCost(t, 1) } : {}),
        broker: await t.extra(),
      };
      await t.close();
      continue;
    }
    if (process.env['BENCH_QUICK']) {
      const q0 = await throughput(t, process.env['BENCH_QOS'] === '1' ? 1 : 0);
      results[t.name] = { qos0: q0.best, broker: await t.extra() };
      await t.close();
      continue;
    }
    // Latency first: measured at the steady state of 2,000 msg/s, not in the wake of an
    // overload step of the ladders (a Node broker would still be collecting its garbage).
    await t.extra(); // starts the broker's GC counts afresh
    const l0 = await latency(t, 0);
    const l1 = await latency(t, 1);
    const latencyGc = (await t.extra())['gcSinceLastAsk'];
    process.stderr.write(`  ${t.name} latency at ${LATENCY_RATE} msg/s: QoS 0 ${JSON.stringify(l0)}, QoS 1 ${JSON.stringify(l1)}${latencyGc ? `, broker GC meanwhile ${JSON.stringify(latencyGc)}` : ''}\n`);
    const cpu0 = await cpuCost(t, 0);
    const cpu1 = await cpuCost(t, 1);
    const q0 = await throughput(t, 0);
    const q1 = await throughput(t, 1);
    const f = t.name === 'mosquitto' ? await flood(t) : undefined;
    results[t.name] = { qos0: q0.best, qos1: q1.best, cpuUsQos0: cpu0, cpuUsQos1: cpu1, latencyQos0: l0, latencyQos1: l1, ...(latencyGc ? { latencyGc } : {}), ...(f ? { flood: f } : {}), broker: await t.extra() };
    await t.close();
  }
  if (only) {
    process.stdout.write(JSON.stringify(results, null, 2) + '\n');
    const r = Object.values(results)[0]!;
    const figures: Figures = {};
    for (const k of ['qos0', 'qos1'] as const) if (r[k] !== undefined) figures[`${k}MsgsPerS`] = r[k] as number;
    for (const k of ['cpuUsQos0', 'cpuUsQos1'] as const) if (r[k] !== undefined) figures[k] = r[k] as number;
    return figures;
  }
  if (process.env['BENCH_LATENCY_ONLY']) {
    process.stdout.write(JSON.stringify(results, null, 2) + '\n');
    type Lat = { p99Ms: number };
    const p99 = (name: string, k: string) => (results[name]![k] as Lat).p99Ms;
    return {
      qos0P99RingwatchMs: p99('ringwatch', 'latencyQos0'),
      qos0P99MosquittoMs: p99('mosquitto', 'latencyQos0'),
      qos1P99RingwatchMs: p99('ringwatch', 'latencyQos1'),
      qos1P99MosquittoMs: p99('mosquitto', 'latencyQos1'),
      qos1P99Ratio: Math.round((p99('ringwatch', 'latencyQos1') / p99('mosquitto', 'latencyQos1')) * 100) / 100,
    };
  }
  if (process.env['BENCH_CPU_ONLY']) {
    process.stdout.write(JSON.stringify(results, null, 2) + '\n');
    const [o, m, bare] = [results['ringwatch']!, results['mosquitto']!, results['aedes (bare)']];
    const ratio = (a: unknown, b: unknown) => Math.round(((a as number) / (b as number)) * 100) / 100;
    return {
      ...(bare ? { qos0CpuUsBareAedes: bare['cpuUsQos0'] as number, qos1CpuUsBareAedes: bare['cpuUsQos1'] as number } : {}),
      qos0CpuUsRingwatch: o['cpuUsQos0'] as number,
      qos0CpuUsMosquitto: m['cpuUsQos0'] as number,
      qos0CpuRatio: ratio(m['cpuUsQos0'], o['cpuUsQos0']),
      qos1CpuUsRingwatch: o['cpuUsQos1'] as number,
      qos1CpuUsMosquitto: m['cpuUsQos1'] as number,
      qos1CpuRatio: ratio(m['cpuUsQos1'], o['cpuUsQos1']),
    };
  }
  // The flood against ringwatch runs with the production default limits (100 msg/s per device).
  const limited = await startOurs(true);
  results['ringwatch']!['flood'] = { ...(await flood(limited)), broker: await limited.extra() };
  await limited.close();

  const ours = results['ringwatch']!;
  const mosq = results['mosquitto']!;
  const ratio = (a: unknown, b: unknown) => Math.round(((a as number) / (b as number)) * 100) / 100;
  const summary = {
    devices: DEVICES,
    payloadBytes: Buffer.byteLength(droneTelemetry(0)),
    zeroLossMsgsPerS: {
      qos0: { ringwatch: ours['qos0'], mosquitto: mosq['qos0'], ratio: ratio(ours['qos0'], mosq['qos0']), target: 0.5 },
      qos1: { ringwatch: ours['qos1'], mosquitto: mosq['qos1'], ratio: ratio(ours['qos1'], mosq['qos1']), target: 1.0 },
    },
    cpuUsPerMessageAt10000MsgsPerS: {
      qos0: { ringwatch: ours['cpuUsQos0'], mosquitto: mosq['cpuUsQos0'], mosquittoOverOurs: ratio(mosq['cpuUsQos0'], ours['cpuUsQos0']) },
      qos1: { ringwatch: ours['cpuUsQos1'], mosquitto: mosq['cpuUsQos1'], mosquittoOverOurs: ratio(mosq['cpuUsQos1'], ours['cpuUsQos1']) },
    },
    latencyAt2000MsgsPerS: {
      qos0: { ringwatch: ours['latencyQos0'], mosquitto: mosq['latencyQos0'] },
      qos1: { ringwatch: ours['latencyQos1'], mosquitto: mosq['latencyQos1'] },
    },
    flood: { ringwatch: ours['flood'], mosquitto: mosq['flood'] },
  };
  process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  type Lat = { p50Ms: number; p99Ms: number } | undefined;
  const lat = (r: Record<string, unknown>, k: string) => r[k] as Lat;
  const figures: Figures = {
    qos0Ratio: summary.zeroLossMsgsPerS.qos0.ratio,
    qos0RingwatchMsgsPerS: ours['qos0'] as number,
    qos0MosquittoMsgsPerS: mosq['qos0'] as number,
  };
  // BENCH_QUICK runs the QoS 0 ladder only.
  if (ours['qos1'] !== undefined && mosq['qos1'] !== undefined) {
    Object.assign(figures, {
      qos1Ratio: summary.zeroLossMsgsPerS.qos1.ratio,
      qos1RingwatchMsgsPerS: ours['qos1'] as number,
      qos1MosquittoMsgsPerS: mosq['qos1'] as number,
    });
  }
  if (ours['cpuUsQos0'] !== undefined) {
    Object.assign(figures, {
      qos0CpuRatio: summary.cpuUsPerMessageAt10000MsgsPerS.qos0.mosquittoOverOurs,
      qos1CpuRatio: summary.cpuUsPerMessageAt10000MsgsPerS.qos1.mosquittoOverOurs,
      qos0CpuUsRingwatch: ours['cpuUsQos0'] as number,
      qos0CpuUsMosquitto: mosq['cpuUsQos0'] as number,
      qos1CpuUsRingwatch: ours['cpuUsQos1'] as number,
      qos1CpuUsMosquitto: mosq['cpuUsQos1'] as number,
    });
  }
  const [o1, m1, o0, m0] = [lat(ours, 'latencyQos1'), lat(mosq, 'latencyQos1'), lat(ours, 'latencyQos0'), lat(mosq, 'latencyQos0')];
  if (o1 && m1) Object.assign(figures, { qos1P99RingwatchMs: o1.p99Ms, qos1P99MosquittoMs: m1.p99Ms, qos1P99Ratio: Math.round((o1.p99Ms / m1.p99Ms) * 100) / 100 });
  if (o0 && m0) Object.assign(figures, { qos0P99RingwatchMs: o0.p99Ms, qos0P99MosquittoMs: m0.p99Ms });
  return figures;
}

// The watchdog and cleanups belong to one run (a child process of the harness).
const watchedMain = async (): Promise<Figures> => {
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench:broker: stopped at the ${MAX_S}s limit\n`);
    void Promise.allSettled(cleanups.map((c) => c())).then(() => process.exit(2));
  }, MAX_S * 1000);
  try {
    return await main();
  } finally {
    clearTimeout(watchdog);
    await Promise.allSettled(cleanups.map((c) => c()));
  }
};
await runBench('bench:broker', import.meta.url, watchedMain);
