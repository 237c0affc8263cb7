import type { LiveEvent } from './live-event.ts';

export type { LiveEvent } from './live-event.ts';

type Listener = (batch: LiveEvent[]) => void;

/**
 * Fan-out of live updates to connected clients, batched: 1,000 drones at 2 Hz are
 * 2,000 updates a second, far too many frames to send one by one. Each subscriber gets
 * one array per flush interval; a subscriber whose queue exceeds its bound loses the
 * oldest telemetry first (newer positions supersede older ones) but never a ledger,
 * alarm or broadcast update.
 */
export class EventHub {
  private readonly subs = new Set<{ listener: Listener; queue: LiveEvent[] }>();
  private timer: NodeJS.Timeout | undefined;
  dropped = 0;

  constructor(
    /** The console's default is CONTROL_APP_DEFAULTS.liveFlushMs; this one serves tests and tools. */
    private readonly flushMs = 25,
    private readonly maxQueue = 20_000,
    /** A batch this large is sent at once rather than waiting out the flush interval. */
    private readonly flushAt = 500,
  ) {}

  publish(ev: LiveEvent): void {
    for (const s of this.subs) {
      s.queue.push(ev);
      if (s.queue.length > this.maxQueue) {
        const i = s.queue.findIndex((e) => e.type === 'telemetry');
        s.queue.splice(i >= 0 ? i : 0, 1);
        this.dropped++;
      }
    }
    this.timer ??= setTimeout(() => this.flush(), this.flushMs);
    this.pending++;
    if (this.pending >= this.flushAt) {
      clearTimeout(this.timer);
      this.flush();
    }
  }

  private pending = 0;

  subscribe(listener: Listener): () => void {
    const s = { listener, queue: [] as LiveEvent[] };
    this.subs.add(s);
    return () => this.subs.delete(s);
  }

  get subscribers(): number {
    return this.subs.size;
  }

  private flush(): void {
    this.timer = undefined;
    this.pending = 0;
    for (const s of this.subs) {
      if (s.queue.length === 0) continue;
      const batch = s.queue;
      s.queue = [];
      s.listener(batch);
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.subs.clear();
  }
}
