/**
 * The link thread's body (started by link-thread.ts through worker-entry.mjs): every
 * endpoint's socket, gate and GCS heartbeat, on an event loop nothing else runs on.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LagMonitor } from '../../util/event-loop-lag.ts';
import { forEachChunk, packChunks } from './chunks.ts';
import { DEFAULT_MAX_UNACKED_RX_BYTES, type FromThread, type LinkWorkerData, type ThreadReject, type ToThread } from './messages.ts';
import { ThreadEndpoint } from './thread-endpoint.ts';

const port = parentPort;
if (!port) throw new Error('mavlink/link-thread/worker.ts runs only as a worker thread');

/** How often the loop figures go to the main thread. */
const STATS_INTERVAL_MS = 1000;

const endpoints = new Map<number, ThreadEndpoint>();
const post = (m: FromThread, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

// Inbound bytes, refusals and log lines wait for the end of this loop turn and cross
// together: a datagram costs one copy into the batch, not one message.
let rxIds: number[] = [];
let rxChunks: Buffer[] = [];
let rxHeldBytes = 0;
let rejects: ThreadReject[] = [];
let logs: string[] = [];
let flushQueued = false;

// A main thread that is blocked reads none of what is posted to it, and the port queues it
// all (~0.5 MB/s with 1,000 drones). So the main thread acknowledges the bytes it took,
// and at most `maxUnackedRxBytes` cross unacknowledged; beyond that the bytes wait here,
// and past the same bound again the oldest are dropped and counted: a control plane that
// comes back wants the drones' latest state, not a backlog.
const maxUnackedRxBytes = (workerData as LinkWorkerData | undefined)?.maxUnackedRxBytes ?? DEFAULT_MAX_UNACKED_RX_BYTES;
let rxUnackedBytes = 0;
const rxDropped = { chunks: 0, bytes: 0 };
/** Log lines held while the main thread is away; more are dropped (they say the same again). */
const MAX_HELD_LOGS = 1000;

const shedOldest = () => {
  let drop = 0;
  while (rxHeldBytes > maxUnackedRxBytes && drop < rxChunks.length) {
    const len = rxChunks[drop]!.length;
    rxHeldBytes -= len;
    rxDropped.bytes += len;
    drop++;
  }
  if (drop === 0) return;
  rxDropped.chunks += drop;
  rxChunks.splice(0, drop);
  rxIds.splice(0, drop);
};
const flush = () => {
  flushQueued = false;
  if (rxChunks.length === 0 && rejects.length === 0 && logs.length === 0) return;
  if (rxUnackedBytes >= maxUnackedRxBytes) {
    // Held until the main thread acknowledges; an ack queues the next flush.
    shedOldest();
    return;
  }
  const batch = packChunks(rxIds, rxChunks);
  rxUnackedBytes += batch.buf.byteLength;
  post({ t: 'rx', ...batch, rejects, logs }, [batch.buf.buffer as ArrayBuffer]);
  rxIds = [];
  rxChunks = [];
  rxHeldBytes = 0;
  rejects = [];
  logs = [];
};
const queueFlush = () => {
  if (flushQueued) return;
  flushQueued = true;
  setImmediate(flush);
};

const sink = {
  rx(id: number, chunk: Buffer) {
    rxIds.push(id);
    rxChunks.push(chunk);
    rxHeldBytes += chunk.length;
    queueFlush();
  },
  reject(r: ThreadReject) {
    // A flood of refusals is counted on the main thread; cap what one turn carries.
    if (rejects.length < 10_000) rejects.push(r);
    queueFlush();
  },
  log(line: string) {
    if (logs.length < MAX_HELD_LOGS) logs.push(line);
    queueFlush();
  },
  ended(id: number, message: string) {
    endpoints.delete(id);
    post({ t: 'ended', id, message });
  },
};

const lag = new LagMonitor();
const statsTimer = setInterval(() => post({ t: 'stats', lag: lag.snapshot(), rxDropped: { ...rxDropped } }), STATS_INTERVAL_MS);

async function open(id: number, spec: Extract<ToThread, { t: 'open' }>['spec']): Promise<void> {
  try {
    endpoints.set(id, await ThreadEndpoint.open(id, spec, sink));
    post({ t: 'opened', id });
  } catch (err) {
    post({ t: 'open_failed', id, message: (err as Error).message });
  }
}

async function shutdown(): Promise<void> {
  clearInterval(statsTimer);
  lag.close();
  await Promise.all([...endpoints.values()].map((e) => e.close()));
  endpoints.clear();
  flush();
  post({ t: 'bye' });
  port!.close();
}

port.on('message', (m: ToThread) => {
  switch (m.t) {
    case 'open':
      void open(m.id, m.spec);
      break;
    case 'close': {
      const e = endpoints.get(m.id);
      endpoints.delete(m.id);
      void e?.close();
      break;
    }
    case 'tx':
      // One chunk is one write (one datagram on UDP), as the main thread's link wrote it.
      forEachChunk(m, (id, chunk) => endpoints.get(id)?.write(chunk));
      break;
    case 'ack':
      rxUnackedBytes = Math.max(0, rxUnackedBytes - m.bytes);
      if (rxUnackedBytes < maxUnackedRxBytes) queueFlush();
      break;
    case 'shutdown':
      void shutdown();
      break;
  }
});

post({ t: 'ready' });
