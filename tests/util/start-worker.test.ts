import { describe, expect, it } from 'vitest';
import { startWorker, type StartSignal } from '../../util/start-worker.ts';

/** A worker body as a data: URL (ES module), so each case states the thread it starts. */
const body = (code: string) => new URL(`data:text/javascript,${encodeURIComponent(`import { parentPort, workerData } from 'node:worker_threads';\n${code}`)}`);

type Msg = { kind: 'ready'; n: number } | { kind: 'start-failed'; message: string } | { kind: 'noise' };
const parse = (raw: unknown): StartSignal<number> => {
  const m = raw as Msg;
  if (m.kind === 'ready') return { ready: m.n };
  if (m.kind === 'start-failed') return { failed: m.message };
  return undefined;
};

describe('startWorker', () => {
  it('resolves with the ready message, past what the thread posts before it', async () => {
    const { worker, ready } = await startWorker({ entry: body(`parentPort.postMessage({ kind: 'noise' }); parentPort.postMessage({ kind: 'ready', n: workerData.n }); setInterval(() => {}, 1000);`), workerData: { n: 7 }, parse, startMs: 5000, name: 'the test thread' });
    expect(ready).toBe(7);
    // Still running: the start listeners are gone, the thread is the caller's.
    expect(worker.listenerCount('exit')).toBe(0);
    expect(await worker.terminate()).toBe(1);
  });

  it("rejects with the thread's own reason when it reports a failed start and exits", async () => {
    await expect(startWorker({ entry: body(`parentPort.postMessage({ kind: 'start-failed', message: 'port 1883 in use' }); process.exit(3);`), parse, startMs: 5000, name: 'the test thread' })).rejects.toThrow('port 1883 in use');
  });

  it('rejects with what it threw, or its exit code when it said nothing', async () => {
    await expect(startWorker({ entry: body(`throw new Error('bad config');`), parse, startMs: 5000, name: 'the test thread' })).rejects.toThrow('bad config');
    await expect(startWorker({ entry: body(`process.exit(4);`), parse, startMs: 5000, name: 'the test thread' })).rejects.toThrow('the test thread exited (code 4) before it was ready');
  });

  it('terminates a thread that stays silent past its start bound', async () => {
    // The thread counts in shared memory while it runs; a terminated one stops counting.
    const ticks = new Int32Array(new SharedArrayBuffer(4));
    const entry = body(`const t = new Int32Array(workerData.sab); setInterval(() => Atomics.add(t, 0, 1), 5);`);
    await expect(startWorker({ entry, workerData: { sab: ticks.buffer }, parse, startMs: 300, name: 'the test thread' })).rejects.toThrow('the test thread did not start within 300 ms');
    expect(Atomics.load(ticks, 0)).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 100));
    const after = Atomics.load(ticks, 0);
    await new Promise((r) => setTimeout(r, 200));
    expect(Atomics.load(ticks, 0)).toBe(after);
  });
});
