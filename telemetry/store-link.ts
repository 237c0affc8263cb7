import type { Logger } from 'pino';
import { TelemetryError } from './errors.ts';
import type { TelemetryStore } from './store/types.ts';

/** How often the store is probed (schema set-up while it is missing, /ping afterwards). */
export const STORE_PROBE_MS = 5_000;

/**
 * The service's view of its store: whether the schema (database, retention policies,
 * CQ) is in place and whether InfluxDB answered lately. InfluxDB is not needed to
 * start: until the schema is ready every write attempt first tries to set it up, and a
 * background probe does the same while no points arrive, so health says "degraded" and
 * the spool holds the points until InfluxDB appears.
 */
export class StoreLink {
  private schemaReady = false;
  private preparing: Promise<void> | undefined;
  private reachableNow: boolean | undefined;
  private lastError: string | undefined;
  private downSinceMs: number | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: TelemetryStore,
    private readonly o: { logger: Logger; probeMs?: number; now?: () => number; onChange?: () => void },
  ) {}

  /** Starts the background probe (first one now). */
  start(): void {
    void this.probe();
    this.timer = setInterval(() => void this.probe(), this.o.probeMs ?? STORE_PROBE_MS);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Resolves once the schema is in place; throws a retryable error while InfluxDB is away. */
  async ensureSchema(): Promise<void> {
    if (this.schemaReady) return;
    this.preparing ??= this.store
      .init()
      .then(() => {
        this.schemaReady = true;
        this.o.logger.info('InfluxDB schema ready');
        this.ok();
      })
      .finally(() => {
        this.preparing = undefined;
      });
    try {
      await this.preparing;
    } catch (err) {
      this.failed(err as Error);
      // Whatever init met (refused connection, 401, 5xx), the points stay spooled and we try again.
      throw err instanceof TelemetryError && err.retryable ? err : new TelemetryError('TEL_STORE_UNAVAILABLE', `InfluxDB set-up failed: ${(err as Error).message}`, { cause: err });
    }
  }

  /** A write went through. */
  ok(): void {
    if (this.reachableNow === true) return;
    if (this.reachableNow === false) this.o.logger.warn({ downForMs: this.now() - (this.downSinceMs ?? this.now()) }, 'InfluxDB reachable again');
    this.reachableNow = true;
    this.lastError = undefined;
    this.downSinceMs = undefined;
    this.o.onChange?.();
  }

  /** A write or probe failed for a reason that may pass (network, 5xx). */
  failed(err: Error): void {
    const first = this.reachableNow !== false;
    this.lastError = err.message.slice(0, 200);
    if (!first) return;
    this.reachableNow = false;
    this.downSinceMs = this.now();
    this.o.logger.error({ err: this.lastError, alert: 'TelemetryStoreUnreachable' }, 'InfluxDB unreachable; points wait in the spool');
    this.o.onChange?.();
  }

  state(): { reachable: boolean | undefined; schemaReady: boolean; lastError?: string; downSinceMs?: number } {
    return {
      reachable: this.reachableNow,
      schemaReady: this.schemaReady,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...(this.downSinceMs !== undefined ? { downSinceMs: this.downSinceMs } : {}),
    };
  }

  private async probe(): Promise<void> {
    if (!this.schemaReady) {
      await this.ensureSchema().catch(() => undefined);
      return;
    }
    if (await this.store.ping()) this.ok();
    else this.failed(new Error('no answer to ping'));
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }
}
