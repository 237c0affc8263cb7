/**
 * One timer for many devices. Two thousand sensors each holding their own setTimeout /
 * setInterval cost a timer object and a closure per tick; a binary heap of deadlines
 * behind a single Node timer keeps the event loop's timer list short and the allocation
 * per firing to one small entry.
 */
export interface Task {
  readonly atMs: number;
  /** Insertion order: tasks due at the same millisecond run first-in, first-out. */
  readonly seq: number;
  /** Cancelled tasks stay in the heap and are skipped when they surface (lazy delete). */
  cancelled: boolean;
  readonly run: () => void;
}

export interface TimeSource {
  nowMs(): number;
}

export class Scheduler {
  private heap: Task[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAtMs = Infinity;
  private closed = false;
  private seq = 0;
  /** Tasks that threw; a bad device must not stop every other device's timers. */
  errors = 0;

  constructor(private readonly time: TimeSource = { nowMs: () => Date.now() }) {}

  get size(): number {
    return this.heap.length;
  }

  /** Runs `run` after `delayMs` real milliseconds. */
  after(delayMs: number, run: () => void): Task {
    const task: Task = { atMs: this.time.nowMs() + Math.max(0, delayMs), seq: this.seq++, cancelled: false, run };
    if (this.closed) {
      task.cancelled = true;
      return task;
    }
    this.push(task);
    this.arm();
    return task;
  }

  cancel(task: Task | undefined): void {
    if (task) task.cancelled = true;
  }

  /** Runs every task that is due; exposed so tests with a manual clock can drive it. */
  runDue(): void {
    const now = this.time.nowMs();
    // Bound the work per wake-up so a backlog cannot starve I/O for long.
    for (let n = 0; n < 10_000; n++) {
      const top = this.heap[0];
      if (!top || top.atMs > now) break;
      this.pop();
      if (top.cancelled) continue;
      try {
        top.run();
      } catch {
        this.errors++;
      }
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.heap = [];
  }

  private arm(): void {
    const top = this.heap[0];
    if (!top || this.closed) return;
    if (this.timer && top.atMs >= this.timerAtMs) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAtMs = top.atMs;
    this.timer = setTimeout(() => this.wake(), Math.max(0, top.atMs - this.time.nowMs()));
  }

  private wake(): void {
    this.timer = undefined;
    this.timerAtMs = Infinity;
    this.runDue();
    this.arm();
  }

  private push(task: Task): void {
    const h = this.heap;
    h.push(task);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(task, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = task;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      let best = last;
      if (l < h.length && before(h[l]!, best)) {
        m = l;
        best = h[l]!;
      }
      if (r < h.length && before(h[r]!, best)) m = r;
      if (m === i) break;
      h[i] = h[m]!;
      i = m;
    }
    h[i] = last;
  }
}

function before(a: Task, b: Task): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}
