import { describe, expect, it } from 'vitest';
import { MemoryTelemetryStore } from '../../telemetry/store/memory.ts';
import { droneTelemetry, storeContract } from './store-contract.ts';

// The in-memory store meets the same contract as both InfluxDB adapters, so API and
// console tests can use it instead of starting influxd.
storeContract('in memory', async () => ({ makeStore: async () => new MemoryTelemetryStore() }));

describe('in-memory store beyond the contract', () => {
  it('applies retention against its own clock and serves old windows from the downsampled track', async () => {
    const dayMs = 86_400_000;
    let now = Date.UTC(2026, 0, 10);
    const s = new MemoryTelemetryStore({ nowMs: () => now });
    await s.init();
    const t0 = now - 2 * dayMs;
    await s.write(Array.from({ length: 30 }, (_, i) => droneTelemetry('drone-1', t0 + i * 1000, i)));
    const w = { fromMs: t0, toMs: t0 + 30_000 };
    expect((await s.track('drone-1', w, 100)).points).toHaveLength(30);
    now += 6 * dayMs; // raw retention (7 d) has passed: only the 10 s track remains
    const old = await s.track('drone-1', w, 100);
    expect(old.source).toBe('track');
    expect(old.points.map((p) => p.tsMs - t0)).toEqual([0, 10_000, 20_000]);
    expect(old.points[0]!.latDeg).toBeCloseTo(30.5 + 9e-4, 9);
    expect(await s.positions(w)).toEqual([]);
    expect(await s.latestState()).toEqual([]);
  });
});
