import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_HTTP_TIMEOUTS, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_SOURCE } from '../../control/api/http-options.ts';
import { loadSecretsFile, loadSite } from '../../site/index.ts';
import { siteDeviceIds } from '../../simulators/fleet/select.ts';
import { findFreeUdpPort } from '../../util/free-port.ts';
import { runCli, until, type CliProcess } from './drill-helpers.ts';

/**
 * Drill (issue 15): a slow HTTP client holding 20,000 connections against `ringwatch up
 * --sim`, with its default limits (4096 connections in total, 256 per source, headers
 * within 10 s). The attacker runs in two processes of its own (see the open-file limit
 * below) and spreads its connections over 101 loopback sources (Linux routes all of 127/8
 * to lo): 500 from one source, to meet the per-source cap, then 195 from each of 100
 * others, so that only the total cap stands between them and the server. Each sends a
 * request whose headers never end, one more byte every 2 s, and never reconnects.
 * Throughout, this process counts: a logged-in operator's API requests every 500 ms on
 * the console's kept-alive connection, a device's QoS 1 publishes every 200 ms, the
 * drones' links, and on the attacker's side how many connections the server held, cut
 * at once, and closed at its headers timeout; and `ringwatch up`'s RSS.
 *
 * Measured on the shared 2-core machine, four runs (1-minute load average 5.8-6.8):
 * 20,000 attempts, all connected; the server held 4095 (the cap less the operator's
 * connection) for about 9 s, 256 of them from the heavy source, cut the other 15,905 on
 * accept and closed the 4095 with its headers timeout, 10.1-15.1 s after each connected;
 * none left open. Operator: 63 requests, all 200, p50 2 ms, max 54-188 ms. PUBACK: 156-157
 * publishes, all acked, p50 1 ms, max 40-122 ms. No drone lost, no link-lost alarm. RSS
 * 571-577 MB before, 607-627 MB at peak, 548-627 MB 3 s after. 40-45 s per run.
 *
 * A client connecting afresh while the cap is full is answered: the first version of
 * this drill found such clients refused (ECONNRESET, 9-10 of 26 attempts in every run)
 * until the held connections timed out, so a few sources reconnecting could lock every
 * new operator out; a full API now closes the oldest connection still without a request
 * head to make room (control/api/connection-admission.ts). With that (load 5.4): 26 of 26
 * fresh clients answered, 4,488 slow connections closed to make room, 11,418 cut at once,
 * 4,094 held to the headers timeout, longest lifetime 17.7 s; operator max 240 ms,
 * PUBACK max 214 ms; no drone lost.
 */
const DRILL_TIMEOUT_MS = 170_000;
/** `ringwatch up` starts influxd and bundles the console; on a busy 2-core machine that takes a while. */
const UP_START_TIMEOUT_MS = 60_000;
const SLOW_CONNECTIONS = 20_000;
/** One source over its cap, opened first: its excess must be cut by the per-source cap alone. */
const HEAVY_SOURCE = '127.0.1.200';
const HEAVY_SOURCE_CONNECTIONS = 500;
/** The rest spread so no other source reaches its cap: the total cap is what must hold. */
const SPREAD_SOURCES = 100;
/** Processes the slow client is split over (see the open-file limit below). */
const ATTACKERS = 2;
/** In total, over all of them. */
const OPEN_PER_S = 4_000;
const SAMPLE_EVERY_MS = 250;
const TRICKLE_EVERY_MS = 2_000;
/**
 * A connection still open this long after its handshake was admitted, not cut on accept.
 * Not shorter: until the server accepts it, a connection waits in the kernel's queue
 * looking open to the client, and a busy main thread may take a moment to get to it.
 */
const HELD_AFTER_MS = 3_000;
/** The attacker gives up after this: the headers timeout plus room for a busy machine. */
const ATTACK_MS = DEFAULT_HTTP_TIMEOUTS.headersTimeoutMs + 15_000;
const OPERATOR_EVERY_MS = 500;
const PUBLISH_EVERY_MS = 200;
/** Generous for a busy 2-core machine: an answer this late is a failure, not jitter. */
const MAX_ANSWER_MS = 5_000;
/** What 4096 held sockets may leave behind in the heap once they are gone. */
const MAX_RSS_GROWTH_AFTER_MB = 150;

interface Sample {
  kind: 'sample';
  tMs: number;
  attempted: number;
  connected: number;
  open: number;
  held: number;
}
interface Summary extends Omit<Sample, 'kind' | 'tMs'> {
  kind: 'summary';
  neverConnected: number;
  openAtEnd: number;
  lifetimesMs: number[];
  errors: Record<string, number>;
  bySource: Record<string, { connected: number; held: number }>;
}
interface ProbeRecord {
  seq: number;
  sentMs: number;
  ackMs?: number;
  error?: string;
}
interface Timed {
  atMs: number;
  ms: number;
  status: number | string;
}

const nowMs = () => performance.timeOrigin + performance.now();
const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN);
};

function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

/** One HTTP GET with a deadline; `agent: false` opens a connection of its own. */
function get(port: number, path: string, o: { agent: Agent | false; token?: string; localAddress?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, agent: o.agent, ...(o.localAddress ? { localAddress: o.localAddress } : {}), headers: o.token ? { authorization: `Bearer ${o.token}` } : {}, timeout: 10_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end();
  });
}

describe('drill: a slow HTTP client holding 20,000 connections', () => {
  let dir: string | undefined;
  let up: CliProcess | undefined;
  let probe: Worker | undefined;
  const attackers: ChildProcess[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });

  afterAll(async () => {
    for (const a of attackers) a.kill('SIGKILL');
    await probe?.terminate();
    agent.destroy();
    // SIGINT first: `up` stops its influxd on the way out, which SIGKILL would orphan.
    await up?.stop('SIGINT', 20_000);
    if (dir) {
      // If `up` had to be killed, its influxd lives on: find it by our data directory.
      for (const pid of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
        try {
          if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) process.kill(Number(pid), 'SIGKILL');
        } catch {
          // Gone already, or not ours to read.
        }
      }
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps serving the operator, the devices and the drones, holds its cap and closes every slow connection at its timeout', { timeout: DRILL_TIMEOUT_MS }, async () => {
    const drillStartMs = nowMs();
    dir = await mkdtemp(join(tmpdir(), 'rw-drill-slow-http-'));
    const site = loadSite('sites/demo.yaml');
    const secrets = loadSecretsFile('sites/demo.secrets.yaml');
    // Every simulated device but the last sensor, whose credentials the probe uses (a
    // device id is its client id, so a second session would take the simulator's over),
    // and no scripted link loss: the demo scenario's would count as a drone lost.
    const sensors = siteDeviceIds(site).sensors;
    const probeId = sensors.at(-1)!;
    const scenarioFile = join(dir, 'quiet.yaml');
    writeFileSync(scenarioFile, `version: 1\nname: quiet\nseed: 7\ndevices: { drones: all, speakers: all, sensors: ${sensors.length - 1} }\ntimeline: []\n`);
    // The demo site with MAVLink ports nobody else holds: its fixed ones may be taken by
    // another stack running on this machine.
    let siteYaml = readFileSync('sites/demo.yaml', 'utf8');
    for (const m of [...siteYaml.matchAll(/udpout:\/\/127\.0\.0\.1:\d+/g)]) siteYaml = siteYaml.replace(m[0], `udpout://127.0.0.1:${await findFreeUdpPort()}`);
    const siteFile = join(dir, 'site.yaml');
    writeFileSync(siteFile, siteYaml);

    up = runCli(['up', '--site', siteFile, '--secrets', 'sites/demo.secrets.yaml', '--sim', '--scenario', scenarioFile, '--speed', '10', '--data-dir', join(dir, 'data'),
      '--http-port', '0', '--mqtt-port', '0', '--ws-port', '0', '--metrics-port', '0', '--log-level', 'warn']);
    const mapUrl = new URL((await up.waitFor(/map\s+(http:\/\/127\.0\.0\.1:\d+\/)/, UP_START_TIMEOUT_MS))[1]!);
    const mqttUrl = (await up.waitFor(/MQTT\s+(mqtt:\/\/\S+)/, 1_000))[1]!;
    const port = Number(mapUrl.port);
    const upPid = up.proc.pid!;

    const login = await fetch(new URL('/api/login', mapUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'operator', password: secrets.users!['operator'] }) });
    expect(login.status).toBe(200);
    const token = ((await login.json()) as { token: string }).token;
    type Drone = { id: string; link: string };
    const drones = async () => JSON.parse((await get(port, '/api/drones', { agent, token })).body) as Drone[];
    const allOnline = (list: Drone[]) => list.length === site.drones.length && list.every((d) => d.link === 'ok');
    await until(async () => allOnline(await drones()), `all ${site.drones.length} drones online`, 60_000);

    // The device: QoS 1 every 200 ms from a thread of its own, timing each PUBACK.
    probe = new Worker(new URL('./puback-probe-worker.mjs', import.meta.url), {
      workerData: { url: mqttUrl, username: probeId, password: secrets.devices[probeId], topic: `ringwatch/v1/sensor/${probeId}/telemetry`, intervalMs: PUBLISH_EVERY_MS },
    });
    const p = probe;
    const probeMessages: { kind: string; sent?: ProbeRecord[] }[] = [];
    p.on('message', (m: { kind: string; sent?: ProbeRecord[] }) => probeMessages.push(m));
    const probeFailed = new Promise<never>((_, reject) => p.once('error', reject));
    await Promise.race([until(() => probeMessages.some((m) => m.kind === 'started'), 'the device probe connected', 15_000), probeFailed]);

    // The operator: the console's polling, one request every 500 ms on its kept-alive connection.
    const operator: Timed[] = [];
    const lostSeen = new Set<string>();
    let polling = true;
    const operatorLoop = (async () => {
      while (polling) {
        const t = nowMs();
        try {
          const r = await get(port, '/api/drones', { agent, token });
          operator.push({ atMs: t, ms: nowMs() - t, status: r.status });
          const list = r.status === 200 ? (JSON.parse(r.body) as Drone[]) : undefined;
          if (list && !allOnline(list)) lostSeen.add(list.length === site.drones.length ? list.filter((d) => d.link !== 'ok').map((d) => `${d.id}: ${d.link}`).join(', ') : `${list.length} drones listed`);
        } catch (err) {
          operator.push({ atMs: t, ms: nowMs() - t, status: (err as Error).message });
        }
        await new Promise((r) => setTimeout(r, Math.max(0, OPERATOR_EVERY_MS - (nowMs() - t))));
      }
    })();
    // Someone else opening the console now: a new connection from a new source every second.
    const fresh: Timed[] = [];
    const freshTimer = setInterval(() => {
      const t = nowMs();
      get(port, '/api/openapi.json', { agent: false, localAddress: '127.0.0.3' }).then(
        (r) => fresh.push({ atMs: t, ms: nowMs() - t, status: r.status }),
        (err: Error & { code?: string }) => fresh.push({ atMs: t, ms: nowMs() - t, status: err.code ?? err.message }),
      );
    }, 1_000);
    const rss: { atMs: number; mb: number }[] = [];
    const rssTimer = setInterval(() => rss.push({ atMs: nowMs(), mb: rssMb(upPid) }), 500);

    await new Promise((r) => setTimeout(r, 3_000));
    const rssBeforeMb = rssMb(upPid);

    // The attack, from processes of their own. One would need 20,000 descriptors and more,
    // but the hard open-file limit here is 20,000 and raising it needs CAP_SYS_RESOURCE,
    // which this container lacks (prlimit: "Operation not permitted"): so two of 10,000.
    const attackStartMs = nowMs();
    const spread = Array.from({ length: SPREAD_SOURCES }, (_, i) => `127.0.1.${i + 1}`);
    const perProcess = SLOW_CONNECTIONS / ATTACKERS;
    const runs = Array.from({ length: ATTACKERS }, (_, k) => {
      // The over-cap source first (in the first process), then round-robin over the rest.
      const cfg = {
        host: '127.0.0.1',
        port,
        total: perProcess,
        ...(k === 0 ? { first: { address: HEAVY_SOURCE, count: HEAVY_SOURCE_CONNECTIONS } } : {}),
        spread,
        openPerS: OPEN_PER_S / ATTACKERS,
        trickleMs: TRICKLE_EVERY_MS,
        holdMs: ATTACK_MS,
        sampleMs: SAMPLE_EVERY_MS,
        heldAfterMs: HELD_AFTER_MS,
      };
      const a = spawn(process.execPath, [new URL('./slow-http-client.mjs', import.meta.url).pathname, JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'pipe'] });
      attackers.push(a);
      let stderr = '';
      a.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
      const samples: Sample[] = [];
      let summary: Summary | undefined;
      createInterface({ input: a.stdout! }).on('line', (line) => {
        const m = JSON.parse(line) as Sample | Summary;
        if (m.kind === 'sample') samples.push(m);
        else summary = m;
      });
      return new Promise<{ samples: Sample[]; summary: Summary }>((resolve, reject) =>
        a.once('exit', (code) => (summary ? resolve({ samples, summary }) : reject(new Error(`slow client ${k} exited ${code} without a summary: ${stderr.slice(-2000)}`)))),
      );
    });
    const results = await Promise.all(runs);
    const attackEndMs = nowMs();
    // The processes started together and sample on the same period: add them up sample by sample.
    const samples = results[0]!.samples.map((x, i) => ({ tMs: x.tMs, held: results.reduce((sum, r) => sum + (r.samples[i]?.held ?? 0), 0) }));
    const sum = (f: (x: Summary) => number) => results.reduce((n, r) => n + f(r.summary), 0);
    const s = {
      attempted: sum((x) => x.attempted),
      connected: sum((x) => x.connected),
      neverConnected: sum((x) => x.neverConnected),
      openAtEnd: sum((x) => x.openAtEnd),
      lifetimesMs: results.flatMap((r) => r.summary.lifetimesMs),
      errors: results.map((r) => r.summary.errors),
      heavyHeld: results[0]!.summary.bySource[HEAVY_SOURCE]?.held ?? 0,
    };

    await new Promise((r) => setTimeout(r, 3_000));
    polling = false;
    clearInterval(freshTimer);
    await operatorLoop;
    clearInterval(rssTimer);
    const rssAfterMb = rssMb(upPid);
    p.postMessage('stop');
    await Promise.race([until(() => probeMessages.some((m) => m.kind === 'result'), 'the probe result', 20_000), probeFailed]);
    const sent = probeMessages.find((m) => m.kind === 'result')!.sent!;
    const alarms = JSON.parse((await get(port, '/api/alarms', { agent, token })).body) as unknown[];
    const stopped = await up.stop('SIGINT', 30_000);

    // The attack happened as planned: 20,000 attempts, nearly all handshakes completed.
    expect(s.attempted).toBe(SLOW_CONNECTIONS);
    expect(s.connected).toBeGreaterThanOrEqual(19_000);
    // The server held a full cap's worth, and never more (the operator's connection takes one).
    const maxHeld = Math.max(...samples.map((x) => x.held));
    expect(maxHeld).toBeLessThanOrEqual(DEFAULT_MAX_CONNECTIONS);
    expect(maxHeld).toBeGreaterThanOrEqual(DEFAULT_MAX_CONNECTIONS * 0.9);
    const fullSamples = samples.filter((x) => x.held >= DEFAULT_MAX_CONNECTIONS * 0.9);
    const fullForMs = fullSamples.length ? fullSamples.at(-1)!.tMs - fullSamples[0]!.tMs : 0;
    expect(fullForMs, 'how long the server held at least 90% of its cap').toBeGreaterThanOrEqual(5_000);
    // The over-cap source was held to its own cap.
    expect(s.heavyHeld).toBeLessThanOrEqual(DEFAULT_MAX_CONNECTIONS_PER_SOURCE);
    // Nothing outlives the headers timeout (plus the server's check interval and room for
    // a busy machine), nothing is left open, and a full cap's worth was held to the end:
    // while full, each newcomer made room by closing the oldest connection still without
    // a request head (connection-admission.ts), so the last ones in are the ones held.
    const cutAtOnce = s.lifetimesMs.filter((ms) => ms < HELD_AFTER_MS).length;
    const closedAtTimeout = s.lifetimesMs.filter((ms) => ms >= DEFAULT_HTTP_TIMEOUTS.headersTimeoutMs - 500).length;
    const madeRoom = s.lifetimesMs.length - cutAtOnce - closedAtTimeout;
    expect(s.openAtEnd, `slow connections still open ${ATTACK_MS} ms after the attack began`).toBe(0);
    expect(Math.max(...s.lifetimesMs), 'the longest a slow connection lived').toBeLessThan(DEFAULT_HTTP_TIMEOUTS.headersTimeoutMs + 8_000);
    expect(closedAtTimeout).toBeGreaterThanOrEqual(DEFAULT_MAX_CONNECTIONS * 0.9 - fresh.length);
    expect(closedAtTimeout).toBeLessThanOrEqual(DEFAULT_MAX_CONNECTIONS);
    // A client connecting afresh while the cap is full is served (the attack's held
    // connections make room for it), not refused until they time out.
    const freshDuring = fresh.filter((f) => f.atMs >= attackStartMs && f.atMs <= attackEndMs);
    const freshOk = freshDuring.filter((f) => f.status === 200).length;
    expect(freshDuring.length).toBeGreaterThanOrEqual(10);
    expect(freshDuring.filter((f) => f.status !== 200).map((f) => `${Math.round(f.atMs - attackStartMs)} ms: ${f.status}`)).toEqual([]);

    // The operator was answered every time, promptly, and kept polling through the attack.
    const during = operator.filter((o) => o.atMs >= attackStartMs && o.atMs <= attackEndMs);
    expect(operator.filter((o) => o.status !== 200).map((o) => `${Math.round(o.atMs - attackStartMs)} ms: ${o.status}`)).toEqual([]);
    expect(during.length).toBeGreaterThanOrEqual(((attackEndMs - attackStartMs) / OPERATOR_EVERY_MS) * 0.5);
    const operatorMs = operator.map((o) => o.ms);
    expect(Math.max(...operatorMs)).toBeLessThan(MAX_ANSWER_MS);
    // Every publish acknowledged, none late.
    expect(sent.filter((r) => r.ackMs === undefined).map((r) => `#${r.seq}: ${r.error ?? 'no PUBACK'}`)).toEqual([]);
    const ackMs = sent.map((r) => r.ackMs! - r.sentMs);
    expect(sent.filter((r) => r.sentMs >= attackStartMs && r.sentMs <= attackEndMs).length).toBeGreaterThanOrEqual(((attackEndMs - attackStartMs) / PUBLISH_EVERY_MS) * 0.5);
    expect(Math.max(...ackMs)).toBeLessThan(MAX_ANSWER_MS);
    // No drone lost: every poll saw every link up, and no link-lost alarm was raised.
    expect([...lostSeen]).toEqual([]);
    expect(alarms.filter((x) => /link_lost|no MAVLink heartbeat/.test(JSON.stringify(x)))).toEqual([]);
    // And the stack still stops cleanly afterwards.
    expect(stopped).toMatchObject({ code: 0, killed: false });
    // The memory the held sockets took is mostly given back.
    const rssPeakMb = Math.max(...rss.map((r) => r.mb));
    expect(rssAfterMb - rssBeforeMb).toBeLessThan(MAX_RSS_GROWTH_AFTER_MB);

    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(
      `slow HTTP 20k drill (load ${load}): ${s.attempted} attempts, ${s.connected} connected (${s.neverConnected} never), ` +
        `held max ${maxHeld} (cap ${DEFAULT_MAX_CONNECTIONS}) for ${(fullForMs / 1000).toFixed(1)} s, heavy source held ${s.heavyHeld}/${DEFAULT_MAX_CONNECTIONS_PER_SOURCE}, ` +
        `cut at once ${cutAtOnce}, closed to make room ${madeRoom}, closed at the headers timeout ${closedAtTimeout} (lifetime ${pct(s.lifetimesMs.filter((x) => x >= HELD_AFTER_MS), 0)}-${pct(s.lifetimesMs, 1)} ms), open at end ${s.openAtEnd}; ` +
        `operator ${operator.length} requests all 200, p50 ${pct(operatorMs, 0.5)} p99 ${pct(operatorMs, 0.99)} max ${pct(operatorMs, 1)} ms; ` +
        `PUBACK ${sent.length} all acked, p50 ${pct(ackMs, 0.5)} p99 ${pct(ackMs, 0.99)} max ${pct(ackMs, 1)} ms; drones lost 0 (${alarms.length} alarms, none link-lost); ` +
        `RSS before ${rssBeforeMb} peak ${rssPeakMb} after ${rssAfterMb} MB; fresh connections during the attack ${freshOk}/${freshDuring.length} answered ` +
        `(${freshDuring.map((f) => f.status).join(',')}); attacker errors ${JSON.stringify(s.errors)}; SIGINT stop ${stopped.tookMs} ms; ` +
        `${Math.round((nowMs() - drillStartMs) / 1000)} s in all`,
    );
  });
});
