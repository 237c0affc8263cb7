import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';

/**
 * A thread's event-loop figures over a rolling window: how late its timers ran and how
 * busy the loop was. The same shape as ringwatch up's per-thread figures
 * (`ringwatch_event_loop_lag_seconds{thread}`), so the link thread reports like the others.
 */
export interface LoopLagSnapshot {
  p50S: number;
  p99S: number;
  maxS: number;
  /** Share of wall time the loop spent running code, 0..1. */
  utilization: number;
  /** Length of the window the figures cover. */
  windowS: number;
}

export const LOOP_LAG_WINDOW_MS = 10_000;

interface Window {
  p50Ns: number;
  p99Ns: number;
  maxNs: number;
  elu: EventLoopUtilization;
}

/**
 * monitorEventLoopDelay and eventLoopUtilization for the thread it runs in, as the worse
 * of the last completed window and the one in progress: a stall stays visible for at
 * least one full window after it ends, whoever reads it and however often.
 */
export class LoopLag {
  private readonly delay: IntervalHistogram;
  private readonly timer: NodeJS.Timeout;
  private startElu = performance.eventLoopUtilization();
  private startMs = performance.now();
  private previous: Window | undefined;

  constructor(private readonly windowMs = LOOP_LAG_WINDOW_MS) {
    // 10 ms is Node's default sampling resolution: cheap, and fine enough for stalls that matter to a 1 Hz heartbeat.
    this.delay = monitorEventLoopDelay({ resolution: 10 });
    this.delay.enable();
    this.timer = setInterval(() => this.rotate(), windowMs);
    this.timer.unref();
  }

  snapshot(): LoopLagSnapshot {
    const now = this.current();
    const prev = this.previous;
    const elu = performance.eventLoopUtilization(this.startElu);
    const active = elu.active + (prev?.elu.active ?? 0);
    const idle = elu.idle + (prev?.elu.idle ?? 0);
    return {
      p50S: Math.max(now.p50Ns, prev?.p50Ns ?? 0) / 1e9,
      p99S: Math.max(now.p99Ns, prev?.p99Ns ?? 0) / 1e9,
      maxS: Math.max(now.maxNs, prev?.maxNs ?? 0) / 1e9,
      utilization: active + idle > 0 ? active / (active + idle) : 0,
      windowS: (performance.now() - this.startMs) / 1000 + (prev ? this.windowMs / 1000 : 0),
    };
  }

  close(): void {
    clearInterval(this.timer);
    this.delay.disable();
  }

  private current(): Omit<Window, 'elu'> {
    // With no samples yet the histogram reports its sentinel minimum (~9.2e18 ns).
    if (this.delay.count === 0) return { p50Ns: 0, p99Ns: 0, maxNs: 0 };
    return { p50Ns: this.delay.percentile(50), p99Ns: this.delay.percentile(99), maxNs: this.delay.max };
  }

  private rotate(): void {
    this.previous = { ...this.current(), elu: performance.eventLoopUtilization(this.startElu) };
    this.startElu = performance.eventLoopUtilization();
    this.startMs = performance.now();
    this.delay.reset();
  }
}
