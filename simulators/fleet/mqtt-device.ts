import mqtt, { type MqttClient } from 'mqtt';
import { deviceTopic, type Channel, type DeviceKind, type StatusPayload } from '../../protocol/index.ts';

export interface DeviceConnectionOptions {
  mqttUrl: string;
  kind: DeviceKind;
  id: string;
  /** The device's plain MQTT secret (`secrets.devices[id]`). */
  secret: string;
  firmware: string;
  /** Called with the raw payload of every message on the device's own `cmd` topic. */
  onCommand(payload: Buffer): void;
  /** Called after each (re)connect, once `status` online is published. */
  onOnline?(): void;
  connectTimeoutMs?: number;
}

export interface DeviceConnectionCounters {
  published: number;
  /** Publishes skipped because the client was not connected (telemetry is not queued). */
  droppedOffline: number;
  connects: number;
  errors: number;
}

/**
 * One device's MQTT session, as a real device would hold it: the will is a retained
 * `status` offline, `status` online is retained on every connect, and the device
 * subscribes only to its own `cmd` (the broker's ACL allows nothing else).
 */
export class DeviceConnection {
  readonly counters: DeviceConnectionCounters = { published: 0, droppedOffline: 0, connects: 0, errors: 0 };
  private client: MqttClient | undefined;
  private readonly cmdTopic: string;
  private offline = false;
  lastError: string | undefined;

  constructor(private readonly opts: DeviceConnectionOptions) {
    this.cmdTopic = deviceTopic(opts.kind, opts.id, 'cmd');
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  /** Connects and resolves once the first CONNACK and SUBACK are in. */
  async connect(): Promise<void> {
    this.offline = false;
    const o = this.opts;
    const will: StatusPayload = { tsMs: Date.now(), state: 'offline', reason: 'connection_lost' };
    const client = mqtt.connect(o.mqttUrl, {
      // The broker binds a device's client id to its username (one session per device).
      clientId: o.id,
      username: o.id,
      password: o.secret,
      clean: true,
      keepalive: 30,
      reconnectPeriod: 1000,
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      will: { topic: deviceTopic(o.kind, o.id, 'status'), payload: Buffer.from(JSON.stringify(will)), qos: 1, retain: true },
    });
    this.client = client;
    client.on('message', (topic, payload) => {
      if (topic === this.cmdTopic) o.onCommand(payload);
    });
    client.on('error', (err) => {
      this.counters.errors++;
      this.lastError = err.message;
    });
    client.on('connect', () => {
      this.counters.connects++;
      client.subscribe(this.cmdTopic, { qos: 1 }, (err) => {
        if (err) {
          this.counters.errors++;
          this.lastError = err.message;
        }
      });
      this.publishStatus('online');
      o.onOnline?.();
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`${o.id}: no CONNACK from ${o.mqttUrl} within ${o.connectTimeoutMs ?? 10_000} ms (${this.lastError ?? 'no error reported'})`)), o.connectTimeoutMs ?? 10_000);
      const onConnect = () => {
        clearTimeout(timer);
        client.off('error', onError);
        resolve();
      };
      // A refused CONNECT (bad secret) is final for a simulator: report it, do not spin.
      const onError = (err: Error) => {
        if (/Not authorized|Bad username|Connection refused/i.test(err.message)) fail(err);
      };
      const fail = (err: Error) => {
        clearTimeout(timer);
        client.off('connect', onConnect);
        client.off('error', onError);
        client.end(true);
        reject(new Error(`${o.id}: cannot connect to ${o.mqttUrl}: ${err.message}`));
      };
      client.once('connect', onConnect);
      client.on('error', onError);
    });
  }

  /** Publishes a payload on one of the device's channels; returns false when offline. */
  publish(channel: Channel, payload: object, opts: { qos?: 0 | 1; retain?: boolean } = {}): boolean {
    const client = this.client;
    if (!client?.connected || this.offline) {
      this.counters.droppedOffline++;
      return false;
    }
    this.counters.published++;
    client.publish(deviceTopic(this.opts.kind, this.opts.id, channel), JSON.stringify(payload), {
      qos: opts.qos ?? 0,
      retain: opts.retain ?? false,
    });
    return true;
  }

  publishStatus(state: 'online' | 'offline', reason?: string): void {
    const p: StatusPayload = { tsMs: Date.now(), state, firmware: this.opts.firmware };
    if (reason) p.reason = reason;
    this.publish('status', p, { qos: 1, retain: true });
  }

  /**
   * Drops the TCP connection without DISCONNECT, as a power cut or a cut cable would,
   * so the broker publishes the will. `restore()` reconnects.
   */
  async dropUngracefully(): Promise<void> {
    this.offline = true;
    const c = this.client;
    this.client = undefined;
    if (c) await new Promise<void>((resolve) => c.end(true, {}, () => resolve()));
  }

  async restore(): Promise<void> {
    if (this.client) return;
    await this.connect();
  }

  /** Orderly shutdown: retained `status` offline, then DISCONNECT (no will). */
  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (!c) return;
    if (c.connected) {
      const p: StatusPayload = { tsMs: Date.now(), state: 'offline', reason: 'shutdown', firmware: this.opts.firmware };
      await new Promise<void>((resolve) =>
        c.publish(deviceTopic(this.opts.kind, this.opts.id, 'status'), JSON.stringify(p), { qos: 1, retain: true }, () => resolve()),
      );
    }
    await new Promise<void>((resolve) => c.end(false, {}, () => resolve()));
  }
}

const ID_RE = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * The `id` of a command that failed validation, when it is itself readable: then the
 * device can answer `rejected` by id; otherwise there is nobody to answer.
 */
export function readableId(buf: Buffer): string | undefined {
  try {
    const v = JSON.parse(buf.toString('utf8')) as { id?: unknown } | null;
    return typeof v?.id === 'string' && ID_RE.test(v.id) ? v.id : undefined;
  } catch {
    return undefined;
  }
}
