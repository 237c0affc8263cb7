import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TelemetryError } from '../../telemetry/errors.ts';
import { InfluxV1Store } from '../../telemetry/store/v1.ts';
import { startInflux, type TestInflux } from '../helpers/influx.ts';

// The API answers 503 on TEL_STORE_UNAVAILABLE (tests/control-api/history.test.ts, over the
// in-memory store); this is the other half: a stopped influxd yields exactly that error.
describe('InfluxDB 1.x adapter with influxd down', () => {
  let influx: TestInflux;
  beforeAll(async () => {
    influx = await startInflux();
  });
  afterAll(async () => {
    await influx?.close();
  });

  it('rejects reads with a retryable TEL_STORE_UNAVAILABLE naming InfluxDB', async () => {
    const store = new InfluxV1Store({ url: influx.url, database: 'down_check' });
    await store.init();
    await influx.stop();
    try {
      const err = await store.positions({ fromMs: 0, toMs: Date.now() }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(TelemetryError);
      expect(err).toMatchObject({ code: 'TEL_STORE_UNAVAILABLE' });
      expect((err as Error).message).toMatch(/InfluxDB/);
    } finally {
      await influx.start();
      await store.close();
    }
  }, 30_000);
});
