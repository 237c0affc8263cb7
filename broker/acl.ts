import { DEVICE_PUBLISH_CHANNELS, SERVICE_TOPIC_ROOT, TOPIC_ROOT, type Channel } from '../protocol/index.ts';
import type { DeviceEntry } from '../site/index.ts';
import type { Identity } from './identity.ts';
import { parseTopic } from './topic-cache.ts';

export type AclAction = 'publish' | 'subscribe';

export type AclDenyReason =
  | 'sys_topic' // $SYS/... or any other $-topic
  | 'wildcard' // + or # in a publish topic
  | 'other_device' // a device touching another device's topic
  | 'channel' // right device, wrong channel for this identity/action
  | 'unknown_device' // a service addressing a device that is not in the site
  | 'not_permitted'; // anything else outside the identity's rights

export type AclDecision = { allow: true } | { allow: false; reason: AclDenyReason; message: string };

/**
 * The access-control function: pure, no I/O, one call per PUBLISH or SUBSCRIBE.
 * The aedes hooks only adapt it. Deny-leaning: everything not granted below is refused.
 */
export type Acl = (identity: Identity, action: AclAction, topic: string) => AclDecision;

/** A topic-filter pattern level: a literal, a set of literals, `+` (any one level) or `#` (the rest). */
type Level = string | readonly string[];
type Pattern = readonly Level[];

const ROOT = TOPIC_ROOT.split('/'); // ['ringwatch', 'v1']
const SVC_ROOT = SERVICE_TOPIC_ROOT.split('/');
const GATEWAY_DRONE_CHANNELS: readonly Channel[] = ['telemetry', 'status', 'event'];
const WEB_DEVICE_CHANNELS: readonly Channel[] = ['telemetry', 'status', 'event', 'ack'];

/** What each service may subscribe to. Devices get only their own `cmd` (see below). */
const SERVICE_SUBSCRIBE: Record<'control' | 'telemetry' | 'web', readonly Pattern[]> = {
  // Gateway and command issuer: sees every device topic (acks included) and the service topics.
  control: [[...ROOT, '#']],
  // Recorder: stores everything under ringwatch/v1, service topics included.
  telemetry: [[...ROOT, '#']],
  // Operator UI: what operators watch. Not `cmd`: commands are seen through the control
  // service's ledger records on ringwatch/v1/svc/ledger, with who issued them.
  web: [[...ROOT, '+', '+', WEB_DEVICE_CHANNELS], [...SVC_ROOT, '#']],
};

/**
 * The broker's own status (protocol/broker-status.ts) names every device it refused and
 * why: control reads it for the engineer, nobody else. A filter aimed at it is refused
 * here; one that only happens to reach it (`ringwatch/v1/#`) is granted, and the broker
 * skips these topics when it delivers to that subscriber (mayReadBrokerTopic).
 */
const BROKER_OWN: Pattern = [...SVC_ROOT, 'broker', '#'];

/** Whether `identity` may receive what the broker publishes under BROKER_TOPIC_PREFIX. */
export function mayReadBrokerTopic(identity: Identity | undefined): boolean {
  return identity?.type === 'service' && identity.id === 'control';
}

const deny = (reason: AclDenyReason, message: string): AclDecision => ({ allow: false, reason, message });
const ALLOW: AclDecision = { allow: true };

/** True when every topic the filter can match is also matched by the pattern. */
export function patternCovers(pattern: Pattern, filter: readonly string[]): boolean {
  for (let i = 0; i < filter.length; i++) {
    const p = pattern[i];
    if (p === undefined) return false;
    if (p === '#') return true;
    const f = filter[i]!;
    if (f === '#') return false; // the filter reaches further than this pattern level allows
    if (p === '+') continue;
    if (f === '+') return false; // a literal (or a set) never covers "any level"
    if (typeof p === 'string' ? p !== f : !p.includes(f)) return false;
  }
  // `a/#` also matches `a` itself [MQTT-4.7.1-2].
  return filter.length === pattern.length || (pattern.length === filter.length + 1 && pattern[filter.length] === '#');
}

/** Builds the ACL for one site: services may only address devices that the site lists. */
export function createAcl(devices: ReadonlyMap<string, DeviceEntry>): Acl {
  function devicePublish(identity: Extract<Identity, { type: 'device' }>, topic: string): AclDecision {
    const t = parseTopic(topic);
    if (!t) return deny('not_permitted', `a device publishes only on ${TOPIC_ROOT}/${identity.deviceKind}/${identity.id}/{telemetry|event|status|ack}`);
    if (t.deviceId !== identity.id || t.kind !== identity.deviceKind) return deny('other_device', `"${identity.id}" may not publish for "${t.kind}/${t.deviceId}"`);
    if (!DEVICE_PUBLISH_CHANNELS.includes(t.channel)) return deny('channel', `a device may not publish on "${t.channel}"`);
    return ALLOW;
  }

  function servicePublish(identity: Extract<Identity, { type: 'service' }>, topic: string): AclDecision {
    const levels = topic.split('/');
    if (identity.id === 'web') return deny('not_permitted', 'the web service publishes nothing; operator actions go through the control API');
    if (identity.id === 'telemetry') {
      return patternCovers([...SVC_ROOT, 'telemetry', '#'], levels) && levels.length > SVC_ROOT.length + 1
        ? ALLOW
        : deny('not_permitted', `the telemetry service publishes only under ${SERVICE_TOPIC_ROOT}/telemetry/`);
    }
    // control
    if (levels.length > SVC_ROOT.length && patternCovers([...SVC_ROOT, '#'], levels)) {
      const area = levels[SVC_ROOT.length];
      if (area === 'telemetry' || area === 'web') return deny('not_permitted', `${SERVICE_TOPIC_ROOT}/${area}/ belongs to the ${area} service`);
      // The broker publishes its status itself; a client's copy would be a forgery.
      if (area === 'broker') return deny('not_permitted', `${SERVICE_TOPIC_ROOT}/broker/ is the broker's own`);
      return ALLOW;
    }
    const t = parseTopic(topic);
    if (!t) return deny('not_permitted', `the control service may not publish on "${topic}"`);
    const device = devices.get(t.deviceId);
    if (!device || device.kind !== t.kind) return deny('unknown_device', `no ${t.kind} "${t.deviceId}" in this site`);
    if (t.channel === 'cmd') return ALLOW;
    if (t.kind === 'drone' && GATEWAY_DRONE_CHANNELS.includes(t.channel)) return ALLOW;
    return deny('channel', `the control service may not publish "${t.channel}" for ${t.kind} "${t.deviceId}"`);
  }

  function subscribe(identity: Identity, filter: string): AclDecision {
    const levels = filter.split('/');
    if (identity.type === 'device') {
      const own: Pattern = [...ROOT, identity.deviceKind, identity.id, 'cmd'];
      if (patternCovers(own, levels)) return ALLOW;
      const t = parseTopic(filter);
      if (t && t.deviceId !== identity.id) return deny('other_device', `"${identity.id}" may not subscribe to "${t.kind}/${t.deviceId}"`);
      if (t) return deny('channel', `a device subscribes only to its own cmd topic ${own.join('/')}`);
      return deny('not_permitted', `a device subscribes only to its own cmd topic ${own.join('/')}`);
    }
    if (!mayReadBrokerTopic(identity) && patternCovers(BROKER_OWN, levels)) return deny('not_permitted', `${SERVICE_TOPIC_ROOT}/broker/ is for the control service only`);
    if (SERVICE_SUBSCRIBE[identity.id].some((p) => patternCovers(p, levels))) return ALLOW;
    return deny('not_permitted', `the ${identity.id} service may not subscribe to "${filter}"`);
  }

  return function acl(identity, action, topic) {
    // $SYS and every other $-prefixed namespace is the broker's own [MQTT-4.7.2-1].
    if (topic.startsWith('$')) return deny('sys_topic', `"${topic}" is reserved for the broker`);
    if (action === 'subscribe') return subscribe(identity, topic);
    if (topic.includes('+') || topic.includes('#')) return deny('wildcard', 'wildcards are not allowed in a publish topic');
    return identity.type === 'device' ? devicePublish(identity, topic) : servicePublish(identity, topic);
  };
}
