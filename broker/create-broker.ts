import type { IncomingMessage } from 'node:http';
import { Aedes, type AedesOptions, type AuthenticateError, type Client, type Connection, type PublishPacket } from 'aedes';
import { pino, type Logger } from 'pino';
import type { Site } from '../site/index.ts';
import { createAcl, mayReadBrokerTopic, type Acl } from './acl.ts';
import { ClientState, getClientState, setClientState } from './client-state.ts';
import { authenticateClient } from './identity.ts';
import { DEFAULT_LIMITS, mergeLimits, type BrokerLimits } from './limits.ts';
import { RateLimitedLog } from './log-limiter.ts';
import { isStalled } from './socket-writes.ts';
import { ConnectionGate } from './connection-gate.ts';
import { guardPacketSizes } from './packet-size-guard.ts';
import { enforcePacketRules } from './packet-rules.ts';
import { MetricsRegistry, type BrokerMetrics, type RejectReason } from './metrics.ts';
import { createSessionStore } from './session-store.ts';
import { DROPPED, isSheddable, judgePublish, type GuardedPacket, type PublishRules } from './publish-guard.ts';
import { BROKER_TOPIC_PREFIX } from '../protocol/index.ts';

export interface CreateBrokerOptions {
  site: Site;
  logger?: Logger;
  limits?: Partial<BrokerLimits>;
  /** Injected clock for the rate limiter and log limiter. */
  nowMs?: () => number;
  /** mqemitter instance (mqemitter-redis when clustering); in-memory by default. */
  mq?: AedesOptions['mq'];
  /** aedes persistence (aedes-persistence-redis when clustering); in-memory with indexed session queues by default (session-store.ts). */
  persistence?: AedesOptions['persistence'];
  /** Stable broker id (a cluster needs distinct ids). */
  id?: string;
}

/** The broker core: aedes plus ringwatch's hooks. It opens no sockets; feed it streams with `handle()`. */
export interface RingwatchBroker {
  aedes: Aedes;
  acl: Acl;
  limits: BrokerLimits;
  /** Feeds one client stream to the broker, after the connection caps and packet-size guard. */
  handle(stream: Connection, req?: IncomingMessage): Client | undefined;
  /** Streams currently admitted (all transports). */
  openConnections(): number;
  /**
   * Hands every publish the broker accepts (clients' and wills, after auth, ACL and
   * validation) to `tap`, synchronously and before a QoS 1 PUBACK is written: aedes
   * writes the PUBACK as soon as `authorizePublish` completes, so whatever the tap has
   * made durable when it returns is durable before the publisher hears "acked". The
   * in-process telemetry ingest of `ringwatch up` rides here. One tap at a time; a tap
   * that throws is logged (rate-limited) and the message is routed regardless.
   * Returns the function that detaches it.
   */
  tapAccepted(tap: AcceptedTap): () => void;
  metrics(): BrokerMetrics;
  /** Refusals per site device by reason, most first, at most `limit` devices (the broker's status). */
  deviceRejects(limit: number): { devices: Record<string, Partial<Record<RejectReason, number>>>; omitted: number };
  close(): Promise<void>;
}

/**
 * Sees an accepted publish: topic and payload as received (do not keep or mutate the
 * buffer beyond the call), and for a device topic the payload already parsed and
 * validated against its (kind, channel) schema, so the tap need not parse it again
 * (undefined for service topics, which the broker does not parse). The value is the
 * tap's to keep; nothing else holds it.
 */
export type AcceptedTap = (topic: string, payload: Buffer, checked: unknown) => void;

type PublishFn = (packet: PublishPacket, client: Client | null | ((err?: Error) => void), done?: (err?: Error) => void) => void;

/** The site device behind a connection, for per-device refusal counts (services and strangers: none). */
function deviceOf(client: Client | null | undefined): string | undefined {
  const identity = getClientState(client)?.identity;
  return identity?.type === 'device' ? identity.id : undefined;
}

function authError(message: string, returnCode: 2 | 5 = 5): AuthenticateError {
  // CONNACK 5 "not authorized" for every credential refusal: do not reveal which usernames exist.
  return Object.assign(new Error(message), { returnCode: returnCode as AuthenticateError['returnCode'] });
}

export async function createBroker(opts: CreateBrokerOptions): Promise<RingwatchBroker> {
  const { site } = opts;
  const log = opts.logger ?? pino({ name: 'broker' });
  const nowMs = opts.nowMs ?? Date.now;
  const limits = mergeLimits(DEFAULT_LIMITS, opts.limits);
  const acl = createAcl(site.devices);
  const metrics = new MetricsRegistry(site.devices.keys());
  const warn = new RateLimitedLog(log, 10_000, nowMs);
  const rules: PublishRules = { nowMs, maxClockAheadMs: limits.maxClockAheadMs };
  // Devices warned about their clock: once per device for the broker's life (bounded by the site).
  const clockWarned = new Set<string>();
  let tap: AcceptedTap | undefined;
  const runTap = (packet: PublishPacket, checked: unknown) => {
    try {
      tap!(packet.topic, typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload, checked);
    } catch (err) {
      warn.warn('tap', { topic: packet.topic, err: (err as Error).message }, 'accepted-publish tap failed; message routed regardless');
    }
  };

  const aedes = await Aedes.createBroker({
    ...(opts.id ? { id: opts.id } : {}),
    ...(opts.mq ? { mq: opts.mq } : {}),
    persistence: opts.persistence ?? createSessionStore(),
    // Client ids are bound to device ids (up to 63 chars) and service instance names.
    maxClientsIdLength: 128,
    maxTopicLevels: 16,
    // mqemitter queues emits beyond `concurrency` and drains that queue recursively; with
    // no subscriber to deliver to, each step completes synchronously and a deep queue
    // overflows the stack ("Maximum call stack size exceeded", reproduced by
    // bench:broker under overload). 0 disables that queue: the number of publishes in
    // flight is already bounded where it belongs, per connection, because aedes reads a
    // socket's next chunk only after the previous chunk's packets complete, and the
    // rate limiter holds those completions back for clients over their rate.
    concurrency: 0,
    // A subscriber that does not drain its socket for 10 s is cut off rather than
    // holding publishers back for aedes' default minute.
    drainTimeout: 10_000,
    connectTimeout: limits.connectTimeoutMs,

    authenticate(client, username, password, done) {
      const result = authenticateClient(site, username, password, client.id);
      if (!result.ok) {
        metrics.reject('auth', username);
        warn.warn(`auth:${username ?? ''}`, { clientId: client.id, username, reason: result.reason }, `connection refused: ${result.message}`);
        // A wrong client id is "identifier rejected" [MQTT-3.1.3-9]; it is only reported
        // once the secret has been verified, so it reveals nothing to a stranger.
        return done(authError(result.message, result.reason === 'bad_client_id' ? 2 : 5), null);
      }
      const state = new ClientState(result.identity, limits, nowMs, limits.maxPauseMs);
      setClientState(client, state);
      // The will is a publish made later on the client's behalf: check it now, while the
      // device can still be told (CONNACK refused), rather than drop it silently at the worst moment.
      const will = (client as Client & { _will?: PublishPacket | null })._will;
      if (will) {
        const verdict = judgePublish(acl, client, will, rules);
        if (!verdict.ok) {
          metrics.reject('will', deviceOf(client));
          warn.warn(client.id, { clientId: client.id, topic: will.topic, reason: verdict.reason }, `connection refused: will ${verdict.message}`);
          return done(authError(`will refused: ${verdict.message}`), null);
        }
      }
      log.debug({ clientId: client.id, identity: result.identity }, 'client authenticated');
      done(null, true);
    },

    authorizePublish(client, packet, callback) {
      const verdict = judgePublish(acl, client, packet, rules);
      if (verdict.ok) {
        metrics.messagesIn++;
        if (verdict.retainCleared) metrics.retainCleared++;
        // Before callback: aedes writes a QoS 1 PUBACK the moment this completes.
        if (tap) runTap(packet, verdict.value);
        return callback(null);
      }
      metrics.reject(verdict.reason, deviceOf(client));
      (packet as GuardedPacket)[DROPPED] = true;
      const key = client?.id ?? '<will>';
      if (verdict.reason === 'future_ts') {
        if (!clockWarned.has(key)) {
          clockWarned.add(key);
          log.warn({ clientId: client?.id, topic: packet.topic, reason: verdict.reason }, `publish dropped: ${verdict.message} (logged once per device)`);
        }
      } else warn.warn(key, { clientId: client?.id, topic: packet.topic, reason: verdict.reason }, `publish dropped: ${verdict.message}`);
      const state = getClientState(client);
      // Over the rate: complete the packet only when the bucket refills, which stops aedes
      // reading this socket meanwhile (backpressure), see ClientState.
      if (verdict.exhausted && state) return state.holdUntilRefill(verdict.exhausted, () => callback(null));
      callback(null);
    },

    authorizeSubscribe(client, sub, callback) {
      const state = getClientState(client);
      const decision = state ? acl(state.identity, 'subscribe', sub.topic) : undefined;
      if (decision?.allow) return callback(null, sub);
      metrics.reject('subscribe', deviceOf(client));
      warn.warn(client.id, { clientId: client.id, topic: sub.topic }, `subscription refused: ${decision?.message ?? 'not authenticated'}`);
      // SUBACK 0x80 for this filter [MQTT-3.9.3]; the connection and other filters stand.
      callback(null, null);
    },

    authorizeForward(client, packet) {
      const conn = client.conn as { writableLength?: number };
      if (((conn.writableLength ?? 0) > limits.maxSubscriberBacklogBytes || isStalled(conn)) && isSheddable(packet)) {
        metrics.reject('slow_consumer', deviceOf(client));
        return null;
      }
      // The broker's own topics are control's alone, also where a wider filter reaches
      // them (telemetry's ringwatch/v1/#, web's svc/#): the ACL decides, per delivery.
      if (packet.topic.startsWith(BROKER_TOPIC_PREFIX) && !mayReadBrokerTopic(getClientState(client)?.identity)) return null;
      metrics.messagesOut++;
      return packet;
    },
  });

  // aedes routes every accepted PUBLISH (and every will) through broker.publish(). Refused
  // packets complete here without being routed: the connection stays up, and for QoS 1
  // the PUBACK has already gone out (MQTT 3.1.1 has no negative PUBACK).
  const internals = aedes as unknown as { publish: PublishFn };
  const routePublish: PublishFn = internals.publish.bind(aedes);
  internals.publish = (packet, client, done) => {
    if ((packet as GuardedPacket)[DROPPED]) return (typeof client === 'function' ? client : done)?.();
    routePublish(packet, client, done);
  };

  aedes.on('client', (client) => {
    const state = getClientState(client);
    if (state) metrics.clientConnected(state.label);
  });
  aedes.on('clientDisconnect', (client) => {
    const state = getClientState(client);
    if (state) {
      metrics.clientDisconnected(state.label);
      state.release();
    }
    warn.forget(client.id);
  });
  aedes.on('clientError', (client, err) => {
    // aedes closes the connection for protocol errors such as a wildcard in a PUBLISH
    // topic [MQTT-3.3.2-2]; count those under the same reasons as dropped messages.
    if (/is not allowed in PUBLISH/.test(err.message)) metrics.reject('wildcard', deviceOf(client));
    log.debug({ clientId: client.id, err: err.message }, 'client error');
  });
  aedes.on('connectionError', (_client, err) => log.debug({ err: err.message }, 'connection error'));

  const gate = new ConnectionGate(limits);
  let rulesWarned = false;
  const sizeLimits = { maxConnectBytes: limits.maxConnectBytes, maxPacketBytes: limits.maxPacketBytes };
  /**
   * Every transport's streams enter here: the connection caps and the packet-size guard
   * come before aedes sees a byte, so they hold for TCP, TLS, WebSocket and in-memory alike.
   */
  const handle = (stream: Connection, req?: IncomingMessage): Client | undefined => {
    const address = (stream as { remoteAddress?: string }).remoteAddress ?? req?.socket?.remoteAddress;
    const admission = gate.admit(address);
    if (!admission.ok) {
      metrics.reject('connection_cap');
      warn.warn(`cap:${admission.reason}`, { address, reason: admission.reason }, `connection refused: ${admission.message}`);
      stream.destroy();
      return undefined;
    }
    stream.once('close', admission.release);
    guardPacketSizes(stream, sizeLimits, (refusal) => {
      metrics.reject(refusal.reason === 'oversize_packet' ? 'oversize_packet' : 'protocol');
      const detail =
        refusal.reason === 'oversize_packet'
          ? `packet type ${refusal.packetType} declares ${refusal.declaredBytes} bytes, limit ${refusal.limitBytes}`
          : refusal.reason === 'protocol_level'
            ? `unsupported protocol level ${refusal.level} (CONNACK 0x01)`
            : 'malformed remaining length';
      // One log key per kind of refusal, not per address: the key map must stay bounded
      // whatever number of addresses an attacker comes from.
      warn.warn(`door:${refusal.reason}`, { address, reason: refusal.reason }, `connection closed: ${detail}`);
    });
    const client = aedes.handle(stream, req);
    const enforced = enforcePacketRules(client, (violation) => {
      metrics.reject('protocol', deviceOf(client));
      warn.warn(`door:${violation.statement}`, { address, clientId: client.id, statement: violation.statement }, `connection closed: [${violation.statement}] ${violation.message}`);
    });
    if (!enforced && !rulesWarned) {
      rulesWarned = true;
      log.error('this aedes version exposes no client parser: MQTT 3.1.1 door rules (broker/packet-rules.ts) are not enforced');
    }
    return client;
  };

  return {
    aedes,
    acl,
    limits,
    handle,
    openConnections: () => gate.open,
    tapAccepted(t) {
      if (tap) throw new Error('an accepted-publish tap is already attached');
      tap = t;
      return () => {
        if (tap === t) tap = undefined;
      };
    },
    metrics: () => metrics.snapshot(),
    deviceRejects: (limit) => metrics.byDevice.top(limit),
    close: () => new Promise<void>((resolve) => aedes.close(() => resolve())),
  };
}
