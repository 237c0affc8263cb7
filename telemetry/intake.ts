import type { Logger } from 'pino';
import { mapMessage } from './mapping/index.ts';
import type { IngestMetrics } from './metrics.ts';
import type { Spool } from './spool.ts';
import type { BatchWriter } from './writer.ts';

/** What became of one message: ack it in every case; only `spooled` is stored. */
export type IntakeOutcome = 'spooled' | 'dropped' | 'shed';

/** A shedding episode: appends failing since `sinceMs`, with its reason and count. */
export interface SheddingState {
  reason: string;
  sinceMs: number;
  shed: number;
}

/**
 * The one path every ingested message takes, whatever carried it (an MQTT session, or
 * the broker's publish path in process): map, append to the spool, hand to the writer.
 * Synchronous: when `take` returns `spooled`, the message is in the spool (written with
 * write(2)) and may be acknowledged to whoever sent it.
 */
export class Intake {
  private shedding: SheddingState | undefined;

  constructor(
    private readonly site: string,
    private readonly spool: Spool,
    private readonly writer: BatchWriter,
    private readonly metrics: IngestMetrics,
    private readonly logger: Logger,
    /** Called when shedding starts (with the reason) and when the spool takes messages again. */
    private readonly onShedding?: (reason: string | undefined) => void,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /**
   * One message. With `refusal` (why there is no room), a valid message is shed with
   * that reason instead of spooled; invalid ones are dropped as usual. `checked` is the
   * payload already validated by the broker in this process (see mapMessage).
   */
  take(topic: string, payload: Buffer, refusal?: string, checked?: unknown): IntakeOutcome {
    this.metrics.received++;
    const r = mapMessage(this.site, topic, payload, checked);
    if (!r.ok) {
      // Bad input is final: acked (so it is not redelivered forever), counted, dropped.
      this.metrics.dropped[r.reason]++;
      return 'dropped';
    }
    if (refusal !== undefined) {
      this.shed(r.point.measurement, refusal);
      return 'shed';
    }
    try {
      const entry = this.spool.append({ topic, payload, point: r.point }, this.nowMs());
      this.metrics.accepted++;
      this.writer.enqueue(entry);
    } catch (err) {
      // The spool cannot take it (disk full, I/O error). Holding the ack would stop the
      // sender behind this one message for as long as the disk stays full; so shed it,
      // counted, and say so once. The next message tries the disk again: recovery needs
      // no timer.
      this.shed(r.point.measurement, (err as Error).message);
      return 'shed';
    }
    if (this.shedding) this.endShedding();
    return 'spooled';
  }

  private shed(measurement: string, reason: string): void {
    this.metrics.shed[measurement] = (this.metrics.shed[measurement] ?? 0) + 1;
    if (this.shedding) {
      this.shedding.shed++;
      return;
    }
    this.shedding = { reason, sinceMs: this.nowMs(), shed: 1 };
    this.logger.error({ err: reason, alert: 'TelemetrySpoolShedding' }, `shedding incoming messages (${reason}) until the spool can take them again`);
    this.onShedding?.(reason);
  }

  private endShedding(): void {
    const s = this.shedding!;
    this.shedding = undefined;
    this.logger.warn({ shed: s.shed, forMs: this.nowMs() - s.sinceMs }, 'spool writing again; messages shed meanwhile are not stored');
    this.onShedding?.(undefined);
  }

  get sheddingState(): SheddingState | undefined {
    return this.shedding ? { ...this.shedding } : undefined;
  }
}
