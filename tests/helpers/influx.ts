import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInflux as startInfluxd, type InfluxdHandle } from '../../telemetry/influxd.ts';

/** The handle's lifecycle (an outage is `stop` then `start`); `close` also deletes the data dir. */
export interface TestInflux extends Pick<InfluxdHandle, 'url' | 'port' | 'dataDir' | 'stop' | 'start'> {
  /** Stop and delete the temporary data directory. */
  close(): Promise<void>;
}

/** A private influxd 1.x on free ports with a mkdtemp data dir. Always `close()` it. */
export async function startInflux(): Promise<TestInflux> {
  const dataDir = await mkdtemp(join(tmpdir(), 'rw-influx-'));
  try {
    const h = await startInfluxd({ dataDir });
    return {
      url: h.url,
      port: h.port,
      dataDir,
      stop: () => h.stop(),
      start: () => h.start(),
      close: async () => {
        await h.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}
