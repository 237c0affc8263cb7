import { parseDeviceTopic } from '../../protocol/index.ts';
import { ALARM_TOPIC, AUDIT_TOPIC, BROADCAST_TOPIC, LEDGER_TOPIC } from '../service-records.ts';
import { mapAck } from './ack.ts';
import { mapEvent } from './event.ts';
import { mapServiceRecord } from './service-record.ts';
import { mapStatus } from './status.ts';
import { mapTelemetry } from './telemetry.ts';
import type { MapResult } from './types.ts';

export type { DropReason, MapResult } from './types.ts';

/**
 * The one dispatcher from an MQTT message to a point: topic decides the handler,
 * the handler validates (checkPayload / checkServiceRecord) and maps. Never throws.
 *
 * `checked`, when given for a device topic, is the payload as checkPayload already
 * accepted it for this topic's kind and channel (the broker's publish guard, in the same
 * process): it is mapped as it is, without parsing and validating the bytes a second
 * time. Only a value from checkPayload may be passed; anything else is not re-checked.
 */
export function mapMessage(site: string, topic: string, payload: Uint8Array, checked?: unknown): MapResult {
  if (topic === LEDGER_TOPIC) return mapServiceRecord('ledger', site, payload);
  if (topic === AUDIT_TOPIC) return mapServiceRecord('audit', site, payload);
  if (topic === ALARM_TOPIC) return mapServiceRecord('alarm', site, payload);
  if (topic === BROADCAST_TOPIC) return mapServiceRecord('broadcast', site, payload);
  const t = parseDeviceTopic(topic);
  if (!t) {
    if (topic.startsWith('ringwatch/v1/svc/')) return { ok: false, reason: 'ignored', message: `service topic ${topic} is not stored` };
    return { ok: false, reason: 'topic', message: `not a ringwatch v1 device topic: ${topic}` };
  }
  const src = { site, kind: t.kind, deviceId: t.deviceId };
  switch (t.channel) {
    case 'telemetry':
      return mapTelemetry(src, payload, checked);
    case 'event':
      return mapEvent(src, payload, checked);
    case 'status':
      return mapStatus(src, payload, checked);
    case 'ack':
      return mapAck(src, payload, checked);
    case 'cmd':
      // Commands are stored once, as ledger records from the control service.
      return { ok: false, reason: 'ignored', message: 'commands are recorded through the ledger' };
  }
}
