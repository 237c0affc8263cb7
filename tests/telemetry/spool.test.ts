import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mapMessage } from '../../telemetry/mapping/index.ts';
import { Spool, type SpoolMessage } from '../../telemetry/spool.ts';
import { telemetryPayload } from './ingest-helpers.ts';

const decode = (topic: string, payload: Buffer) => {
  const r = mapMessage('lakeside', topic, payload);
  return r.ok ? r.point : undefined;
};

function msg(tsMs: number, i: number, pretty = false): SpoolMessage {
  const topic = 'ringwatch/v1/drone/drone-1/telemetry';
  const text = pretty ? JSON.stringify(JSON.parse(telemetryPayload(tsMs, i)), null, 2).replace(/\n/g, '\r\n') : telemetryPayload(tsMs, i);
  const payload = Buffer.from(text);
  const r = mapMessage('lakeside', topic, payload);
  if (!r.ok) throw new Error(r.message);
  return { topic, payload, point: r.point };
}

describe('Spool', () => {
  let dir: string;
  const open: Spool[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rw-spool-'));
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const openSpool = (opts: { segmentBytes?: number; maxBytes?: number; fsync?: 'always' | 'interval' } = {}) => {
    const r = Spool.open({ dir, decode, ...opts });
    open.push(r.spool);
    return r;
  };
  const reopen = (s: Spool) => {
    s.close();
    open.splice(open.indexOf(s), 1);
    return openSpool();
  };

  it('gives back unconfirmed points after a restart and deletes confirmed segments', () => {
    const { spool } = openSpool({ segmentBytes: 2000 });
    const entries = Array.from({ length: 30 }, (_, i) => spool.append(msg(1000 + i, i), 5000 + i));
    expect(readdirSync(dir).length).toBeGreaterThan(3);
    spool.confirm(entries.slice(0, 20));
    const { spool: again, recovered } = reopen(spool);
    // Whole segments are the unit: a partly confirmed segment comes back whole (rewriting
    // is harmless), fully confirmed ones are gone.
    const times = recovered.map((e) => e.point.timeNs);
    expect(times.slice(-10)).toEqual(entries.slice(20).map((e) => e.point.timeNs));
    expect(times.length).toBeLessThan(20);
    const first = recovered.find((e) => e.point.timeNs === entries[20]?.point.timeNs);
    expect(first?.point).toEqual(entries[20]?.point);
    expect(first?.receivedMs).toBe(5020);
    again.confirm(recovered);
    again.close();
    open.pop();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('keeps a payload with newlines on one line and maps it back identically', () => {
    const { spool } = openSpool();
    const m = msg(42, 7, true);
    expect(m.payload.includes(0x0a)).toBe(true);
    spool.append(m, 1);
    spool.append(msg(43, 8), 2);
    const { recovered } = reopen(spool);
    expect(recovered.map((e) => e.point)).toEqual([m.point, msg(43, 8).point]);
  });

  it('skips a torn last line (a write cut by a crash, never acked) and counts undecodable lines', () => {
    const { spool } = openSpool({ fsync: 'always' });
    spool.append(msg(1, 0), 0);
    spool.append(msg(2, 1), 0);
    spool.close();
    open.pop();
    const seg = join(dir, readdirSync(dir)[0]!);
    appendFileSync(seg, '3 ringwatch/v1/drone/drone-1/telemetry {"tsMs":5}\n');
    appendFileSync(seg, '4 ringwatch/v1/drone/drone-1/telemetry {"tsMs":6,"latD');
    const { recovered, spool: s2 } = openSpool();
    expect(recovered).toHaveLength(2);
    expect(s2.stats.corruptLines).toBe(1);
  });

  it('reports full at its byte bound, and room again once confirmed', () => {
    const { spool } = openSpool({ segmentBytes: 1000, maxBytes: 3000 });
    const entries = [];
    while (!spool.full) entries.push(spool.append(msg(entries.length, 0), 0));
    expect(spool.bytes).toBeGreaterThanOrEqual(3000);
    spool.confirm(entries);
    expect(spool.full).toBe(false);
  });

  it('releases the open segment as soon as everything in it is confirmed (its space is needed on a full disk)', () => {
    const { spool } = openSpool(); // default 8 MiB segments: the old code kept this file until then
    const entries = Array.from({ length: 5 }, (_, i) => spool.append(msg(i, i), i));
    expect(readdirSync(dir)).toHaveLength(1);
    spool.confirm(entries.slice(0, 4));
    expect(readdirSync(dir)).toHaveLength(1);
    spool.confirm(entries.slice(4));
    expect(readdirSync(dir)).toEqual([]);
    expect(spool.bytes).toBe(0);
    expect(spool.stats.earlyReleases).toBe(1);
    // The next append opens a fresh segment and recovery finds exactly it.
    spool.append(msg(9, 9), 9);
    const { recovered } = reopen(spool);
    expect(recovered.map((e) => e.point)).toEqual([msg(9, 9).point]);
  });

  it('counts a torn tail it skips at open', () => {
    const { spool } = openSpool({ fsync: 'always' });
    spool.append(msg(1, 0), 0);
    spool.close();
    open.pop();
    appendFileSync(join(dir, readdirSync(dir)[0]!), '4 ringwatch/v1/drone/drone-1/telemetry {"tsMs":6,"latD');
    const { recovered, spool: s2 } = openSpool();
    expect(recovered).toHaveLength(1);
    expect(s2.stats.tornTails).toBe(1);
    expect(s2.stats.corruptLines).toBe(0);
  });
});
