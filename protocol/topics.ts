/**
 * Device protocol v1 topic layout: `ringwatch/v1/{kind}/{deviceId}/{channel}`.
 * See docs/protocol.md for the contract a device vendor implements.
 */

export const TOPIC_ROOT = 'ringwatch/v1';

export const DEVICE_KINDS = ['drone', 'speaker', 'sensor'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

export const CHANNELS = ['telemetry', 'event', 'status', 'cmd', 'ack'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Channels a device publishes on; `cmd` flows the other way. */
export const DEVICE_PUBLISH_CHANNELS: readonly Channel[] = ['telemetry', 'event', 'status', 'ack'];

/** Device ids are DNS-label-like so they are safe in topics, InfluxDB tags and URLs. */
export const DEVICE_ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';
const deviceIdRe = new RegExp(DEVICE_ID_PATTERN);

export interface DeviceTopic {
  kind: DeviceKind;
  deviceId: string;
  channel: Channel;
}

export function deviceTopic(kind: DeviceKind, deviceId: string, channel: Channel): string {
  return `${TOPIC_ROOT}/${kind}/${deviceId}/${channel}`;
}

export function isDeviceKind(s: string): s is DeviceKind {
  return (DEVICE_KINDS as readonly string[]).includes(s);
}

export function isChannel(s: string): s is Channel {
  return (CHANNELS as readonly string[]).includes(s);
}

export function isDeviceId(s: string): boolean {
  return deviceIdRe.test(s);
}

/**
 * Parses a concrete (wildcard-free) topic. Returns `undefined` for anything that
 * is not exactly a v1 device topic, so callers decide whether that is an error.
 */
export function parseDeviceTopic(topic: string): DeviceTopic | undefined {
  if (!topic.startsWith(TOPIC_ROOT + '/')) return undefined;
  const parts = topic.slice(TOPIC_ROOT.length + 1).split('/');
  if (parts.length !== 3) return undefined;
  const [kind, deviceId, channel] = parts as [string, string, string];
  if (!isDeviceKind(kind) || !isChannel(channel) || !deviceIdRe.test(deviceId)) return undefined;
  return { kind, deviceId, channel };
}

/** Service topics (ledger, alarms, broadcast reports) live beside the device tree. */
export const SERVICE_TOPIC_ROOT = 'ringwatch/v1/svc';

export function serviceTopic(...parts: string[]): string {
  return `${SERVICE_TOPIC_ROOT}/${parts.join('/')}`;
}
