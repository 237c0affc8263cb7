import type { Logger } from 'pino';
import { Intake, type SheddingState } from './intake.ts';
import type { IngestMetrics } from './metrics.ts';
import type { Spool } from './spool.ts';
import type { BatchWriter } from './writer.ts';

/**
 * The broker's publish path as a message source, for a broker in the same process
 * (`ringwatch up`). The broker adapter calls `onMessage` synchronously for every publish
 * it accepts, before it writes the QoS 1 PUBACK (see RingwatchBroker.tapAccepted), with
 * `checked`: for a device topic, the payload the broker already parsed and validated
 * against that topic's schema (undefined otherwise, and then the payload is checked here).
 */
export interface PublishPathSource {
  attach(onMessage: (topic: string, payload: Buffer, checked?: unknown) => void): () => void;
  /** Publishes as the telemetry service (health, events) through the same broker. */
  publish(topic: string, payload: string, retain: boolean, qos: 0 | 1): void;
}

export interface InprocIngestOptions {
  site: string;
  logger: Logger;
  onShedding?: (reason: string | undefined) => void;
}

/**
 * In-process ingest, the design of EMQX's rule engine writing to InfluxDB from inside the
 * broker: every accepted message is appended to the spool on the broker's publish path,
 * before the publisher's PUBACK, so nothing acknowledged is lost, and none of a
 * subscriber session's per-message work is done (the broker's outgoing queue for a
 * persistent QoS 1 session, the copy, the second socket, the subscriber's parse and
 * PUBACK). bench:pipeline measured the difference; see the README.
 *
 * What it cannot do is hold the publisher back: one device's PUBACK waiting on InfluxDB
 * would stall that device's commands and acks too, and flying comes before history. So
 * when the writer's backlog or the spool is full, messages are shed with a count and
 * health goes degraded, as for a full disk. `ringwatch telemetry` (an MQTT session) stays
 * for external brokers and for clusters, whose other nodes' publishes never pass here.
 */
export class InprocIngest {
  private detach: (() => void) | undefined;
  private readonly intake: Intake;

  constructor(
    private readonly source: PublishPathSource,
    opts: InprocIngestOptions,
    private readonly spool: Spool,
    private readonly writer: BatchWriter,
    metrics: IngestMetrics,
  ) {
    this.intake = new Intake(opts.site, spool, writer, metrics, opts.logger, opts.onShedding);
  }

  start(): Promise<void> {
    this.detach ??= this.source.attach((topic, payload, checked) => this.onMessage(topic, payload, checked));
    return Promise.resolve();
  }

  private onMessage(topic: string, payload: Buffer, checked: unknown): void {
    const w = this.writer;
    const refusal = !w.backpressured ? undefined : this.spool.full ? `spool full (${this.spool.bytes} bytes)` : `writer backlog full (${w.queued} points unwritten)`;
    this.intake.take(topic, payload, refusal, checked);
  }

  get sheddingState(): SheddingState | undefined {
    return this.intake.sheddingState;
  }

  publish(topic: string, payload: string, retain: boolean, qos: 0 | 1 = 0): void {
    if (this.detach) this.source.publish(topic, payload, retain, qos);
  }

  get connected(): boolean {
    return this.detach !== undefined;
  }

  /** Stops taking messages; what was spooled stays for the writer to drain. */
  close(): Promise<void> {
    this.detach?.();
    this.detach = undefined;
    return Promise.resolve();
  }

  abort(): Promise<void> {
    return this.close();
  }
}
