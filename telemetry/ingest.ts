import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { TOPIC_ROOT } from '../protocol/index.ts';
import { Intake, type SheddingState } from './intake.ts';
import type { IngestMetrics } from './metrics.ts';
import type { Spool } from './spool.ts';
import type { BatchWriter } from './writer.ts';

export interface IngestOptions {
  url: string;
  username: string;
  password: string;
  /** Fixed, so the broker keeps our session (subscriptions and unacked messages) across restarts. */
  clientId: string;
  /** Site id, stored as the `site` tag. */
  site: string;
  topic?: string;
  connectTimeoutMs?: number;
  reconnectPeriodMs?: number;
  logger: Logger;
  /** Called when shedding starts (with the reason) and when the spool takes messages again. */
  onShedding?: (reason: string | undefined) => void;
}

/**
 * The MQTT side of ingest: a persistent session (clean: false, fixed client id) with a
 * QoS 1 subscription to everything under ringwatch/v1.
 *
 * Acking: mqtt.js sends PUBACK for a QoS 1 message only when `handleMessage`'s callback
 * runs, and it handles the next PUBLISH only after that. We call back only once the
 * point is appended to the spool (or the message is judged bad and dropped), so a
 * message the broker considers delivered is always on disk; anything not yet acked
 * when we crash is redelivered by the broker from our session. When the writer is
 * backpressured the callback waits, which stops reading the socket: the broker
 * queues for us instead.
 */
export class MqttIngest {
  private client: MqttClient | undefined;
  private closing = false;
  private corked = false;
  private readonly intake: Intake;

  constructor(
    private readonly opts: IngestOptions,
    spool: Spool,
    private readonly writer: BatchWriter,
    metrics: IngestMetrics,
  ) {
    this.intake = new Intake(opts.site, spool, writer, metrics, opts.logger, opts.onShedding);
  }

  async start(): Promise<void> {
    const o = this.opts;
    const client = mqtt.connect(o.url, {
      clientId: o.clientId,
      username: o.username,
      password: o.password,
      clean: false,
      protocolVersion: 4,
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      reconnectPeriod: o.reconnectPeriodMs ?? 1000,
      // Subscriptions live in the broker's session; resubscribing on reconnect is harmless.
      resubscribe: true,
      manualConnect: true,
    });
    this.client = client;
    client.handleMessage = (packet: IPublishPacket, callback: (err?: Error) => void) => this.onMessage(packet, callback);
    client.on('error', (err) => o.logger.warn({ err: err.message }, 'mqtt error'));
    client.on('offline', () => !this.closing && o.logger.warn('mqtt offline, reconnecting'));
    client.on('connect', (ack) => o.logger.info({ sessionPresent: ack.sessionPresent }, 'mqtt connected'));
    await new Promise<void>((resolve, reject) => {
      const onErr = (err: Error) => {
        client.off('connect', onConn);
        reject(err);
      };
      const onConn = () => {
        client.off('error', onErr);
        resolve();
      };
      client.once('connect', onConn);
      client.once('error', onErr);
      client.connect();
    }).catch(async (err: unknown) => {
      await client.endAsync(true);
      throw err;
    });
    await client.subscribeAsync(o.topic ?? `${TOPIC_ROOT}/#`, { qos: 1 });
  }

  /**
   * mqtt.js writes each PUBACK separately (one syscall per message). Corking the socket
   * for the rest of this event-loop turn sends the PUBACKs of one TCP read together;
   * each is still sent only after its message is spooled.
   */
  private corkAcks(): void {
    const sock = this.client?.stream as { cork?: () => void; uncork?: () => void } | undefined;
    if (this.corked || !sock?.cork || !sock.uncork) return;
    this.corked = true;
    sock.cork();
    setImmediate(() => {
      this.corked = false;
      sock.uncork!();
    });
  }

  private onMessage(packet: IPublishPacket, callback: (err?: Error) => void): void {
    this.corkAcks();
    if (this.closing) return; // no ack: the broker redelivers to our next session
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    // Only a spooled message waits for room; dropped and shed ones are final.
    if (this.intake.take(packet.topic, payload) === 'spooled' && this.writer.backpressured) {
      void this.writer.waitForRoom().then(() => !this.closing && callback());
    } else callback();
  }

  /** The current shedding episode, if appends are failing. */
  get sheddingState(): SheddingState | undefined {
    return this.intake.sheddingState;
  }

  /** Publishes on our own session (health reports and events); dropped silently while offline. */
  publish(topic: string, payload: string, retain: boolean, qos: 0 | 1 = 0): void {
    if (this.client?.connected) this.client.publish(topic, payload, { qos, retain });
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Disconnects; the broker keeps our session and queues QoS 1 messages until we return. */
  async close(): Promise<void> {
    this.closing = true;
    await this.client?.endAsync(false);
  }


  /** Simulates a crash for tests: drop the socket without DISCONNECT or further acks. */
  async abort(): Promise<void> {
    this.closing = true;
    await this.client?.endAsync(true);
  }
}
