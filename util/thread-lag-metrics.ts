import { Gauge, Registry } from 'prom-client';
import type { LagSnapshot, LagSource } from './event-loop-lag.ts';

export interface ThreadLagMetrics {
  registry: Registry;
  /**
   * Adds a thread's series, labelled `thread="<name>"`. The MAVLink link thread registers
   * here the same way as broker and fleet: a name and a source that answers with the
   * thread's own LagMonitor snapshot. A source that throws or answers nothing (a thread
   * restarting, or too busy to answer) leaves its series out of that scrape, and
   * `ringwatch_thread_answered` says so.
   */
  register(thread: string, source: LagSource): () => void;
}

/**
 * Event-loop lag and utilisation per thread, one family each so a dashboard compares
 * threads on one panel. Gauges with a `quantile` label (summary-style), not a histogram:
 * Node's monitorEventLoopDelay gives quantiles of its own HDR histogram, not bucket
 * counts, and the figures cover a rolling window (see LagMonitor).
 *
 * The one definition of these families: ringwatch up registers every thread in one
 * instance, and `ringwatch control` alone puts its link thread in one on control's own
 * registry (`registry`), so the families never appear twice with different HELP.
 */
export function threadLagMetrics(registry: Registry = new Registry()): ThreadLagMetrics {
  const sources = new Map<string, LagSource>();
  // One round of asking per scrape: prom-client collects the families concurrently, so
  // the first starts the round and the others join it.
  let round: Promise<Map<string, LagSnapshot | undefined>> | undefined;
  const gather = () =>
    (round ??= (async () => {
      const next = new Map<string, LagSnapshot | undefined>();
      await Promise.all(
        [...sources].map(async ([thread, source]) => {
          try {
            next.set(thread, await source());
          } catch {
            next.set(thread, undefined);
          }
        }),
      );
      return next;
    })().finally(() => (round = undefined)));
  new Gauge({
    name: 'ringwatch_event_loop_lag_seconds',
    help: 'How late a thread ran its timers over the last 10-20 s (monitorEventLoopDelay), by thread and quantile; a stall shows as a high 0.99 and max',
    labelNames: ['thread', 'quantile'],
    registers: [registry],
    async collect() {
      const snapshots = await gather();
      this.reset();
      for (const [thread, s] of snapshots) {
        if (!s) continue;
        this.set({ thread, quantile: '0.5' }, s.p50S);
        this.set({ thread, quantile: '0.99' }, s.p99S);
      }
    },
  });
  new Gauge({
    name: 'ringwatch_event_loop_lag_max_seconds',
    help: 'The longest a thread kept its timers waiting over the last 10-20 s, by thread',
    labelNames: ['thread'],
    registers: [registry],
    async collect() {
      const snapshots = await gather();
      this.reset();
      for (const [thread, s] of snapshots) if (s) this.set({ thread }, s.maxS);
    },
  });
  new Gauge({
    name: 'ringwatch_event_loop_utilization',
    help: 'Share of wall time a thread spent running code over the last 10-20 s (0..1), by thread',
    labelNames: ['thread'],
    registers: [registry],
    async collect() {
      const snapshots = await gather();
      this.reset();
      for (const [thread, s] of snapshots) if (s) this.set({ thread }, s.utilization);
    },
  });
  new Gauge({
    name: 'ringwatch_thread_answered',
    help: 'Whether a thread answered the metrics request of this scrape (1) or not (0: restarting or too busy), by thread',
    labelNames: ['thread'],
    registers: [registry],
    async collect() {
      const snapshots = await gather();
      this.reset();
      for (const thread of snapshots.keys()) this.set({ thread }, snapshots.get(thread) ? 1 : 0);
    },
  });
  return {
    registry,
    register(thread, source) {
      if (sources.has(thread)) throw new Error(`event-loop lag: thread "${thread}" is already registered`);
      sources.set(thread, source);
      return () => sources.delete(thread);
    },
  };
}
