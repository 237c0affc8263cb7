import { Worker, type ResourceLimits, type TransferListItem } from 'node:worker_threads';

/** What one message posted during start-up says: the thread is ready, it could not start (its own words), or neither. */
export type StartSignal<Ready> = { ready: Ready } | { failed: string } | undefined;

export interface StartWorkerOptions<Ready> {
  /** The thread's entry module (a file: URL). */
  entry: URL;
  workerData?: unknown;
  /** What workerData hands over rather than copies (MessagePorts). */
  transferList?: TransferListItem[];
  resourceLimits?: ResourceLimits;
  /** Reads each message the thread posts until it is ready; anything else it posts meanwhile answers undefined. */
  parse: (raw: unknown) => StartSignal<Ready>;
  /** The thread must be ready within this long. */
  startMs: number;
  /** The thread as the errors name it ("the broker thread"). */
  name: string;
}

/**
 * Starts a worker thread and waits for it to say it is ready. A thread that reports a
 * failed start, throws, exits or stays silent past `startMs` is terminated and the
 * promise rejects with the most telling reason (its own message first), so a caller never
 * holds a half-started thread. Resolves with the worker and its ready message; the start
 * listeners are gone by then and the caller attaches its own.
 */
export function startWorker<Ready>(o: StartWorkerOptions<Ready>): Promise<{ worker: Worker; ready: Ready }> {
  const worker = new Worker(o.entry, {
    ...(o.workerData !== undefined ? { workerData: o.workerData } : {}),
    ...(o.resourceLimits ? { resourceLimits: o.resourceLimits } : {}),
    ...(o.transferList ? { transferList: o.transferList } : {}),
  });
  return new Promise((resolve, reject) => {
    let failure: string | undefined;
    const timer = setTimeout(() => done(new Error(`${o.name} did not start within ${o.startMs} ms`)), o.startMs);
    const onMessage = (raw: unknown) => {
      const signal = o.parse(raw);
      if (!signal) return;
      if ('failed' in signal) failure = signal.failed;
      else done(undefined, signal);
    };
    const onError = (err: Error) => (failure ??= err.message);
    const onExit = (code: number) => done(new Error(failure ?? `${o.name} exited (code ${code}) before it was ready`));
    const done = (err?: Error, signal?: { ready: Ready }) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      if (err) {
        void worker.terminate();
        reject(err);
      } else resolve({ worker, ready: signal!.ready });
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}
