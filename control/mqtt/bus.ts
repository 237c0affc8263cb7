import mqtt, { type MqttClient } from 'mqtt';

/** What the gateway, ledger and device-command path need of MQTT; tests may fake it. */
export interface Bus {
  publish(topic: string, payload: string, opts: { qos: 0 | 1; retain?: boolean }): void;
  subscribe(filter: string, onMessage: (topic: string, payload: Buffer) => void): Promise<void>;
  /** False while the link to the broker is down (absent: a bus that is always up, e.g. a test fake). */
  readonly connected?: boolean;
  /** Runs `fn` each time the link to the broker comes back after a drop. */
  onReconnect?(fn: () => void): void;
  /** Runs `fn` when the link to the broker goes down (false) or comes back (true). */
  onConnectionChange?(fn: (connected: boolean) => void): void;
}

export interface MqttBusOptions {
  url: string;
  username: string;
  password: string;
  /** Client id suffix; the broker binds `control:<suffix>` to the control identity. */
  clientSuffix?: string;
}

export interface BusCounters {
  published: number;
  /** Publishes refused by a closed or disconnected client (QoS 0 telemetry is dropped). */
  publishErrors: number;
  /** QoS 0 messages dropped because the socket to the broker was backed up. */
  droppedBackpressure: number;
  received: number;
  /** Times the link to the broker came back after a drop. */
  reconnects: number;
  /** Retained messages published again after a reconnect (the broker may have lost them). */
  retainedRepublished: number;
}

/**
 * mqtt.js client as the control identity. Reconnects by itself; its will marks nothing
 * (each drone's offline status is ours to publish when its MAVLink link drops).
 *
 * It remembers the latest retained message it published on each topic and publishes
 * them all again on every reconnect: a broker that restarted (aedes keeps retained
 * messages in memory) has lost every drone's status, and nothing else would restore them
 * until each status changes. mqtt.js emits 'connect' only after its own store of unacked
 * QoS 1 publishes has been resent, so the latest value always lands last.
 */
export class MqttBus implements Bus {
  readonly counters: BusCounters = { published: 0, publishErrors: 0, droppedBackpressure: 0, received: 0, reconnects: 0, retainedRepublished: 0 };
  /** Latest retained payload per topic, with its QoS (an empty payload clears it at the broker and here). */
  private readonly retained = new Map<string, { payload: string; qos: 0 | 1 }>();
  private readonly reconnectHandlers: (() => void)[] = [];
  /** Above this many bytes waiting on the socket, QoS 0 telemetry is dropped, not queued. */
  maxBufferedBytes = 1 << 20;
  private readonly handlers: { filter: string; re: RegExp; fn: (topic: string, payload: Buffer) => void }[] = [];

  private constructor(readonly client: MqttClient) {
    // mqtt.js waits for 'drain' with one listener per packet written while the socket is
    // full; the retained statuses of 1,000 drones at start-up are such a burst, not a leak.
    client.stream?.setMaxListeners(0);
    // The first 'connect' came before this constructor (connectAsync resolved on it): every
    // one seen here is a reconnect.
    client.on('connect', () => {
      client.stream?.setMaxListeners(0);
      this.counters.reconnects++;
      this.republishRetained();
      for (const fn of this.reconnectHandlers) fn();
    });
    client.on('message', (topic, payload) => {
      this.counters.received++;
      for (const h of this.handlers) if (h.re.test(topic)) h.fn(topic, payload);
    });
  }

  static async connect(o: MqttBusOptions): Promise<MqttBus> {
    const client = await mqtt.connectAsync(o.url, {
      username: o.username,
      password: o.password,
      clientId: `${o.username}:${o.clientSuffix ?? Math.random().toString(36).slice(2, 10)}`,
      reconnectPeriod: 1000,
      connectTimeout: 5000,
      // Telemetry is QoS 0 and must not queue without bound while disconnected.
      queueQoSZero: false,
    });
    return new MqttBus(client);
  }

  get connected(): boolean {
    return this.client.connected;
  }

  onReconnect(fn: () => void): void {
    this.reconnectHandlers.push(fn);
  }

  onConnectionChange(fn: (connected: boolean) => void): void {
    // mqtt.js emits 'close' on every failed reconnect attempt too: listeners act on changes.
    this.client.on('connect', () => fn(true));
    this.client.on('close', () => fn(false));
  }

  publish(topic: string, payload: string, opts: { qos: 0 | 1; retain?: boolean }): void {
    if (opts.retain) {
      if (payload.length === 0) this.retained.delete(topic);
      else this.retained.set(topic, { payload, qos: opts.qos });
    }
    // Telemetry is superseded every tick: when the broker cannot keep up, dropping the
    // old sample beats queueing it (and a 'drain' listener per message inside mqtt.js).
    const buffered = (this.client.stream as { writableLength?: number } | undefined)?.writableLength ?? 0;
    if (opts.qos === 0 && (!this.client.connected || buffered > this.maxBufferedBytes)) {
      this.counters.droppedBackpressure++;
      return;
    }
    this.counters.published++;
    this.client.publish(topic, payload, { qos: opts.qos, retain: opts.retain ?? false }, (err) => {
      if (err) this.counters.publishErrors++;
    });
  }

  private republishRetained(): void {
    for (const [topic, m] of this.retained) {
      this.counters.retainedRepublished++;
      this.counters.published++;
      this.client.publish(topic, m.payload, { qos: m.qos, retain: true }, (err) => {
        if (err) this.counters.publishErrors++;
      });
    }
  }

  async subscribe(filter: string, fn: (topic: string, payload: Buffer) => void): Promise<void> {
    this.handlers.push({ filter, re: filterToRegExp(filter), fn });
    await this.client.subscribeAsync(filter, { qos: 1 });
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}

/** MQTT topic filter (`+`, `#`) → RegExp for dispatching to the right handler. */
export function filterToRegExp(filter: string): RegExp {
  const parts = filter.split('/').map((p) => (p === '+' ? '[^/]+' : p === '#' ? '.*' : p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${parts.join('/')}$`);
}
