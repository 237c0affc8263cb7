import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInflux as startInfluxd } from '../../telemetry/influxd.ts';

export interface TestInflux {
  url: string;
  port: number;
  dataDir: string;
  /** Stop influxd (SIGTERM, wait for exit) keeping its data: an outage. */
  stop(): Promise<void>;
  /** Start it again on the same port with the same data. */
  start(): Promise<void>;
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
