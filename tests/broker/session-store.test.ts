import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createBroker } from '../../broker/index.ts';
import { IndexedMemoryPersistence, OutgoingQueue } from '../../broker/session-store.ts';
import { demoSite } from '../helpers/broker.ts';

const pkt = (brokerCounter: number, messageId?: number, brokerId = 'b1') => ({ brokerId, brokerCounter, ...(messageId !== undefined ? { messageId } : {}) });

describe('session store (indexed outgoing queue)', () => {
  it('keeps order, finds by counter and message id, and clears in O(1) at any depth', () => {
    const q = new OutgoingQueue();
    for (let c = 1; c <= 50_000; c++) q.enqueue(pkt(c));
    // Sent in order, acked out of order: each step is a map hit, not a scan.
    for (let c = 1; c <= 50_000; c++) expect(q.update(pkt(c, ((c - 1) % 65535) + 1))).toBe(true);
    expect(q.clear(25_000)?.brokerCounter).toBe(25_000);
    expect(q.clear(25_000)).toBeUndefined();
    expect(q.clear(1)?.brokerCounter).toBe(1);
    expect(q.length).toBe(49_998);
    expect(q.snapshot().slice(0, 2).map((p) => p.brokerCounter)).toEqual([2, 3]);
    expect(q.update(pkt(999_999, 7))).toBe(false); // same broker, unknown counter: "no such packet"
    // A packet from another broker takes over the entry holding its message id (as aedes-persistence does).
    expect(q.update(pkt(1, 2, 'b2'))).toBe(true);
    expect(q.snapshot()[0]).toEqual(pkt(1, 2, 'b2'));
    expect(q.clear(2)?.brokerId).toBe('b2');
  });

  it('is the broker\'s default persistence (persistent sessions no longer scan their queue per message)', async () => {
    const broker = await createBroker({ site: demoSite().site, logger: pino({ level: 'silent' }) });
    try {
      expect((broker.aedes as unknown as { persistence: { asyncPersistence: unknown } }).persistence.asyncPersistence).toBeInstanceOf(IndexedMemoryPersistence);
    } finally {
      await broker.close();
    }
  });

  it("passes aedes-persistence's abstract test suite", async () => {
    const out = await new Promise<{ code: number; text: string }>((resolve) =>
      execFile(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', 'tests/broker/contract/session-store.node.ts'], { maxBuffer: 32 * 1024 * 1024, timeout: 240_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, text: stdout + stderr }),
      ),
    );
    const pass = Number(/# pass (\d+)/.exec(out.text)?.[1] ?? 0);
    const fail = Number(/# fail (\d+)/.exec(out.text)?.[1] ?? -1);
    expect({ code: out.code, fail, failures: out.text.split('\n').filter((l) => /^\s*not ok/.test(l)).slice(0, 10) }).toEqual({ code: 0, fail: 0, failures: [] });
    expect(pass).toBeGreaterThanOrEqual(100);
  }, 300_000);
});
