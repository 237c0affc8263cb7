import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreeUdpPort } from '../../util/free-port.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { parse, stringify } from 'yaml';
import type { Page } from 'playwright-core';
import { loadSecretsFile } from '../../site/secrets-file.ts';
import { startBrowser, loginAs, screenshot, type TestBrowser } from '../helpers/browser.ts';

/**
 * The demo as a user runs it: `ringwatch up --site … --sim` as a child process, checked
 * only through what a user or a device can reach — the HTTP API, MQTT and the browser.
 * The demo scenario runs at 10x so its intrusion (t=40 s) comes within seconds.
 */
const SPEED = 10;
let dir: string;
let proc: ChildProcess;
let out = '';
let mapUrl: string;
let mqttUrl: string;
let token: string;
let browser: TestBrowser;
const secrets = loadSecretsFile('sites/demo.secrets.yaml');

function startUp(): Promise<void> {
  out = '';
  proc = spawn(process.execPath, ['bin/ringwatch.js', 'up', '--site', join(dir, 'site.yaml'), '--sim', '--speed', String(SPEED), '--scenario', 'simulators/scenarios/demo.yaml', '--data-dir', join(dir, 'data'), '--http-port', '0', '--mqtt-port', '0', '--ws-port', '0', '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ringwatch up did not come up within 60 s:\n${out}`)), 60_000);
    const check = () => {
      const m = /map\s+(http:\/\/\S+)/.exec(out);
      const q = /MQTT\s+(mqtt:\/\/\S+)/.exec(out);
      if (m && q) {
        clearTimeout(timer);
        mapUrl = m[1]!;
        mqttUrl = q[1]!;
        resolve();
      }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => reject(new Error(`ringwatch up exited with ${code}:\n${out}`)));
  });
}

async function stopUp(): Promise<number | null> {
  if (proc.exitCode !== null) return proc.exitCode;
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  proc.kill('SIGINT');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

const api = async <T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> => {
  const r = await fetch(new URL(path, mapUrl), {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${token}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  if (!r.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
};

async function poll<T>(what: string, f: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Processes (influxd above all) whose command line names the given path. */
function processesUsing(path: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(path)) found.push(`${pid}: ${cmd}`);
    } catch {
      // gone
    }
  }
  return found;
}

interface DroneView {
  id: string;
  link: string;
  telemetry?: { latDeg: number; lonDeg: number; altRelM: number; mode: string };
  task: { kind: string };
}
interface AlarmView {
  id: string;
  source: { kind: string; checkpointId?: string };
  ringId: string;
  state: string;
  broadcastId?: string;
  responder?: { droneId: string; onSceneAtMs?: number; timeToSceneS?: number; targetS: number; withinTarget?: boolean };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rw-e2e-'));
  // The demo site, with each simulated drone on a free UDP port of this machine.
  const site = parse(readFileSync('sites/demo.yaml', 'utf8'));
  for (const d of site.drones) d.mavlink.url = `udpout://127.0.0.1:${await findFreeUdpPort()}`;
  writeFileSync(join(dir, 'site.yaml'), stringify(site));
  copyFileSync('sites/demo.secrets.yaml', join(dir, 'site.secrets.yaml'));
  await startUp();
  const login = await fetch(new URL('/api/login', mapUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'operator', password: secrets.users!['operator'] }) });
  token = ((await login.json()) as { token: string }).token;
  browser = await startBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (proc) await stopUp();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('ringwatch up with the demo site', () => {
  it('shows every drone linked and moving, on MQTT and in the API', async () => {
    const telemetrySeen = new Map<string, number>();
    const client = await mqtt.connectAsync(mqttUrl, { username: 'web', password: secrets.services['web']!, clientId: 'web:e2e' });
    client.on('message', (topic) => {
      const id = topic.split('/')[3]!;
      telemetrySeen.set(id, (telemetrySeen.get(id) ?? 0) + 1);
    });
    await client.subscribeAsync('ringwatch/v1/drone/+/telemetry', { qos: 0 });
    const drones = await poll('all 8 drones linked with telemetry', async () => {
      const ds = await api<DroneView[]>('/api/drones');
      return ds.length === 8 && ds.every((d) => d.link === 'ok' && d.telemetry) ? ds : undefined;
    }, 30_000);
    await poll('telemetry of every drone on MQTT', async () => telemetrySeen.size === 8, 15_000);
    await client.endAsync();
    // Moving: the patrols are flying, so positions change between two looks.
    const before = new Map(drones.map((d) => [d.id, d.telemetry!]));
    const moved = await poll('drones moving', async () => {
      const now = await api<DroneView[]>('/api/drones');
      const n = now.filter((d) => d.telemetry && (Math.abs(d.telemetry.latDeg - before.get(d.id)!.latDeg) > 1e-5 || Math.abs(d.telemetry.lonDeg - before.get(d.id)!.lonDeg) > 1e-5)).length;
      return n >= 3 ? n : undefined;
    }, 30_000);
    expect(moved).toBeGreaterThanOrEqual(3);
  }, 90_000);

  it('patrols all three rings', async () => {
    const rings = await poll('a drone flying on every ring', async () => {
      const ps = await api<{ ringId: string; active: boolean; sorties: { status: string; droneId: string }[] }[]>('/api/patrols');
      return ps.length === 3 && ps.every((r) => r.active && r.sorties.some((s) => s.status === 'flying')) ? ps : undefined;
    }, 60_000);
    expect(rings.map((r) => r.ringId)).toEqual(['containment', 'prevention', 'control']);
  }, 90_000);

  it('dispatches the best drone to the scripted intrusion within the ring target, and nearby speakers ack the warning', async () => {
    const alarm = await poll('the intrusion at cp-3 reached on scene', async () => {
      const as = await api<AlarmView[]>('/api/alarms?state=all');
      return as.find((a) => a.source.kind === 'sensor' && a.source.checkpointId === 'cp-3' && a.responder?.onSceneAtMs !== undefined);
    }, 90_000);
    expect(alarm.ringId).toBe('prevention');
    expect(alarm.responder!.timeToSceneS).toBeLessThanOrEqual(alarm.responder!.targetS);
    expect(alarm.responder!.withinTarget).toBe(true);
    expect(alarm.broadcastId).toBeDefined();
    const report = await poll('every targeted speaker answered', async () => {
      const b = await api<{ speakers: { speakerId: string; state: string }[] }>(`/api/broadcasts/${alarm.broadcastId}`);
      return b.speakers.length > 0 && b.speakers.every((s) => s.state !== 'pending') ? b : undefined;
    }, 30_000);
    expect(report.speakers.map((s) => s.speakerId)).toContain('sp-5');
    for (const s of report.speakers) expect(s.state, s.speakerId).not.toBe('no_answer');

    // The alarm's changes, time to scene included, are stored through telemetry for history.
    const stored = await poll('the alarm on scene stored in InfluxDB', async () => {
      const h = await api<{ alarms: { id: string; record: { responder?: { timeToSceneS?: number } } }[] }>(`/api/history/events?fromMs=${Date.now() - 10 * 60_000}&toMs=${Date.now() + 1000}`);
      return h.alarms.find((a) => a.id === alarm.id && a.record.responder?.timeToSceneS !== undefined);
    }, 30_000);
    expect(stored.record.responder!.timeToSceneS).toBe(alarm.responder!.timeToSceneS);
    const storedBroadcast = await poll('the warning broadcast stored once every speaker answered', async () => {
      const h = await api<{ broadcasts: { id: string; tags: { state?: string }; record: { counts?: Record<string, number> } }[] }>(`/api/history/events?fromMs=${Date.now() - 10 * 60_000}&toMs=${Date.now() + 1000}`);
      return h.broadcasts.find((b) => b.id === alarm.broadcastId && b.tags.state === 'done');
    }, 30_000);
    expect(storedBroadcast.record.counts?.['pending']).toBe(0);

    // Resolved, the responder goes back to what it was doing.
    await api(`/api/alarms/${alarm.id}/resolve`, { method: 'POST' });
    const responder = alarm.responder!.droneId;
    await poll('the responder released', async () => {
      const d = (await api<DroneView[]>('/api/drones')).find((x) => x.id === responder)!;
      return d.task.kind !== 'alarm' && (d.telemetry?.mode === 'AUTO' || d.telemetry?.mode === 'RTL') ? d : undefined;
    }, 30_000);
  }, 150_000);

  it('draws every drone on the map in the browser', async () => {
    const page: Page = await browser.context.newPage();
    await loginAs(page, mapUrl, 'chief');
    await expect.poll(() => page.getByTestId('drone-count').textContent(), { timeout: 20_000 }).toBe('8 drones · 8 online');
    await screenshot(page, 'e2e-demo');
    await page.close();
  }, 60_000);

  it('keeps history in InfluxDB across a restart', async () => {
    const toMs = Date.now();
    const fromMs = toMs - 10 * 60_000;
    const before = await poll('positions stored', async () => {
      const rows = await api<{ deviceId: string }[]>(`/api/history/positions?fromMs=${fromMs}&toMs=${toMs}`);
      return rows.length > 50 ? rows : undefined;
    }, 30_000);
    expect(new Set(before.map((r) => r.deviceId)).size).toBeGreaterThanOrEqual(8);
    // Ctrl-C stops everything cleanly, influxd included…
    const code = await stopUp();
    expect(code, `ringwatch up did not exit 0 on SIGINT; its last output:\n${out.slice(-4000)}`).toBe(0);
    expect(processesUsing(join(dir, 'data'))).toEqual([]);
    // …and the next start finds the stored history.
    await startUp();
    const login = await fetch(new URL('/api/login', mapUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'operator', password: secrets.users!['operator'] }) });
    token = ((await login.json()) as { token: string }).token;
    const after = await api<{ deviceId: string }[]>(`/api/history/positions?fromMs=${fromMs}&toMs=${toMs}`);
    expect(after.length).toBeGreaterThanOrEqual(before.length);
  }, 120_000);
});
