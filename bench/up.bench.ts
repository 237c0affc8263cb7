/**
 * npm run bench:up — the whole system under field load (issue 18, item 3).
 *
 * `ringwatch up` as a child process (broker with in-process ingest, managed influxd,
 * control with 1,000 MAVLink links, API and web map), and `ringwatch sim` as a second child
 * on the same broker: 1,000 simulated drones and 2,000 checkpoint sensors on a generated
 * site (bench/lib/up-site.ts), the devices through a relay that spreads them over loopback
 * source addresses (bench/lib/loopback-relay.ts). Per process (up, its influxd, sim, this
 * bench with its live subscriber and relay) it reports
 * CPU as a share of one core and RSS from /proc; from up's /metrics it reads the drop
 * counters; and it measures
 *   - telemetry → map: a logged-in operator's /api/live SSE stream; each drone telemetry
 *     event's tsMs (stamped by control when it normalises a drone's MAVLink state into the
 *     telemetry it publishes, 2 Hz per drone) to the moment the event is read here; the
 *     MAVLink hop before it is not in the figure;
 *   - alarm → first command: a perimeter event published on MQTT with a probe sensor's own
 *     credentials, from publish to the `sent` transition of the responder's first command
 *     in the ledger (GET /api/ledger/:id).
 * Reference, side by side in the same run: the same `up` with the same site before the
 * simulators start (links silent, no sensors) — the idle system — so the load's own cost
 * is the difference; the headroom is 2 cores minus everything this run started.
 *
 * Then, with the field load still on, "API under load" (issue 15: one heavy request used
 * to stall every link): a quiet phase and a phase in which BENCH_UP_API_CLIENTS logged-in
 * clients drive the API's heaviest reads (bench/lib/api-load.ts), each BENCH_UP_API_S
 * long. For both it reports, per thread of `up` (main, broker, links), the event-loop lag
 * p99 and max and the utilization from /metrics; QoS 1 PUBACK latency of a probe sensor
 * publishing at 20 msg/s; and the drones whose link was declared lost (their link_lost
 * alarms). Figures `quiet.*` and `api_load.*`; `alone.*` is each kind of request timed
 * by itself afterwards, field load still on.
 *
 * Environment: BENCH_UP_DRONES (1000), BENCH_UP_SENSORS (2000), BENCH_UP_IDLE_S (10),
 * BENCH_UP_MEASURE_S (30), BENCH_UP_ALARMS (8), BENCH_UP_API_S (20), BENCH_UP_API_CLIENTS
 * (32), BENCH_UP_API_PREVIEW (1; 0 leaves the patrol preview out). The run aborts itself
 * after 8 minutes.
 */
import { runBench, type Figures } from './lib/runs.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { parse } from 'yaml';
import { writeUpBenchSite } from './lib/up-site.ts';
import { startLoopbackRelay, type LoopbackRelay } from './lib/loopback-relay.ts';
import { childrenNamed, CpuMeter, rssMbOf } from './lib/proc-usage.ts';
import { promByLabel, promLines, scrapeSums } from './lib/prom-text.ts';
import { patrolPreview, runApiLoad, timeEachAlone, type ApiLoadResult } from './lib/api-load.ts';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { stopChild } from '../util/stop-child.ts';
import { deviceTopic } from '../protocol/topics.ts';

const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
const DRONES = env('BENCH_UP_DRONES', 1000);
const SENSORS = env('BENCH_UP_SENSORS', 2000);
const IDLE_S = env('BENCH_UP_IDLE_S', 10);
const MEASURE_S = env('BENCH_UP_MEASURE_S', 30);
const ALARMS = env('BENCH_UP_ALARMS', 8);
// 20 s, not less: up's lag figures cover the last 10–20 s (a completed 10 s window and the
// one in progress), so a scrape at the end of a 20 s phase reads that phase alone.
const API_PHASE_S = env('BENCH_UP_API_S', 20);
const API_CLIENTS = env('BENCH_UP_API_CLIENTS', 32);
/** 0: no patrol preview in the loaded phase, to see the sustained mix without its one long hold. */
const API_PREVIEW = env('BENCH_UP_API_PREVIEW', 1) !== 0;
/** QoS 1 probe rate during both phases: a busy sensor's, far below the broker's per-device limit. */
const PUBACK_PROBE_PER_S = 20;
// Start-up and linking take up to ~2.5 min on a loaded machine, the measured phases ~1.5.
const DEADLINE_MS = 8 * 60_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function ringwatch(args: string[], tag: string): ChildProcess {
  const child = spawn(process.execPath, ['bin/ringwatch.js', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } });
  // Errors only: both log at warn, so anything here is worth seeing beside the figures.
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[${tag}] ${d.toString()}`));
  return child;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, children: ChildProcess[] = []): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const dead = children.find((c) => c.exitCode !== null || c.signalCode !== null);
    if (dead) throw new Error(`bench:up: waiting for ${what}, a child process (pid ${dead.pid}) exited (${dead.exitCode ?? dead.signalCode})`);
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch {
      // Not up yet.
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`bench:up: ${what} not within ${timeoutMs / 1000} s`);
    await sleep(500);
  }
}

/** One logged-in operator's live stream: counts events and keeps the telemetry latencies. */
async function liveSubscriber(httpUrl: string, token: string, signal: AbortSignal) {
  const res = await fetch(`${httpUrl}/api/live`, { headers: { authorization: `Bearer ${token}` }, signal });
  if (!res.ok || !res.body) throw new Error(`GET /api/live: HTTP ${res.status}`);
  const state = { latencyMs: [] as number[], telemetry: 0, measuring: false, batches: 0 };
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += value;
        let end: number;
        while ((end = buf.indexOf('\n\n')) !== -1) {
          const frame = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const data = frame.split('\n').find((l) => l.startsWith('data: '));
          if (!data) continue;
          const nowMs = Date.now();
          state.batches++;
          for (const ev of JSON.parse(data.slice(6)) as { type: string; data: { tsMs?: number } }[]) {
            if (ev.type !== 'telemetry') continue;
            state.telemetry++;
            if (state.measuring && typeof ev.data.tsMs === 'number') state.latencyMs.push(nowMs - ev.data.tsMs);
          }
        }
      }
    } catch {
      // Aborted at the end of the run.
    }
  })();
  return state;
}

interface Part {
  name: string;
  pid: number;
  meter: CpuMeter;
}

function measureParts(parts: Part[]): Record<string, { coreShare: number; rssMb: number }> {
  const out: Record<string, { coreShare: number; rssMb: number }> = {};
  for (const p of parts) out[p.name] = { coreShare: p.meter.coreShare(), rssMb: rssMbOf(p.pid) };
  return out;
}

/** Drop counters of `up`, by what refused or shed a message. */
const DROPS = {
  brokerRejects: 'ringwatch_broker_rejects_total',
  ingestShed: 'ringwatch_telemetry_messages_shed_total',
  ingestDropped: 'ringwatch_telemetry_messages_dropped_total',
  routerDropped: 'ringwatch_control_mqtt_inbound_dropped_total',
  controlTelemetryDropped: 'ringwatch_control_telemetry_dropped_total',
  linkBadFrames: 'ringwatch_control_link_bad_frames_total',
} as const;

async function main(): Promise<Figures> {
  const deadline = setTimeout(() => {
    process.stderr.write(`bench:up: deadline of ${DEADLINE_MS / 1000} s passed, aborting\n`);
    process.exit(2);
  }, DEADLINE_MS);
  deadline.unref();

  const dir = mkdtempSync(join(tmpdir(), 'rw-bench-up-'));
  // The drones' UDP ports: a block of 1,000 below Linux's ephemeral range (32768+), so the
  // kernel never hands one to another socket; a random block, as other benches use 20000+.
  const [httpPort, mqttPort, wsPort, metricsPort, firstDronePort] = [await freePort(), await freePort(), await freePort(), await freePort(), 21000 + Math.floor(Math.random() * 11) * 1000];
  // One probe sensor more than alarms: the last one publishes the PUBACK probe's messages.
  const site = writeUpBenchSite(dir, { drones: DRONES, sensors: SENSORS, probes: ALARMS + 1, firstDronePort: firstDronePort! });
  const alarmProbes = site.probes.slice(0, ALARMS);
  const pubackProbe = site.probes[ALARMS]!;
  const secrets = parse(readFileSync(site.secretsFile, 'utf8')) as { users: Record<string, string> };
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const figures: Figures = {};
  let up: ChildProcess | undefined;
  let sim: ChildProcess | undefined;
  let relay: LoopbackRelay | undefined;
  const abort = new AbortController();
  try {
    const t0 = performance.now();
    up = ringwatch(
      ['up', '--site', site.siteFile, '--secrets', site.secretsFile, '--data-dir', join(dir, 'data'), '--http-port', String(httpPort), '--mqtt-port', String(mqttPort), '--ws-port', String(wsPort), '--metrics-port', String(metricsPort), '--log-level', 'warn'],
      'up',
    );
    await until('up: /metrics and the API', 120_000, async () => ((await fetch(`${httpUrl}/api/site`)).status < 500 && (await fetch(metricsUrl)).ok ? true : undefined), [up]);
    const influxd = await until('up: its influxd', 30_000, async () => childrenNamed(up!.pid!, 'influxd')[0]);
    figures['upStartS'] = r1((performance.now() - t0) / 1000);
    const login = await fetch(`${httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'operator', password: secrets.users['operator'] }) });
    if (!login.ok) throw new Error(`login: HTTP ${login.status}`);
    const { token } = (await login.json()) as { token: string };
    const auth = { authorization: `Bearer ${token}` };
    const live = await liveSubscriber(httpUrl, token, abort.signal);

    // Reference: the idle system, same site, nothing connected yet.
    const parts: Part[] = [
      { name: 'up', pid: up.pid!, meter: new CpuMeter(up.pid!) },
      { name: 'influxd', pid: influxd, meter: new CpuMeter(influxd) },
      { name: 'bench', pid: process.pid, meter: new CpuMeter(process.pid) },
    ];
    await sleep(3000);
    for (const p of parts) p.meter.mark();
    await sleep(IDLE_S * 1000);
    const idle = measureParts(parts);
    console.log(`idle (same site, simulators not started, ${IDLE_S} s): up ${r2(idle['up']!.coreShare)} core ${Math.round(idle['up']!.rssMb)} MB, influxd ${r2(idle['influxd']!.coreShare)} core ${Math.round(idle['influxd']!.rssMb)} MB`);
    figures['idleUpCore'] = r2(idle['up']!.coreShare);
    figures['idleInfluxdCore'] = r2(idle['influxd']!.coreShare);

    // The load: every drone and every simulated sensor, on the site's own ports.
    // The simulated devices connect through a relay that spreads them over 4 loopback source
    // addresses: the broker's 1,000-per-address cap would refuse the second thousand sensors
    // of one process (bench/lib/loopback-relay.ts). Its CPU is counted in `bench`.
    relay = await startLoopbackRelay(mqttPort!);
    const t1 = performance.now();
    const simStartMs = Date.now();
    sim = ringwatch(['sim', '--site', site.siteFile, '--secrets', site.secretsFile, '--mqtt', relay.url, '--drones', 'all', '--speakers', 'none', '--sensors', String(SENSORS)], 'sim');
    parts.push({ name: 'sim', pid: sim.pid!, meter: new CpuMeter(sim.pid!) });
    const linked = await until(`all ${site.droneCount} drones linked`, 150_000, async () => {
      const m = await scrapeSums(metricsUrl);
      const n = m.get('ringwatch_control_drone_link_up') ?? 0;
      return n >= site.droneCount ? n : undefined;
    }, [up, sim]);
    figures['allLinkedS'] = r1((performance.now() - t1) / 1000);
    console.log(`${linked} drones linked ${figures['allLinkedS']} s after the simulator started; warming up 10 s`);
    await sleep(10_000);

    // Measurement window.
    const before = await scrapeSums(metricsUrl);
    const telemetryBefore = live.telemetry;
    for (const p of parts) p.meter.mark();
    live.measuring = true;
    const tw = performance.now();
    const dispatchMs: number[] = [];
    const gapMs = (MEASURE_S * 1000) / (ALARMS + 1);
    for (const probe of alarmProbes) {
      await sleep(gapMs);
      dispatchMs.push(await alarmToFirstCommand(mqttUrl, httpUrl, auth, probe));
    }
    await sleep(Math.max(0, MEASURE_S * 1000 - (performance.now() - tw)));
    live.measuring = false;
    const windowS = (performance.now() - tw) / 1000;
    const load = measureParts(parts);
    const after = await scrapeSums(metricsUrl);

    const total = Object.values(load).reduce((s, p) => s + p.coreShare, 0);
    const cores = cpus().length;
    console.log(`\nunder load (${site.droneCount} drones, ${site.sensorCount} sensors, ${windowS.toFixed(0)} s):`);
    for (const [name, p] of Object.entries(load)) {
      console.log(`  ${name.padEnd(8)} ${p.coreShare.toFixed(2)} core  ${Math.round(p.rssMb)} MB RSS${idle[name] ? `   (idle ${idle[name].coreShare.toFixed(2)} core, ${Math.round(idle[name].rssMb)} MB)` : ''}`);
      figures[`${name}Core`] = r2(p.coreShare);
      figures[`${name}RssMb`] = Math.round(p.rssMb);
    }
    figures['totalCore'] = r2(total);
    figures['headroomCore'] = r2(cores - total);
    console.log(`  total    ${total.toFixed(2)} of ${cores} cores: headroom ${(cores - total).toFixed(2)} core`);

    const lat = live.latencyMs;
    const telemetryPerS = (live.telemetry - telemetryBefore) / windowS;
    Object.assign(figures, { liveTelemetryPerS: Math.round(telemetryPerS), mapP50Ms: r1(pct(lat, 50)), mapP99Ms: r1(pct(lat, 99)), mapMaxMs: r1(Math.max(...lat)) });
    console.log(`telemetry → map (/api/live, gateway stamp → event read): p50 ${pct(lat, 50).toFixed(0)} ms, p99 ${pct(lat, 99).toFixed(0)} ms, max ${Math.max(...lat).toFixed(0)} ms; ${Math.round(telemetryPerS)} telemetry events/s (n=${lat.length})`);
    Object.assign(figures, { dispatchP50Ms: r1(pct(dispatchMs, 50)), dispatchMaxMs: r1(Math.max(...dispatchMs)) });
    console.log(`alarm → first command (MQTT event publish → ledger sent, ${dispatchMs.length} alarms): p50 ${pct(dispatchMs, 50).toFixed(0)} ms, max ${Math.max(...dispatchMs).toFixed(0)} ms [${dispatchMs.map((x) => x.toFixed(0)).join(', ')}]`);
    const msgsIn = (after.get('ringwatch_broker_messages_in_total') ?? 0) - (before.get('ringwatch_broker_messages_in_total') ?? 0);
    const written = (after.get('ringwatch_telemetry_points_written_total') ?? 0) - (before.get('ringwatch_telemetry_points_written_total') ?? 0);
    figures['brokerInPerS'] = Math.round(msgsIn / windowS);
    figures['pointsWrittenPerS'] = Math.round(written / windowS);
    // Ingest counts messages it is not meant to store (sensor events, acks) as reason
    // "ignored"; that is routing, not loss, so it is left out of the drop figure.
    const IGNORED = `${DROPS.ingestDropped}{reason="ignored"}`;
    const drops = Object.entries(DROPS).map(([k, name]) => {
      const ignored = name === DROPS.ingestDropped ? (after.get(IGNORED) ?? 0) - (before.get(IGNORED) ?? 0) : 0;
      const d = (after.get(name) ?? 0) - (before.get(name) ?? 0) - ignored;
      figures[`drops_${k}`] = d;
      return `${k} ${d}`;
    });
    // The reasons behind any non-zero counter (totals since start, not just the window).
    const text = await (await fetch(metricsUrl)).text();
    for (const [k, name] of Object.entries(DROPS)) if ((figures[`drops_${k}`] ?? 0) > 0) console.log(`  ${k}: ${promLines(text, name).join('; ')}`);
    console.log(`broker in ${figures['brokerInPerS']} msg/s, points written ${figures['pointsWrittenPerS']}/s; drops in the window: ${drops.join(', ')}`);

    Object.assign(figures, await apiUnderLoad({ httpUrl, mqttUrl, metricsUrl, users: secrets.users, auth, parts, probe: pubackProbe, historyFromMs: simStartMs }));
    return figures;
  } finally {
    abort.abort();
    if (sim) await stopChild(sim);
    await relay?.close();
    if (up) await stopChild(up);
    rmSync(dir, { recursive: true, force: true });
  }
}

const THREADS = ['main', 'broker', 'links'] as const;

/** Per thread of `up`: event-loop lag p99 and max (ms) and utilization, as /metrics serves them now. */
function threadFigures(text: string): Record<string, { lagP99Ms: number; lagMaxMs: number; utilization: number; answered: boolean }> {
  // `answered` is false only for an explicit 0: the links thread's figures come without an answered series.
  const p99 = promByLabel(text, 'ringwatch_event_loop_lag_seconds', 'thread', { quantile: '0.99' });
  const max = promByLabel(text, 'ringwatch_event_loop_lag_max_seconds', 'thread');
  const util = promByLabel(text, 'ringwatch_event_loop_utilization', 'thread');
  const answered = promByLabel(text, 'ringwatch_thread_answered', 'thread');
  const out: ReturnType<typeof threadFigures> = {};
  for (const t of THREADS) {
    out[t] = { lagP99Ms: (p99.get(t) ?? NaN) * 1000, lagMaxMs: (max.get(t) ?? NaN) * 1000, utilization: util.get(t) ?? NaN, answered: answered.get(t) !== 0 };
  }
  return out;
}

/**
 * A device's QoS 1 publishes at a steady rate, timed from publish to PUBACK: what a
 * sensor's event waits for while the broker thread is (or is not) held up. Telemetry
 * rather than events, so the probe raises no alarm and dispatches no drone.
 */
async function startPubackProbe(mqttUrl: string, probe: { sensorId: string; secret: string }) {
  const client = await mqtt.connectAsync(mqttUrl, { username: probe.sensorId, password: probe.secret, clientId: probe.sensorId });
  const topic = deviceTopic('sensor', probe.sensorId, 'telemetry');
  let phase: { ackMs: number[]; pending: Set<number>; sent: number } = { ackMs: [], pending: new Set(), sent: 0 };
  const timer = setInterval(() => {
    const p = phase;
    const t0 = performance.now();
    p.sent++;
    p.pending.add(t0);
    client.publish(topic, JSON.stringify({ tsMs: Date.now(), batteryPct: 90 }), { qos: 1 }, (err) => {
      p.pending.delete(t0);
      if (!err) p.ackMs.push(performance.now() - t0);
    });
  }, 1000 / PUBACK_PROBE_PER_S);
  return {
    /** Starts a new phase and returns the one that ended; a PUBACK still awaited counts with its age so far. */
    next() {
      const ended = phase;
      phase = { ackMs: [], pending: new Set(), sent: 0 };
      const nowMs = performance.now();
      return { ackMs: [...ended.ackMs, ...[...ended.pending].map((t0) => nowMs - t0)], unacked: ended.pending.size, sent: ended.sent };
    },
    async close() {
      clearInterval(timer);
      await client.endAsync();
    },
  };
}

/** Drones whose link was declared lost since `sinceMs`: the link_lost alarms raised or repeated since then. */
async function dronesLostSince(httpUrl: string, auth: Record<string, string>, sinceMs: number): Promise<string[]> {
  const alarms = (await (await fetch(`${httpUrl}/api/alarms?state=all`, { headers: auth })).json()) as { source: { kind: string; type?: string; droneId?: string }; lastEventAtMs: number }[];
  const lost = alarms.filter((a) => a.source.kind === 'vehicle' && a.source.type === 'link_lost' && a.lastEventAtMs >= sinceMs).map((a) => a.source.droneId ?? '?');
  return [...new Set(lost)].sort();
}

/**
 * Issue 15's measurement: the same field load, first quiet for API_PHASE_S, then with
 * API_CLIENTS consoles driving the API for as long. Per phase: lag and utilization of
 * up's threads (one scrape at the phase's end, still under load: the figures cover the
 * last 10–20 s), PUBACK latency, drones lost, CPU per process, and this process's own
 * event-loop lag, which bounds how much of the PUBACK figure is ours rather than the broker's.
 */
async function apiUnderLoad(o: {
  httpUrl: string;
  mqttUrl: string;
  metricsUrl: string;
  users: Record<string, string>;
  auth: Record<string, string>;
  parts: Part[];
  probe: { sensorId: string; secret: string };
  historyFromMs: number;
}): Promise<Figures> {
  const figures: Figures = {};
  // Every client its own session, as separate consoles would be; users with patrol.manage,
  // which the plan preview needs.
  const users = ['operator', 'operator2', 'chief'].filter((u) => o.users[u] !== undefined);
  const tokens: string[] = [];
  for (let c = 0; c < API_CLIENTS; c++) {
    const username = users[c % users.length]!;
    const res = await fetch(`${o.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: o.users[username] }) });
    if (!res.ok) throw new Error(`login as ${username}: HTTP ${res.status}`);
    tokens.push(((await res.json()) as { token: string }).token);
  }
  const links = (await (await fetch(`${o.httpUrl}/api/devices/links`, { headers: o.auth })).json()) as { drones: { droneId: string }[] };
  const droneIds = links.drones.map((d) => d.droneId);
  const loadOptions = { httpUrl: o.httpUrl, tokens, concurrency: API_CLIENTS, durationMs: API_PHASE_S * 2000, droneIds, historyFromMs: o.historyFromMs };

  const probe = await startPubackProbe(o.mqttUrl, o.probe);
  const ownLag = monitorEventLoopDelay({ resolution: 10 });
  ownLag.enable();
  try {
    const phase = async (name: 'quiet' | 'api_load') => {
      const startMs = Date.now();
      probe.next();
      ownLag.reset();
      for (const p of o.parts) p.meter.mark();
      const stop = new AbortController();
      const t0 = performance.now();
      const load = name === 'api_load' ? runApiLoad(loadOptions, stop.signal) : undefined;
      // One planner opening the patrol preview 1 s in: the single long hold of the API's
      // thread (issue 15's "one heavy request"; ~15 s alone for 1,000 drones on this
      // machine), so that it falls inside the window the end-of-phase scrape reads.
      const preview = name === 'api_load' && API_PREVIEW ? sleep(1000).then(() => patrolPreview(loadOptions)) : undefined;
      await sleep(API_PHASE_S * 1000);
      // Read while the load is still on: the scrape waits its turn on the main thread like any request.
      const scrapeStart = performance.now();
      // Retried: a request that waited out a stall of the main thread may find its connection closed.
      const text = await until('/metrics under load', 60_000, async () => (await fetch(o.metricsUrl)).text());
      const scrapeMs = performance.now() - scrapeStart;
      const cpu = measureParts(o.parts);
      const puback = probe.next();
      stop.abort();
      const api: ApiLoadResult | undefined = await load;
      const previewed = await preview;
      const phaseS = (performance.now() - t0) / 1000;
      const threads = threadFigures(text);
      const lost = await until('the alarms', 60_000, () => dronesLostSince(o.httpUrl, o.auth, startMs));
      const ownP99Ms = ownLag.percentile(99) / 1e6;

      const f = (k: string, v: number) => (figures[`${name}.${k}`] = Math.round(v * 10) / 10);
      for (const t of THREADS) {
        f(`${t}_lag_p99_ms`, threads[t]!.lagP99Ms);
        f(`${t}_lag_max_ms`, threads[t]!.lagMaxMs);
        figures[`${name}.${t}_utilization`] = r2(threads[t]!.utilization);
      }
      f('puback_p50_ms', pct(puback.ackMs, 50));
      f('puback_p99_ms', pct(puback.ackMs, 99));
      f('puback_max_ms', Math.max(...puback.ackMs));
      figures[`${name}.puback_unacked`] = puback.unacked;
      figures[`${name}.drones_lost`] = lost.length;
      f('metrics_scrape_ms', scrapeMs);
      f('bench_lag_p99_ms', ownP99Ms);
      f('phase_s', phaseS);
      if (previewed) f('preview_ms', previewed.ms);
      for (const p of ['up', 'influxd', 'bench'] as const) if (cpu[p]) figures[`${name}.${p}_core`] = r2(cpu[p].coreShare);
      if (api) {
        f('api_req_per_s', api.reqPerS);
        figures[`${name}.api_failed`] = api.failed;
        f('api_mb_per_s', api.mbPerS);
      }

      console.log(`\n${name === 'quiet' ? 'quiet (field load only)' : `API under load (${API_CLIENTS} clients)`}, ${phaseS.toFixed(1)} s (${API_PHASE_S} s, then the scrape):`);
      for (const t of THREADS) {
        const th = threads[t]!;
        console.log(`  ${t.padEnd(7)} lag p99 ${th.lagP99Ms.toFixed(1)} ms, max ${th.lagMaxMs.toFixed(1)} ms, utilization ${th.utilization.toFixed(2)}${th.answered ? '' : ' (did not answer the scrape)'}`);
      }
      console.log(`  PUBACK (QoS 1, ${PUBACK_PROBE_PER_S} msg/s, ${puback.sent} sent): p50 ${pct(puback.ackMs, 50).toFixed(1)} ms, p99 ${pct(puback.ackMs, 99).toFixed(1)} ms, max ${Math.max(...puback.ackMs).toFixed(1)} ms; ${puback.unacked} still unacknowledged at the end`);
      console.log(`  drones declared lost: ${lost.length}${lost.length ? ` (${lost.slice(0, 10).join(', ')}${lost.length > 10 ? ', …' : ''})` : ''}; /metrics answered in ${scrapeMs.toFixed(0)} ms; this bench's own lag p99 ${ownP99Ms.toFixed(1)} ms`);
      console.log(`  CPU: ${Object.entries(cpu).map(([k, v]) => `${k} ${v.coreShare.toFixed(2)}`).join(', ')} core`);
      if (api) {
        console.log(`  API: ${api.reqPerS.toFixed(1)} req/s, ${api.mbPerS.toFixed(1)} MB/s, ${api.failed} failed; the one patrol preview ${previewed ? `${previewed.ms.toFixed(0)} ms (HTTP ${previewed.status})` : '-'}`);
        for (const [ep, s] of Object.entries(api.byEndpoint)) console.log(`    ${ep.padEnd(18)} ${String(s.requests).padStart(5)} req, p50 ${s.p50Ms.toFixed(0)} ms, p99 ${s.p99Ms.toFixed(0)} ms, ${s.meanKb.toFixed(0)} KB each${s.unfinished ? `, ${s.unfinished} unanswered at the end` : ''}${s.failed ? `, failed: ${Object.entries(s.failures).map(([why, n]) => `${n}× ${why}`).join(', ')}` : ''}`);
      }
    };
    await phase('quiet');
    await phase('api_load');
  } finally {
    ownLag.disable();
    await probe.close();
  }
  // Last, so that its patrol preview (seconds of the main thread) falls in neither phase's
  // window; after a pause, since the server still finishes requests the load gave up on.
  await sleep(10_000);
  const alone = await timeEachAlone(loadOptions);
  console.log(`\nthe API's requests one at a time (field load on): ${Object.entries(alone).map(([k, v]) => `${k} ${v.ms.toFixed(0)} ms ${v.kb.toFixed(0)} KB${v.status >= 300 ? ` HTTP ${v.status}` : ''}`).join(', ')}`);
  for (const [k, v] of Object.entries(alone)) figures[`alone.${k}_ms`] = Math.round(v.ms);
  return figures;
}

/** A perimeter event from a probe sensor on MQTT; ms from publish to its responder's first command `sent` in the ledger. */
async function alarmToFirstCommand(
  mqttUrl: string,
  httpUrl: string,
  auth: Record<string, string>,
  probe: { sensorId: string; checkpointId: string; secret: string },
): Promise<number> {
  const client = await mqtt.connectAsync(mqttUrl, { username: probe.sensorId, password: probe.secret, clientId: probe.sensorId });
  try {
    const id = randomUUID();
    const publishedAtMs = Date.now();
    await client.publishAsync(deviceTopic('sensor', probe.sensorId, 'event'), JSON.stringify({ id, tsMs: publishedAtMs, type: 'perimeter_intrusion', severity: 'critical', checkpointId: probe.checkpointId }), { qos: 1 });
    return await until(`a command for ${probe.sensorId}'s alarm`, 15_000, async () => {
      const alarms = (await (await fetch(`${httpUrl}/api/alarms?state=open`, { headers: auth })).json()) as { source: { eventId?: string }; responder?: { commandIds: string[] } }[];
      const first = alarms.find((a) => a.source.eventId === id)?.responder?.commandIds[0];
      if (!first) return undefined;
      const rec = (await (await fetch(`${httpUrl}/api/ledger/${first}`, { headers: auth })).json()) as { transitions: { state: string; tsMs: number }[] };
      const sent = rec.transitions.find((t) => t.state === 'sent')?.tsMs;
      return sent === undefined ? undefined : sent - publishedAtMs;
    });
  } finally {
    await client.endAsync();
  }
}

await runBench('bench:up', import.meta.url, main);
