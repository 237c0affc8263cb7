import type { TSchema } from '@sinclair/typebox';
import type { Channel, DeviceKind } from './topics.ts';
import { AckPayload } from './schemas/ack.ts';
import { DroneCommand, DroneEvent, DroneTelemetry } from './schemas/drone.ts';
import { SensorCommand, SensorEvent, SensorTelemetry } from './schemas/sensor.ts';
import { SpeakerCommand, SpeakerEvent, SpeakerTelemetry } from './schemas/speaker.ts';
import { StatusPayload } from './schemas/status.ts';

/** The one table of which schema governs which (kind, channel). */
export const PAYLOAD_SCHEMAS: Record<DeviceKind, Record<Channel, TSchema>> = {
  drone: { telemetry: DroneTelemetry, event: DroneEvent, status: StatusPayload, cmd: DroneCommand, ack: AckPayload },
  speaker: { telemetry: SpeakerTelemetry, event: SpeakerEvent, status: StatusPayload, cmd: SpeakerCommand, ack: AckPayload },
  sensor: { telemetry: SensorTelemetry, event: SensorEvent, status: StatusPayload, cmd: SensorCommand, ack: AckPayload },
};

/** Larger payloads are refused before parsing; telemetry is ~200-400 bytes. */
export const MAX_PAYLOAD_BYTES = 8 * 1024;
