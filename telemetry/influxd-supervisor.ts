import type { Logger } from 'pino';
import { TelemetryError } from './errors.ts';
import type { InfluxdExit } from './influxd.ts';

/** What the supervisor needs of a managed influxd (see `prepareInflux`). */
export interface SupervisedProcess {
  start(): Promise<void>;
  stop(): Promise<void>;
  onExit(listener: (exit: InfluxdExit) => void): () => void;
  readonly pid: number | undefined;
}

/**
 * - `starting`: a start is under way (waiting for /ping)
 * - `running`: answering
 * - `down`: exited or failed to start; a restart is scheduled
 * - `missing`: the binary is not installed; checked again at the capped delay
 * - `stopped`: closed by us
 */
export type InfluxdState = 'starting' | 'running' | 'down' | 'missing' | 'stopped';

export interface InfluxdStatus {
  state: InfluxdState;
  pid: number | undefined;
  /** Restarts after an unexpected exit or a failed start (the first start is not one). */
  restarts: number;
  /** Unexpected exits since the supervisor started. */
  exits: number;
  /** The last unexpected exit or start failure, for the health reasons. */
  lastProblem?: string;
  /** When the next start attempt is due, while `down` or `missing`. */
  nextStartAtMs?: number;
}

export interface RestartBackoff {
  initialMs: number;
  maxMs: number;
  /** Running this long resets the delay to `initialMs`. */
  stableMs: number;
}

/** Named defaults: a crash loop costs at most one start a minute; tests pass shorter ones. */
export const RESTART_BACKOFF: RestartBackoff = { initialMs: 1_000, maxMs: 60_000, stableMs: 60_000 };

/** Delay before restart attempt `n` (1-based, counting consecutive failures): doubling, capped. */
export function restartDelayMs(n: number, b: Pick<RestartBackoff, 'initialMs' | 'maxMs'>): number {
  return Math.min(b.maxMs, b.initialMs * 2 ** Math.max(0, n - 1));
}

export interface SupervisorOptions {
  logger: Logger;
  backoff?: Partial<RestartBackoff>;
  now?: () => number;
  /** Every state change (for the health record and the event published to operators). */
  onChange?: (status: InfluxdStatus, event: string) => void;
}

/**
 * Keeps the managed influxd running: starts it, and after an exit it did not ask for
 * (crash, OOM kill, an operator's kill -9) logs the exit and starts it again on the same
 * port and data, with a doubling delay capped at `maxMs` so a crash loop does not spin.
 * A failed first start is not fatal either: telemetry spools until influxd answers.
 */
export class InfluxdSupervisor {
  private state: InfluxdState = 'stopped';
  private restarts = 0;
  private exits = 0;
  private consecutiveFailures = 0;
  private lastProblem: string | undefined;
  private nextStartAtMs: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private runningSinceMs = 0;
  private closed = false;
  private readonly backoff: RestartBackoff;
  private readonly now: () => number;
  private readonly offExit: () => void;

  constructor(
    private readonly proc: SupervisedProcess,
    private readonly o: SupervisorOptions,
  ) {
    this.backoff = { ...RESTART_BACKOFF, ...o.backoff };
    this.now = o.now ?? Date.now;
    this.offExit = proc.onExit((exit) => this.onExit(exit));
  }

  /** First start. Resolves true when influxd answers, false when it is left to restart later. */
  async start(): Promise<boolean> {
    this.closed = false;
    return this.attempt(false);
  }

  status(): InfluxdStatus {
    return {
      state: this.state,
      pid: this.proc.pid,
      restarts: this.restarts,
      exits: this.exits,
      ...(this.lastProblem !== undefined ? { lastProblem: this.lastProblem } : {}),
      ...(this.nextStartAtMs !== undefined ? { nextStartAtMs: this.nextStartAtMs } : {}),
    };
  }

  /** Stops supervising and stops influxd (data stays). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.offExit();
    await this.proc.stop();
    this.set('stopped', 'influxd stopped');
  }

  private async attempt(isRestart: boolean): Promise<boolean> {
    this.timer = undefined;
    this.nextStartAtMs = undefined;
    if (isRestart) this.restarts++;
    this.set('starting', isRestart ? `restarting influxd (restart ${this.restarts})` : 'starting influxd');
    try {
      await this.proc.start();
    } catch (err) {
      if (this.closed) return false;
      const missing = err instanceof TelemetryError && err.code === 'TEL_INFLUXD_MISSING';
      this.lastProblem = (err as Error).message;
      this.o.logger.error({ err: this.lastProblem, alert: 'InfluxdDown' }, 'influxd did not start; telemetry spools until it does');
      this.schedule(missing ? 'missing' : 'down');
      return false;
    }
    if (this.closed) {
      await this.proc.stop();
      return false;
    }
    this.runningSinceMs = this.now();
    this.set('running', isRestart ? `influxd running again (pid ${this.proc.pid})` : `influxd running (pid ${this.proc.pid})`);
    if (isRestart) this.o.logger.warn({ pid: this.proc.pid, restarts: this.restarts }, 'influxd restarted');
    return true;
  }

  private onExit(exit: InfluxdExit): void {
    if (exit.expected || this.closed) return;
    // An exit while starting is reported by start() itself; count only exits of a running influxd.
    if (this.state !== 'running') return;
    this.exits++;
    if (this.now() - this.runningSinceMs >= this.backoff.stableMs) this.consecutiveFailures = 0;
    this.lastProblem = `influxd exited (code ${exit.code}, signal ${exit.signal})`;
    this.o.logger.error({ code: exit.code, signal: exit.signal, exits: this.exits, alert: 'InfluxdDown' }, 'influxd exited unexpectedly');
    this.schedule('down');
  }

  private schedule(state: 'down' | 'missing'): void {
    this.consecutiveFailures++;
    const delay = state === 'missing' ? this.backoff.maxMs : restartDelayMs(this.consecutiveFailures, this.backoff);
    this.nextStartAtMs = this.now() + delay;
    this.set(state, `${this.lastProblem}; next start in ${delay} ms`);
    this.o.logger.info({ inMs: delay }, 'influxd restart scheduled');
    this.timer = setTimeout(() => void this.attempt(true), delay);
    this.timer.unref();
  }

  private set(state: InfluxdState, event: string): void {
    this.state = state;
    this.o.onChange?.(this.status(), event);
  }
}
