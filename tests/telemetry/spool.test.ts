import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spool } from '../../telemetry/spool.ts';
import { droneTelemetry } from './store-contract.ts';

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
    const r = Spool.open({ dir, ...opts });
    open.push(r.spool);
    return r;
  };

  it('gives back unconfirmed points after a restart and deletes confirmed segments', () => {
    const { spool } = openSpool({ segmentBytes: 2000 });
    const entries = Array.from({ length: 30 }, (_, i) => spool.append([droneTelemetry('drone-1', 1000 + i, i)], 5000 + i)).flat();
    expect(readdirSync(dir).length).toBeGreaterThan(3);
    spool.confirm(entries.slice(0, 20));
    spool.close();
    open.pop();
    const { spool: again, recovered } = openSpool();
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

  it('skips a torn last line (a write cut by a crash, never acked)', () => {
    const { spool } = openSpool({ fsync: 'always' });
    spool.append([droneTelemetry('drone-1', 1, 0), droneTelemetry('drone-1', 2, 1)], 0);
    spool.close();
    open.pop();
    const seg = readdirSync(dir)[0]!;
    appendFileSync(join(dir, seg), '{"m":"telemetry","t":{"kind":"dr');
    const { recovered, spool: s2 } = openSpool();
    expect(recovered).toHaveLength(2);
    expect(s2.stats.corruptLines).toBe(0);
  });

  it('reports full at its byte bound, and room again once confirmed', () => {
    const { spool } = openSpool({ segmentBytes: 1000, maxBytes: 3000 });
    const entries = [];
    while (!spool.full) entries.push(...spool.append([droneTelemetry('drone-1', entries.length, 0)], 0));
    expect(spool.bytes).toBeGreaterThanOrEqual(3000);
    spool.confirm(entries);
    expect(spool.full).toBe(false);
  });
});
