import { checkPayload, parseDeviceTopic, SERVICE_TOPIC_ROOT, TOPIC_ROOT, type Channel, type DeviceKind, type DeviceTopic, type PayloadRejectReason } from '../../protocol/index.ts';
import type { Bus } from './bus.ts';

/** One validated device message, as handlers receive it. */
export interface InboundMessage<T = unknown> extends DeviceTopic {
  topic: string;
  value: T;
}

export type InboundHandler<T = unknown> = (m: InboundMessage<T>) => void;

/** A service record's check from protocol/ (such as checkBrokerStatus): never throws, names the field. */
export type ServiceRecordCheck<T> = (payload: Buffer) => { ok: true; value: T } | { ok: false; reason: PayloadRejectReason; message: string };

/** Why an inbound message went to no handler. */
export type InboundDropReason = PayloadRejectReason | 'bad_topic' | 'handler_error';

export interface InboundCounters {
  received: number;
  /** Messages handed to at least one handler (once each, however many handlers). */
  dispatched: number;
  /** Control's own messages, already delivered in-process, skipped unparsed. */
  ownSkipped: number;
  /** Service records (svc/…) that a device filter also matched (`+/+/status` matches `svc/broker/status`): left to their own route. */
  serviceSkipped: number;
  dropped: Record<InboundDropReason, number>;
}

export interface InboundRouterOptions {
  /**
   * Messages control published itself and already handed to its consumers in-process
   * (its MAVLink drones' telemetry): the broker's copy is skipped before parsing.
   */
  inProcess?: (t: DeviceTopic) => boolean;
  /** Where dropped messages are logged, once per (device, channel, reason); then counted only. */
  log?: (line: string) => void;
}

/**
 * The control service's one way in for device MQTT (the counterpart of
 * control/mavlink/router.ts): each topic filter is subscribed once, each message's topic
 * parsed and payload validated once against protocol/, then dispatched on (kind, channel)
 * to every handler registered for it. A bad payload is counted by reason and logged with
 * the field it got wrong; a throwing handler is counted; neither reaches the bus.
 */
export class InboundRouter {
  readonly counters: InboundCounters = {
    received: 0,
    dispatched: 0,
    ownSkipped: 0,
    serviceSkipped: 0,
    dropped: { oversize: 0, not_json: 0, schema: 0, bad_topic: 0, handler_error: 0 },
  };
  /** Handlers per topic filter; a message is dispatched once per filter that matched it. */
  private readonly routes = new Map<string, { kind: DeviceKind | '+'; channel: Channel; handlers: InboundHandler[] }>();
  private readonly subscribed = new Map<string, Promise<void>>();
  private readonly logged = new Set<string>();
  private readonly services = new Map<string, { check: ServiceRecordCheck<unknown>; handlers: ((value: unknown) => void)[] }>();

  constructor(
    private readonly bus: Bus,
    private readonly o: InboundRouterOptions = {},
  ) {}

  /**
   * Registers a handler for one (kind, channel), `'+'` for every kind, and subscribes its
   * topic filter if this is the first handler for it. Resolves once the broker granted it.
   */
  on<T = unknown>(kind: DeviceKind | '+', channel: Channel, handler: InboundHandler<T>): Promise<void> {
    const filter = `${TOPIC_ROOT}/${kind}/+/${channel}`;
    let route = this.routes.get(filter);
    if (!route) {
      route = { kind, channel, handlers: [] };
      this.routes.set(filter, route);
    }
    route.handlers.push(handler as InboundHandler);
    let sub = this.subscribed.get(filter);
    if (!sub) {
      const r = route;
      sub = this.bus.subscribe(filter, (topic, payload) => this.handle(r.handlers, topic, payload));
      this.subscribed.set(filter, sub);
    }
    return sub;
  }

  /**
   * Registers a handler for one service topic (exact, no wildcard), whose records `check`
   * validates once per message, however many handlers; subscribes it if this is the first.
   * Resolves, once the broker granted it, to a function that removes this handler.
   */
  async onService<T>(topic: string, check: ServiceRecordCheck<T>, handler: (value: T) => void): Promise<() => void> {
    if (!topic.startsWith(SERVICE_TOPIC_ROOT + '/') || /[+#]/.test(topic)) throw new Error(`not a service topic: ${topic}`);
    let route = this.services.get(topic);
    if (!route) {
      const r = { check: check as ServiceRecordCheck<unknown>, handlers: [] as ((value: unknown) => void)[] };
      this.services.set(topic, r);
      route = r;
      this.subscribed.set(topic, this.bus.subscribe(topic, (_t, payload) => this.handleService(topic, r, payload)));
    }
    const r = route;
    r.handlers.push(handler as (value: unknown) => void);
    await this.subscribed.get(topic);
    return () => {
      const i = r.handlers.indexOf(handler as (value: unknown) => void);
      if (i >= 0) r.handlers.splice(i, 1);
    };
  }

  /** Whether the link to the broker is up now (undefined: a bus that does not say, e.g. a test fake). */
  get connected(): boolean | undefined {
    return this.bus.connected;
  }

  /** Runs `fn` when the link under this router goes down or comes back (when the bus can tell). */
  onConnectionChange(fn: (connected: boolean) => void): void {
    this.bus.onConnectionChange?.(fn);
  }

  /** Topic filters subscribed at the broker, one per (kind, channel) registered. */
  get filters(): string[] {
    return [...this.subscribed.keys()];
  }

  private handle(handlers: InboundHandler[], topic: string, payload: Buffer): void {
    this.counters.received++;
    const t = parseDeviceTopic(topic);
    if (!t && topic.startsWith(SERVICE_TOPIC_ROOT + '/')) {
      this.counters.serviceSkipped++;
      return;
    }
    if (!t) return this.drop('bad_topic', topic, `not a device topic: ${topic}`);
    if (this.o.inProcess?.(t)) {
      this.counters.ownSkipped++;
      return;
    }
    const c = checkPayload(t.kind, t.channel, payload);
    if (!c.ok) return this.drop(c.reason, topic, c.message, t);
    const m: InboundMessage = { ...t, topic, value: c.value };
    this.counters.dispatched++;
    for (const h of handlers) {
      try {
        h(m);
      } catch (err) {
        this.drop('handler_error', topic, (err as Error).message, t);
      }
    }
  }

  private handleService(topic: string, route: { check: ServiceRecordCheck<unknown>; handlers: ((value: unknown) => void)[] }, payload: Buffer): void {
    this.counters.received++;
    const c = route.check(payload);
    if (!c.ok) return this.drop(c.reason, topic, c.message);
    this.counters.dispatched++;
    for (const h of route.handlers) {
      try {
        h(c.value);
      } catch (err) {
        this.drop('handler_error', topic, (err as Error).message);
      }
    }
  }

  private drop(reason: InboundDropReason, topic: string, message: string, t?: DeviceTopic): void {
    this.counters.dropped[reason]++;
    const key = `${t?.deviceId ?? topic}/${t?.channel ?? ''}/${reason}`;
    // A misbehaving device repeats itself at its publish rate: one line each, then count.
    if (!this.o.log || this.logged.has(key) || this.logged.size >= 10_000) return;
    this.logged.add(key);
    this.o.log(`inbound MQTT dropped (${reason}) on ${topic}: ${message}`);
  }
}
