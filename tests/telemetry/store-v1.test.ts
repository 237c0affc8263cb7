import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TelemetryError } from '../../telemetry/errors.ts';
import { CQ_NAME, InfluxV1Store } from '../../telemetry/store/v1.ts';
import { startInflux, type TestInflux } from '../helpers/influx.ts';
import { droneTelemetry, storeContract } from './store-contract.ts';

// InfluxDB 1.x always runs: the tests start their own influxd on a free port.
storeContract('InfluxDB 1.x (influx package, local influxd)', async () => {
  const influx: TestInflux = await startInflux();
  let n = 0;
  return {
    makeStore: async () => new InfluxV1Store({ url: influx.url, database: `contract_${++n}` }),
    close: () => influx.close(),
  };
});

describe('retention and downsampling on InfluxDB 1.x', () => {
  let influx: TestInflux;
  beforeAll(async () => {
    influx = await startInflux();
  });
  afterAll(async () => {
    await influx?.close();
  });

  it('applies changed durations and a new track interval at the next start', async () => {
    const a = new InfluxV1Store({ url: influx.url, database: 'ret_change' });
    await a.init();
    const b = new InfluxV1Store({ url: influx.url, database: 'ret_change', retention: { raw: '2d', track: '30d', long: '365d', trackInterval: '30s' } });
    await b.init();
    const info = await b.describeRetention();
    expect(Object.fromEntries(info.policies.map((p) => [p.name, p.durationMs / 86_400_000]))).toMatchObject({ raw: 2, track: 30, long: 365 });
    expect(info.downsampling).toEqual([CQ_NAME]);
    const res = (await (await fetch(`${influx.url}/query?q=${encodeURIComponent('SHOW CONTINUOUS QUERIES')}`)).json()) as {
      results: { series: { name: string; values: string[][] }[] }[];
    };
    const cq = res.results[0]!.series.find((s) => s.name === 'ret_change')!.values[0]![1]!;
    expect(cq).toContain('GROUP BY time(30s)');
    expect(cq).toContain('INTO ret_change.track.track');
  });

  it('downsamples into the track series and serves old windows from it', async () => {
    // Raw kept 1 h (influxd's minimum), so a window starting 2 h ago reads `track`.
    const s = new InfluxV1Store({ url: influx.url, database: 'ret_track', retention: { raw: '1h' } });
    await s.init();
    const base = Date.now() - 30 * 60_000;
    const start = base - (base % 10_000);
    await s.write(Array.from({ length: 600 }, (_, i) => droneTelemetry('drone-8', start + i * 1000, i)));
    await s.backfillTracks({ fromMs: start, toMs: start + 600_000 });
    const old = await s.track('drone-8', { fromMs: Date.now() - 2 * 3_600_000, toMs: Date.now() }, 1000);
    expect(old.source).toBe('track');
    expect(old.points).toHaveLength(60);
    expect(old.points[0]).toMatchObject({ tsMs: start, latDeg: 30.5 + 9e-4 });
    expect(old.points[59]?.latDeg).toBeCloseTo(30.5 + 599e-4, 9);
    // A point older than raw retention is refused by influxd (a 4xx): not retryable.
    const err = await s.write([droneTelemetry('drone-8', Date.now() - 3 * 3_600_000, 0)]).catch((e: unknown) => e);
    expect((err as TelemetryError).code).toBe('TEL_STORE_REJECTED');
  });
});
