/** Real milliseconds between scheduler ticks: 40 Hz, enough for 5-10 Hz streams at speed 1. */
export const TICK_MS = 25;

type Tick = (realNowMs: number) => void;

/**
 * One timer for every simulated vehicle in the process (not ten timers per vehicle):
 * each tick advances every registered vehicle to its own simulated time and flushes its
 * links. A thousand vehicles cost one setInterval.
 */
class SharedScheduler {
  private readonly ticks = new Set<Tick>();
  private timer: NodeJS.Timeout | undefined;

  add(t: Tick): () => void {
    this.ticks.add(t);
    if (!this.timer) {
      this.timer = setInterval(() => this.run(), TICK_MS);
      this.timer.unref(); // sockets keep a simulator process alive, not the clock
    }
    return () => {
      this.ticks.delete(t);
      if (this.ticks.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  get size(): number {
    return this.ticks.size;
  }

  private run(): void {
    const now = performance.now();
    for (const t of this.ticks) {
      try {
        t(now);
      } catch (err) {
        // One vehicle's bug must not stop the other 999; it is reported and the tick goes on.
        process.emitWarning(err instanceof Error ? err : new Error(String(err)), 'SimDroneTickError');
      }
    }
  }
}

export const scheduler = new SharedScheduler();
