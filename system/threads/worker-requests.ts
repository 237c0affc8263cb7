/** A Worker (it ends with 'exit') or a MessagePort (it ends with 'close'). */
export interface RequestTarget {
  postMessage(message: unknown): void;
  once(event: 'exit' | 'close', listener: () => void): unknown;
}

/**
 * Request/answer over a worker's message port: each request carries an id, each answer
 * the id it answers. A request the thread does not answer within its bound settles as
 * `undefined` (a busy or dying thread must not hang a scrape or a shutdown), and every
 * pending request settles so when the thread exits (a Worker) or the port closes.
 */
export class WorkerRequests<Req, Reply> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Reply | undefined) => void; timer: NodeJS.Timeout }>();

  constructor(
    private readonly worker: RequestTarget,
    private readonly wrap: (id: number, request: Req) => unknown,
    endEvent: 'exit' | 'close' = 'exit',
  ) {
    worker.once(endEvent, () => this.failAll());
  }

  ask(request: Req, timeoutMs: number): Promise<Reply | undefined> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.pending.set(id, { resolve, timer });
      try {
        this.worker.postMessage(this.wrap(id, request));
      } catch {
        // The thread is gone: no answer will come.
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(undefined);
      }
    });
  }

  /** Hands an answer to the request it belongs to; an answer nobody waits for any more is dropped. */
  answered(id: number, reply: Reply): void {
    const p = this.pending.get(id);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(id);
    p.resolve(reply);
  }

  failAll(): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.resolve(undefined);
    }
    this.pending.clear();
  }
}
