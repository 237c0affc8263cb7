/**
 * The link thread's body (started by link-thread.ts through worker-entry.mjs): every
 * endpoint's socket, gate and GCS heartbeat, on an event loop nothing else runs on.
 */
import { parentPort } from 'node:worker_threads';
import { LagMonitor } from '../../util/event-loop-lag.ts';
import { forEachChunk, packChunks } from './chunks.ts';
import type { FromThread, ThreadReject, ToThread } from './messages.ts';
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
let rejects: ThreadReject[] = [];
let logs: string[] = [];
let flushQueued = false;
const flush = () => {
  flushQueued = false;
  if (rxChunks.length === 0 && rejects.length === 0 && logs.length === 0) return;
  const batch = packChunks(rxIds, rxChunks);
  post({ t: 'rx', ...batch, rejects, logs }, [batch.buf.buffer as ArrayBuffer]);
  rxIds = [];
  rxChunks = [];
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
    queueFlush();
  },
  reject(r: ThreadReject) {
    // A flood of refusals is counted on the main thread; cap what one turn carries.
    if (rejects.length < 10_000) rejects.push(r);
    queueFlush();
  },
  log(line: string) {
    logs.push(line);
    queueFlush();
  },
  ended(id: number, message: string) {
    endpoints.delete(id);
    post({ t: 'ended', id, message });
  },
};

const lag = new LagMonitor();
const statsTimer = setInterval(() => post({ t: 'stats', lag: lag.snapshot() }), STATS_INTERVAL_MS);

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
    case 'shutdown':
      void shutdown();
      break;
  }
});

post({ t: 'ready' });
