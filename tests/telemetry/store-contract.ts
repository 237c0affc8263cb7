import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapMessage } from '../../telemetry/mapping/index.ts';
import type { TelemetryPoint } from '../../telemetry/points.ts';
import type { TelemetryStore } from '../../telemetry/store/types.ts';

/**
 * The one contract every TelemetryStore backend must meet (aedes-persistence style):
 * call `storeContract(name, makeStore)` from a backend's test file. `makeStore` returns
 * a store on a fresh, empty database/bucket set each time.
 */
export interface ContractTarget {
  makeStore(): Promise<TelemetryStore>;
  close?(): Promise<void>;
}

const SITE = 'lakeside';

export function point(topic: string, payload: unknown): TelemetryPoint {
  const r = mapMessage(SITE, topic, Buffer.from(JSON.stringify(payload)));
  if (!r.ok) throw new Error(`${topic}: ${r.message}`);
  return r.point;
}

export function droneTelemetry(deviceId: string, tsMs: number, i = 0): TelemetryPoint {
  return point(`ringwatch/v1/drone/${deviceId}/telemetry`, {
    tsMs,
    latDeg: 30.5 + i * 1e-4,
    lonDeg: 114.3 + i * 1e-4,
    altAmslM: 80,
    altRelM: 60,
    headingDeg: (i * 3) % 360,
    groundSpeedMps: 8.5,
    batteryPct: 90 - (i % 50),
    batteryV: 22.1,
    mode: 'AUTO',
    armed: true,
    gpsFix: 3,
    satellites: 14,
  });
}

export function storeContract(name: string, target: () => Promise<ContractTarget>): void {
  describe(`TelemetryStore contract: ${name}`, () => {
    let t: ContractTarget;
    let store: TelemetryStore;
    const now = Date.now();
    const base = now - 30 * 60_000; // 30 min ago: inside raw retention

    beforeAll(async () => {
      t = await target();
    });
    afterAll(async () => {
      await t?.close?.();
    });

    const fresh = async () => {
      store = await t.makeStore();
      await store.init();
      return store;
    };

    it('creates retention and downsampling at init, idempotently', async () => {
      const s = await fresh();
      await s.init();
      const info = await s.describeRetention();
      const byName = Object.fromEntries(info.policies.map((p) => [p.name.replace(/^.*-/, ''), p.durationMs]));
      expect(byName['raw']).toBe(7 * 86_400_000);
      expect(byName['track']).toBe(90 * 86_400_000);
      expect(byName['long']).toBe(730 * 86_400_000);
      expect(info.downsampling.length).toBe(1);
    });

    it('round-trips every record kind through the documented schema', async () => {
      const s = await fresh();
      await s.write([
        droneTelemetry('drone-1', base, 0),
        droneTelemetry('drone-1', base + 1000, 1),
        point('ringwatch/v1/speaker/sp-1/telemetry', { tsMs: base + 500, state: 'playing', volumePct: 80, playingId: 'cmd-7' }),
        point('ringwatch/v1/sensor/cp-1-anpr/event', {
          id: 'ev-1', tsMs: base + 2000, type: 'watchlist_hit', severity: 'high', checkpointId: 'cp-1', plate: 'E12345', watchlist: 'stolen',
        }),
        point('ringwatch/v1/drone/drone-1/status', { tsMs: base - 1000, state: 'online', firmware: 'ArduCopter 4.5', via: 'control' }),
        point('ringwatch/v1/speaker/sp-1/ack', { id: 'cmd-7', tsMs: base + 400, state: 'playing' }),
        point('ringwatch/v1/svc/ledger', { id: 'led-1', tsMs: base + 300, commandId: 'cmd-7', deviceId: 'sp-1', kind: 'speaker', action: 'play', state: 'issued', issuer: 'operator', extra: { ring: 'containment' } }),
        point('ringwatch/v1/svc/audit', { id: 'aud-1', tsMs: base + 200, actor: 'chief', role: 'chief', action: 'login', outcome: 'ok', ip: '127.0.0.1' }),
      ]);
      const w = { fromMs: base - 60_000, toMs: now };
      const latest = await s.latestState();
      const d1 = latest.find((d) => d.deviceId === 'drone-1');
      expect(d1?.lastSeenMs).toBe(base + 1000);
      expect(d1?.kind).toBe('drone');
      expect(d1?.site).toBe(SITE);
      expect(d1?.fields).toMatchObject({ latDeg: 30.5001, lonDeg: 114.3001, mode: 'AUTO', armed: true, gpsFix: 3, satellites: 14, batteryPct: 89 });
      expect(d1?.status).toMatchObject({ state: 'online', tsMs: base - 1000 });
      const sp1 = latest.find((d) => d.deviceId === 'sp-1');
      expect(sp1?.fields).toMatchObject({ state: 'playing', volumePct: 80, playingId: 'cmd-7' });

      const events = await s.events(w);
      expect(events).toEqual([
        { tsMs: base + 2000, id: 'ev-1', deviceId: 'cp-1-anpr', kind: 'sensor', type: 'watchlist_hit', severity: 'high', fields: { checkpointId: 'cp-1', plate: 'E12345', watchlist: 'stolen' } },
      ]);
      const ledger = await s.ledger(w);
      expect(ledger).toHaveLength(1);
      expect(ledger[0]).toMatchObject({ tsMs: base + 300, id: 'led-1', tags: { deviceId: 'sp-1', action: 'play', state: 'issued' } });
      expect(ledger[0]?.record).toMatchObject({ commandId: 'cmd-7', issuer: 'operator', extra: { ring: 'containment' } });
      expect(await s.ledger(w, { deviceId: 'drone-9' })).toEqual([]);
      expect(await s.ledger(w, { deviceId: 'sp-1' })).toHaveLength(1);
      const audit = await s.audit(w, { actor: 'chief' });
      expect(audit).toHaveLength(1);
      expect(audit[0]?.record).toMatchObject({ ip: '127.0.0.1', outcome: 'ok' });
      expect(await s.audit(w, { actor: 'operator' })).toEqual([]);
    });

    it('stores the control service ledger shape: one point per state change of a command', async () => {
      const s = await fresh();
      const record = { id: 'c-42', issuer: 'operator', target: { kind: 'drone', id: 'drone-7' }, kind: 'rtl', via: 'mavlink', payload: {}, state: 'sent' };
      await s.write([
        point('ringwatch/v1/svc/ledger', { tsMs: base, id: 'c-42', state: 'queued', record: { ...record, state: 'queued' } }),
        point('ringwatch/v1/svc/ledger', { tsMs: base, id: 'c-42', state: 'sent', record }),
        point('ringwatch/v1/svc/ledger', { tsMs: base + 900, id: 'c-42', state: 'failed', detail: 'MAV_RESULT DENIED', record: { ...record, state: 'failed' } }),
      ]);
      const rows = await s.ledger({ fromMs: base, toMs: base + 1000 }, { deviceId: 'drone-7' });
      expect(rows.map((r) => r.tags['state']).sort()).toEqual(['failed', 'queued', 'sent']);
      expect(rows.every((r) => r.tags['action'] === 'rtl' && r.tags['kind'] === 'drone' && r.id === 'c-42')).toBe(true);
      expect(rows.find((r) => r.tags['state'] === 'failed')?.record).toMatchObject({ detail: 'MAV_RESULT DENIED', record: { via: 'mavlink' } });
    });

    it('stores alarm changes as the control service publishes them, one point per change', async () => {
      const s = await fresh();
      const alarm = { id: 'al-1', source: { kind: 'sensor', deviceId: 'cp-3-perimeter', checkpointId: 'cp-3', type: 'perimeter_intrusion' }, severity: 'high', ringId: 'prevention', position: { latDeg: 30.258, lonDeg: 120.062 } };
      const raised = point('ringwatch/v1/svc/alarms', { ...alarm, tsMs: base, seq: 0, state: 'open' });
      await s.write([
        raised,
        raised, // a redelivery changes nothing
        point('ringwatch/v1/svc/alarms', { ...alarm, tsMs: base, seq: 1, state: 'open', responder: { droneId: 'drone-1' } }),
        point('ringwatch/v1/svc/alarms', { ...alarm, tsMs: base + 95_000, seq: 2, state: 'open', responder: { droneId: 'drone-1', timeToSceneS: 95, withinTarget: true } }),
        point('ringwatch/v1/svc/alarms', { ...alarm, tsMs: base + 300_000, seq: 3, state: 'resolved', responder: { droneId: 'drone-1', timeToSceneS: 95, withinTarget: true } }),
      ]);
      const rows = await s.alarmRecords({ fromMs: base, toMs: base + 400_000 });
      expect(rows).toHaveLength(4);
      expect(rows.every((r) => r.id === 'al-1' && r.tags['ringId'] === 'prevention' && r.tags['severity'] === 'high' && r.tags['source'] === 'sensor')).toBe(true);
      expect(rows.map((r) => r.tags['state'])).toEqual(['open', 'open', 'open', 'resolved']);
      expect(rows[2]?.record).toMatchObject({ responder: { timeToSceneS: 95, withinTarget: true } });
    });

    it('stores broadcasts as started and when done, with the delivery counts', async () => {
      const s = await fresh();
      const started = point('ringwatch/v1/svc/broadcasts', { id: 'bc-1', tsMs: base, state: 'started', issuer: 'chief', counts: { pending: 3 } });
      await s.write([
        started,
        started,
        point('ringwatch/v1/svc/broadcasts', { id: 'bc-1', tsMs: base + 8000, state: 'done', issuer: 'chief', counts: { pending: 0, finished: 2, no_answer: 1 }, speakers: [{ speakerId: 'sp-1', state: 'finished' }] }),
      ]);
      const rows = await s.broadcastRecords({ fromMs: base, toMs: base + 10_000 });
      expect(rows.map((r) => r.tags['state'])).toEqual(['started', 'done']);
      expect(rows[1]?.record).toMatchObject({ counts: { finished: 2, no_answer: 1 }, speakers: [{ speakerId: 'sp-1' }] });
    });

    it('makes a duplicate write harmless and keeps distinct records of the same millisecond', async () => {
      const s = await fresh();
      const batch = [
        droneTelemetry('drone-2', base, 0),
        point('ringwatch/v1/drone/drone-2/event', { id: 'a', tsMs: base, type: 'low_battery', severity: 'medium' }),
        point('ringwatch/v1/drone/drone-2/event', { id: 'b', tsMs: base, type: 'low_battery', severity: 'medium' }),
      ];
      await s.write(batch);
      await s.write(batch);
      const w = { fromMs: base - 1, toMs: base + 1 };
      expect((await s.positions(w)).length).toBe(1);
      expect((await s.events(w)).map((e) => e.id).sort()).toEqual(['a', 'b']);
    });

    it('decimates a track to the point budget, raw when it fits', async () => {
      const s = await fresh();
      const pts = Array.from({ length: 600 }, (_, i) => droneTelemetry('drone-3', base + i * 1000, i));
      pts.push(droneTelemetry('drone-4', base + 5000, 0));
      await s.write(pts);
      const w = { fromMs: base, toMs: base + 600_000 };
      const raw = await s.track('drone-3', w, 1000);
      expect(raw.decimated).toBe(false);
      expect(raw.source).toBe('raw');
      expect(raw.points).toHaveLength(600);
      expect(raw.points[599]).toMatchObject({ tsMs: base + 599_000, latDeg: 30.5 + 599e-4 });
      const dec = await s.track('drone-3', w, 50);
      expect(dec.decimated).toBe(true);
      expect(dec.points.length).toBeLessThanOrEqual(50);
      expect(dec.points.length).toBeGreaterThanOrEqual(45);
      for (let i = 1; i < dec.points.length; i++) expect(dec.points[i]!.tsMs).toBeGreaterThan(dec.points[i - 1]!.tsMs);
      expect(dec.points.every((p) => p.tsMs >= base - dec.bucketMs! && p.tsMs < w.toMs)).toBe(true);
      // The last bucket's value is the newest point in it.
      expect(dec.points.at(-1)?.latDeg).toBeCloseTo(30.5 + 599e-4, 9);
    });

    it('returns all positions in a window for playback, in time order', async () => {
      const s = await fresh();
      const pts: TelemetryPoint[] = [];
      for (let i = 0; i < 20; i++) for (const d of ['drone-5', 'drone-6']) pts.push(droneTelemetry(d, base + i * 1000 + (d === 'drone-6' ? 500 : 0), i));
      pts.push(point('ringwatch/v1/sensor/cp-2-anpr/telemetry', { tsMs: base + 3000, rssiDbm: -70 }));
      await s.write(pts);
      const rows = await s.positions({ fromMs: base + 5000, toMs: base + 10_000 });
      expect(rows).toHaveLength(10);
      expect(rows.map((r) => r.tsMs)).toEqual([...rows.map((r) => r.tsMs)].sort((a, b) => a - b));
      expect(rows[0]).toMatchObject({ deviceId: 'drone-5', kind: 'drone', tsMs: base + 5000 });
      expect(rows[1]).toMatchObject({ deviceId: 'drone-6', tsMs: base + 5500 });
    });

    it('filters events by device and severity; alarms are high and critical', async () => {
      const s = await fresh();
      const sev = ['info', 'low', 'medium', 'high', 'critical'];
      await s.write(
        sev.map((severity, i) =>
          point(`ringwatch/v1/sensor/cp-${i + 1}-panic/event`, { id: `e${i}`, tsMs: base + i, type: 'panic_button', severity, checkpointId: `cp-${i + 1}` }),
        ),
      );
      const w = { fromMs: base, toMs: base + 10 };
      expect((await s.alarms(w)).map((e) => e.severity)).toEqual(['high', 'critical']);
      expect((await s.events(w, { minSeverity: 'medium' })).length).toBe(3);
      expect((await s.events(w, { deviceId: 'cp-2-panic' })).map((e) => e.id)).toEqual(['e1']);
      expect(await s.events({ fromMs: base + 10, toMs: base + 20 })).toEqual([]);
    });

    it('reports the latest state of every device with each point\'s own time', async () => {
      const s = await fresh();
      const pts: TelemetryPoint[] = [];
      for (let d = 0; d < 40; d++) for (let i = 0; i < 3; i++) pts.push(droneTelemetry(`drone-${100 + d}`, base + d * 10_000 + i * 1000, i));
      await s.write(pts);
      const latest = await s.latestState();
      expect(latest).toHaveLength(40);
      for (const dev of latest) {
        const d = Number(dev.deviceId.slice(6)) - 100;
        expect(dev.lastSeenMs).toBe(base + d * 10_000 + 2000);
        expect(dev.fields['latDeg']).toBeCloseTo(30.5 + 2e-4, 9);
      }
    });
  });
}
