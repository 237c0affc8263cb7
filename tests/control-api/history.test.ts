import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadSite } from '../../site/load.ts';
import { loadSecretsFile } from '../../site/secrets-file.ts';
import { buildApi } from '../../control/api/app.ts';
import { SessionStore } from '../../control/api/sessions.ts';
import { AuditLog } from '../../control/api/audit-log.ts';
import { EventHub } from '../../control/live/event-hub.ts';
import { WarningLibrary } from '../../control/ops/warning-library.ts';
import { MemoryTelemetryStore } from '../../telemetry/store/memory.ts';
import { TelemetryError } from '../../telemetry/errors.ts';
import { mapMessage } from '../../telemetry/mapping/index.ts';
import { deviceTopic } from '../../protocol/topics.ts';

const site = loadSite('sites/demo.yaml');
const secrets = loadSecretsFile('sites/demo.secrets.yaml');
const T0 = Date.UTC(2026, 10, 23, 8, 0, 0);

let store: MemoryTelemetryStore;
let app: FastifyInstance;
let audit: AuditLog;
let dataDir: string;
let token: string;

beforeAll(async () => {
  // The in-memory store meets the InfluxDB adapters' contract (tests/telemetry/store-*.test.ts),
  // so the API's history routes are tested without influxd; its clock is the API's, so the
  // fixed T0 never ages out of raw retention.
  store = new MemoryTelemetryStore({ nowMs: () => T0 + 200_000 });
  await store.init();
  // Two minutes of drone-1 flying east at 10 m/s, 1 Hz, and one checkpoint event.
  const points = [];
  for (let i = 0; i < 120; i++) {
    const tel = { tsMs: T0 + i * 1000, latDeg: 30.27, lonDeg: 120.065 + (i * 10) / 96_200, altAmslM: 52, altRelM: 40, headingDeg: 90, groundSpeedMps: 10, batteryPct: 90 - i / 10, batteryV: 15.9, mode: 'AUTO', armed: true, gpsFix: 3 };
    const r = mapMessage('lakeside', deviceTopic('drone', 'drone-1', 'telemetry'), Buffer.from(JSON.stringify(tel)));
    if (!r.ok) throw new Error(r.message);
    points.push(r.point);
  }
  const ev = mapMessage('lakeside', deviceTopic('sensor', 'cp-3-perimeter', 'event'), Buffer.from(JSON.stringify({ id: 'ev-1', tsMs: T0 + 30_000, type: 'perimeter_intrusion', severity: 'high', checkpointId: 'cp-3' })));
  if (!ev.ok) throw new Error(ev.message);
  points.push(ev.point);
  await store.write(points);

  dataDir = mkdtempSync(join(tmpdir(), 'rw-hist-'));
  const clock = { nowMs: () => T0 + 200_000 };
  audit = await AuditLog.open({ clock });
  app = await buildApi({ site, clock, sessions: new SessionStore(site.users, clock), audit, warnings: new WarningLibrary(site.warnings), hub: new EventHub(), history: store });
  const r = await app.inject({ method: 'POST', url: '/api/login', payload: { username: 'operator', password: secrets.users!['operator']! } });
  token = r.json().token;
}, 60_000);

afterAll(async () => {
  await app?.close();
  await audit?.close();
  await store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const get = (url: string) => app.inject({ url, headers: { authorization: `Bearer ${token}` } });

describe('history routes over the telemetry store', () => {
  it('replays all positions in a window', async () => {
    const r = await get(`/api/history/positions?fromMs=${T0}&toMs=${T0 + 60_000}`);
    expect(r.statusCode).toBe(200);
    const rows = r.json() as { deviceId: string; tsMs: number }[];
    expect(rows).toHaveLength(60);
    expect(rows.every((x) => x.deviceId === 'drone-1' && x.tsMs >= T0 && x.tsMs < T0 + 60_000)).toBe(true);
  });

  it('decimates a track to the point budget', async () => {
    const r = await get(`/api/history/track/drone-1?fromMs=${T0}&toMs=${T0 + 120_000}&maxPoints=20`);
    const track = r.json() as { points: unknown[]; decimated: boolean };
    expect(track.decimated).toBe(true);
    expect(track.points.length).toBeLessThanOrEqual(20);
    expect(track.points.length).toBeGreaterThanOrEqual(10);
  });

  it('lists the window’s events', async () => {
    const r = await get(`/api/history/events?fromMs=${T0}&toMs=${T0 + 120_000}`);
    expect(r.json().events).toMatchObject([{ id: 'ev-1', type: 'perimeter_intrusion', severity: 'high' }]);
  });

  it('refuses a backwards or oversized window by name', async () => {
    expect((await get(`/api/history/positions?fromMs=${T0}&toMs=${T0 - 1}`)).json().message).toMatch(/toMs must be after fromMs/);
    expect((await get(`/api/history/positions?fromMs=0&toMs=${T0}`)).json().message).toMatch(/24 h/);
  });

  it('answers 503 naming InfluxDB when the store is unreachable', async () => {
    // What the InfluxDB adapters throw when influxd is down (tests/telemetry/store-v1-down.test.ts).
    const down = new TelemetryError('TEL_STORE_UNAVAILABLE', 'InfluxDB query failed: connect ECONNREFUSED 127.0.0.1:8086');
    const spy = vi.spyOn(store, 'positions').mockRejectedValue(down);
    try {
      const r = await get(`/api/history/positions?fromMs=${T0}&toMs=${T0 + 60_000}`);
      expect(r.statusCode).toBe(503);
      expect(r.json().message).toMatch(/InfluxDB/);
    } finally {
      spy.mockRestore();
    }
  });
});
