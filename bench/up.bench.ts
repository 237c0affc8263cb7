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
 * Environment: BENCH_UP_DRONES (1000), BENCH_UP_SENSORS (2000), BENCH_UP_IDLE_S (10),
 * BENCH_UP_MEASURE_S (30), BENCH_UP_ALARMS (8). The run aborts itself after 5 minutes.
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
import { promLines, scrapeSums } from './lib/prom-text.ts';
import { stopChild } from '../util/stop-child.ts';
import { deviceTopic } from '../protocol/topics.ts';

const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
const DRONES = env('BENCH_UP_DRONES', 1000);
const SENSORS = env('BENCH_UP_SENSORS', 2000);
const IDLE_S = env('BENCH_UP_IDLE_S', 10);
const MEASURE_S = env('BENCH_UP_MEASURE_S', 30);
const ALARMS = env('BENCH_UP_ALARMS', 8);
const DEADLINE_MS = 5 * 60_000;

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
  const site = writeUpBenchSite(dir, { drones: DRONES, sensors: SENSORS, probes: ALARMS, firstDronePort: firstDronePort! });
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
    for (const probe of site.probes) {
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
    return figures;
  } finally {
    abort.abort();
    if (sim) await stopChild(sim);
    await relay?.close();
    if (up) await stopChild(up);
    rmSync(dir, { recursive: true, force: true });
  }
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
