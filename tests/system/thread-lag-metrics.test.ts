import { describe, expect, it } from 'vitest';
import { LagMonitor, type LagSnapshot } from '../../util/event-loop-lag.ts';
import { threadLagMetrics } from '../../util/thread-lag-metrics.ts';

const snap = (maxS: number): LagSnapshot => ({ p50S: 0.01, p99S: maxS / 2, maxS, utilization: 0.25, windowS: 10 });

describe('event-loop lag per thread on /metrics', () => {
  it('labels each registered thread, and leaves out one that does not answer', async () => {
    const m = threadLagMetrics();
    m.register('main', () => snap(0.05));
    m.register('broker', async () => snap(0.02));
    m.register('links', async () => undefined);
    m.register('fleet', () => {
      throw new Error('gone');
    });
    const text = await m.registry.metrics();
    expect(text).toContain('ringwatch_event_loop_lag_seconds{thread="main",quantile="0.99"} 0.025');
    expect(text).toContain('ringwatch_event_loop_lag_max_seconds{thread="broker"} 0.02');
    expect(text).toContain('ringwatch_event_loop_utilization{thread="main"} 0.25');
    expect(text).not.toContain('ringwatch_event_loop_lag_max_seconds{thread="links"}');
    expect(text).toContain('ringwatch_thread_answered{thread="links"} 0');
    expect(text).toContain('ringwatch_thread_answered{thread="fleet"} 0');
    expect(text).toContain('ringwatch_thread_answered{thread="broker"} 1');
  });

  it('asks each thread once per scrape', async () => {
    const m = threadLagMetrics();
    let asked = 0;
    m.register('broker', async () => (asked++, snap(0.01)));
    await m.registry.metrics();
    expect(asked).toBe(1);
  });

  it('refuses a thread name registered twice', () => {
    const m = threadLagMetrics();
    m.register('main', () => snap(0));
    expect(() => m.register('main', () => snap(0))).toThrow(/already registered/);
  });

  it('sees a stall of its own thread', async () => {
    const monitor = new LagMonitor();
    try {
      // Let the sampling timer run a few times, then hold the thread.
      await new Promise((r) => setTimeout(r, 50));
      const until = performance.now() + 300;
      while (performance.now() < until) {
        // Spin.
      }
      await new Promise((r) => setTimeout(r, 30));
      const s = monitor.snapshot();
      expect(s.maxS).toBeGreaterThan(0.25);
      expect(s.utilization).toBeGreaterThan(0);
      expect(s.utilization).toBeLessThanOrEqual(1);
    } finally {
      monitor.close();
    }
  });
});
