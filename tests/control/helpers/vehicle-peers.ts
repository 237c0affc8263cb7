import { Worker } from 'node:worker_threads';
import type { Drone } from '../../../site/schema.ts';

/** Per drone: when each GCS HEARTBEAT reached the vehicle (wall ms), and frames its key check refused, by reason. */
export type PeerReport = Record<string, { gcsHeartbeatsAtMs: number[]; refused: Record<string, number> }>;

export interface VehiclePeers {
  /** The vehicles' UDP ports, in the order of the drones given. */
  ports: number[];
  report(): Promise<PeerReport>;
  close(): Promise<void>;
}

/**
 * Simulated drones in a worker thread of their own (vehicle-peers-worker.ts), so they keep
 * flying and talking while the test blocks its own thread. Always `close()` them.
 */
export async function startVehiclePeers(drones: Drone[], keys: ReadonlyMap<string, Buffer>): Promise<VehiclePeers> {
  const worker = new Worker(new URL('./vehicle-peers-entry.mjs', import.meta.url), {
    workerData: { drones, keys: Object.fromEntries([...keys].map(([id, k]) => [id, new Uint8Array(k)])) },
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const next = <T>(t: string) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`vehicle peers: no "${t}" within 30 s`)), 30_000);
      const on = (m: { t: string }) => {
        if (m.t !== t) return;
        clearTimeout(timer);
        worker.off('message', on);
        resolve(m as T);
      };
      worker.on('message', on);
    });
  let ports: number[];
  try {
    ports = (await next<{ ports: number[] }>('ready')).ports;
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  return {
    ports,
    async report() {
      const answer = next<{ report: PeerReport }>('report');
      worker.postMessage({ t: 'report' });
      return (await answer).report;
    },
    async close() {
      worker.postMessage({ t: 'close' });
      const grace = setTimeout(() => void worker.terminate(), 5000);
      await exited;
      clearTimeout(grace);
    },
  };
}
