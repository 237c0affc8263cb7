import type { Client, PublishPacket } from 'aedes';
import { SERVICE_TOPIC_ROOT, checkPayload, type Channel } from '../protocol/index.ts';
import { parseTopic } from './topic-cache.ts';
import type { Acl, AclDenyReason } from './acl.ts';
import { getClientState } from './client-state.ts';
import type { RejectReason } from './metrics.ts';
import type { TokenBucket } from './token-bucket.ts';

/** Service topics carry ledger records and reports; bounded, but roomier than device payloads. */
export const MAX_SERVICE_PAYLOAD_BYTES = 256 * 1024;

/** Channels that must get through under load: favoured by the rate limiter and by shedding. */
export const PRIORITY_CHANNELS: ReadonlySet<Channel> = new Set(['cmd', 'ack', 'status', 'event']);

/** Marks a publish that the guard refused; the broker's publish() then completes it unrouted. */
export const DROPPED = Symbol('ringwatch.dropped');
export type GuardedPacket = PublishPacket & { [DROPPED]?: true };

/**
 * An accepted publish. `value` is the payload as parsed and validated against the schema
 * of the topic's (kind, channel), for device topics; service topics are not parsed here.
 */
export type Verdict =
  | { ok: true; value?: unknown; retainCleared?: true }
  | { ok: false; reason: RejectReason; message: string; exhausted?: TokenBucket };

/** Shared by accepted service-topic publishes, which carry no parsed value. */
const OK: Verdict = { ok: true };

/** What judging a publish needs besides the ACL: the broker's clock and how far ahead a device may be. */
export interface PublishRules {
  nowMs: () => number;
  maxClockAheadMs: number;
}

const ACL_REASON: Record<AclDenyReason, RejectReason> = {
  sys_topic: 'sys_topic',
  wildcard: 'wildcard',
  other_device: 'acl',
  channel: 'acl',
  unknown_device: 'acl',
  not_permitted: 'acl',
};

/**
 * Decides one PUBLISH: ACL, rate, payload, device clock. Validation parses the JSON
 * exactly once, here; the parsed value travels on in the verdict, so an in-process
 * consumer (the accepted-publish tap) need not parse it again. Also normalises the retain
 * flag: `status` is always retained (so a late subscriber learns who is online) and
 * nothing else ever is. A retained `cmd` would be executed again by every reconnecting
 * device, and a retained `event`/`telemetry`/`ack` is replayed to every service that
 * resubscribes: a replayed sensor event dispatched a drone again. Such a publish is
 * routed live but stored unretained (and counted), rather than refused, because its
 * content is still true and wanted once: a sensor that sets retain by mistake must not
 * lose its alarms.
 */
export function judgePublish(acl: Acl, client: Client | null, packet: PublishPacket, rules: PublishRules): Verdict {
  const state = getClientState(client);
  if (client && !state) return { ok: false, reason: 'acl', message: 'client not authenticated' };
  if (state) {
    const decision = acl(state.identity, 'publish', packet.topic);
    if (!decision.allow) return { ok: false, reason: ACL_REASON[decision.reason], message: decision.message };
  }
  const device = parseTopic(packet.topic);
  if (state) {
    const bucket = device && PRIORITY_CHANNELS.has(device.channel) ? state.priority : state.routine;
    if (!bucket.take()) return { ok: false, reason: 'rate', message: 'over the rate limit', exhausted: bucket };
  }
  if (device) {
    const check = checkPayload(device.kind, device.channel, packet.payload);
    if (!check.ok) return { ok: false, reason: check.reason, message: check.message };
    if (state?.identity.type === 'device') {
      // A device clock far ahead would pin its "latest" state in the store forever
      // (nothing newer ever sorts after it). Services stamp with the station's clock.
      const tsMs = (check.value as { tsMs?: unknown }).tsMs;
      if (typeof tsMs === 'number' && tsMs - rules.nowMs() > rules.maxClockAheadMs) {
        const aheadS = Math.round((tsMs - rules.nowMs()) / 1000);
        return { ok: false, reason: 'future_ts', message: `tsMs is ${aheadS} s ahead of the broker's clock (limit ${rules.maxClockAheadMs / 1000} s): check the device's clock` };
      }
    }
    if (device.channel === 'status') {
      packet.retain = true;
      return { ok: true, value: check.value };
    }
    if (packet.retain) {
      packet.retain = false;
      return { ok: true, value: check.value, retainCleared: true };
    }
    return { ok: true, value: check.value };
  }
  if (packet.topic.startsWith(SERVICE_TOPIC_ROOT + '/')) {
    const size = packet.payload.length;
    if (size > MAX_SERVICE_PAYLOAD_BYTES) return { ok: false, reason: 'oversize', message: `payload is ${size} bytes, limit ${MAX_SERVICE_PAYLOAD_BYTES}` };
    return OK;
  }
  // Only reachable for a will published with no live client (client === null).
  return { ok: false, reason: 'topic', message: `"${packet.topic}" is not a ringwatch topic` };
}

/** True when a delivery may be shed for a subscriber that is not keeping up. */
export function isSheddable(packet: PublishPacket): boolean {
  if (packet.qos !== 0) return false;
  const device = parseTopic(packet.topic);
  return !device || !PRIORITY_CHANNELS.has(device.channel);
}
