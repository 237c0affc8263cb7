import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';

/**
 * One thread's event-loop figures over a recent window: how late its timers ran
 * (quantiles and the worst) and how busy the loop was. Plain numbers, so a worker can post
 * it to the main thread.
 */
export interface LagSnapshot {
  p50S: number;
  p99S: number;
  maxS: number;
  /** Share of wall time the loop spent running code, 0..1. */
  utilization: number;
  /** Length of the window the figures cover. */
  windowS: number;
}

/** Narrows a snapshot that came over a thread boundary. */
export function isLagSnapshot(v: unknown): v is LagSnapshot {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return ['p50S', 'p99S', 'maxS', 'utilization', 'windowS'].every((k) => typeof r[k] === 'number' && Number.isFinite(r[k]));
}

/** Where the metrics get one thread's figures: in-thread, or asked of a worker (undefined: no answer). */
export type LagSource = () => LagSnapshot | undefined | Promise<LagSnapshot | undefined>;

/** How long one window lasts; the figures cover the last full window and the current one. */
export const LAG_WINDOW_MS = 10_000;
/** monitorEventLoopDelay's sampling timer; 10 ms is Node's default and cheap. */
const RESOLUTION_MS = 10;

interface Window {
  p50Ns: number;
  p99Ns: number;
  maxNs: number;
  elu: EventLoopUtilization;
}

/**
 * Event-loop delay and utilisation of the thread it runs in, over a rolling window
 * rather than "since the last scrape": prom-client's own nodejs_eventloop_lag_* reset on
 * every collect, so two scrapers (Prometheus and bench:up) would each see half the story.
 * The figures are the worse of the last completed window and the one in progress, so a
 * stall is visible for at least one full window after it ends.
 */
export class LagMonitor {
  private readonly delay: IntervalHistogram;
  private readonly timer: NodeJS.Timeout;
  private windowStartElu: EventLoopUtilization;
  private windowStartMs: number;
  private previous: Window | undefined;

  constructor(private readonly windowMs: number = LAG_WINDOW_MS) {
    this.delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.delay.enable();
    this.windowStartElu = performance.eventLoopUtilization();
    this.windowStartMs = performance.now();
    this.timer = setInterval(() => this.rotate(), windowMs);
    // Measuring must not keep a thread alive.
    this.timer.unref();
  }

  snapshot(): LagSnapshot {
    const now = this.current();
    const prev = this.previous;
    const elu = performance.eventLoopUtilization(this.windowStartElu);
    const spanS = (performance.now() - this.windowStartMs) / 1000 + (prev ? this.windowMs / 1000 : 0);
    // Utilisation over both windows: busy time over elapsed time.
    const active = elu.active + (prev?.elu.active ?? 0);
    const idle = elu.idle + (prev?.elu.idle ?? 0);
    return {
      p50S: Math.max(now.p50Ns, prev?.p50Ns ?? 0) / 1e9,
      p99S: Math.max(now.p99Ns, prev?.p99Ns ?? 0) / 1e9,
      maxS: Math.max(now.maxNs, prev?.maxNs ?? 0) / 1e9,
      utilization: active + idle > 0 ? active / (active + idle) : 0,
      windowS: spanS,
    };
  }

  close(): void {
    clearInterval(this.timer);
    this.delay.disable();
  }

  private current(): Omit<Window, 'elu'> {
    // An empty histogram reports its minimum sentinel (~9.2e18 ns); treat "no samples" as 0.
    if (this.delay.count === 0) return { p50Ns: 0, p99Ns: 0, maxNs: 0 };
    return { p50Ns: this.delay.percentile(50), p99Ns: this.delay.percentile(99), maxNs: this.delay.max };
  }

  private rotate(): void {
    this.previous = { ...this.current(), elu: performance.eventLoopUtilization(this.windowStartElu) };
    this.windowStartElu = performance.eventLoopUtilization();
    this.windowStartMs = performance.now();
    this.delay.reset();
  }
}
