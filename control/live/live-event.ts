// Schema modules, not protocol/index.ts: the browser type-checks this file without Node's types.
import type { DroneTelemetry } from '../../protocol/schemas/drone.ts';
import type { SensorEvent } from '../../protocol/schemas/sensor.ts';
import type { SpeakerTelemetry } from '../../protocol/schemas/speaker.ts';
import type { DeviceKind } from '../../protocol/topics.ts';
import type { Warning } from '../../site/schema.ts';
import type { Alarm } from '../alarms/alarm.ts';
import type { DeliverySnapshot } from '../broadcast/delivery.ts';
import type { RingCoverage } from '../coverage/ring-coverage.ts';
import type { LedgerRecord } from '../ledger/machine.ts';

/**
 * Every live update the control service pushes to consoles on GET /api/live, by `type`.
 * The one definition: operations publish these to the hub, and the web console imports
 * this union as a type (web-map/client/types.ts), so neither side keeps a copy to drift.
 * Types only: nothing here exists at run time.
 */
export type LiveEvent =
  /** A drone's position and state: our MAVLink drones' from the gateway, MQTT drones' own. */
  | { type: 'telemetry'; data: DroneTelemetry & { droneId: string } }
  /** A drone's MAVLink link came or went (the gateway's retained status follows as `status`). */
  | { type: 'link'; data: { droneId: string; state: 'ok' | 'lost' } }
  /** A device's retained online/offline status from the broker. */
  | { type: 'status'; data: { kind: DeviceKind; deviceId: string; state: 'online' | 'offline' } }
  | { type: 'sensor_event'; data: SensorEvent & { deviceId: string } }
  | { type: 'speaker'; data: SpeakerTelemetry & { deviceId: string } }
  /** A command-ledger record after each change of state. */
  | { type: 'ledger'; data: LedgerRecord }
  | { type: 'alarm'; data: Alarm }
  /** A broadcast's delivery report, a view of its play commands' ledger records. */
  | { type: 'broadcast'; data: DeliverySnapshot }
  | { type: 'coverage'; data: RingCoverage[] }
  /**
   * Each ring's patrol state (control/ops/patrol-service.ts RingPatrolState; operations
   * sit above this module, so the shape is documented there and in docs/api.md).
   */
  | { type: 'patrol'; data: readonly object[] }
  | { type: 'warnings'; data: Warning[] }
  /** A part of the system changed health (ringwatch up: system/start-system.ts). */
  | { type: 'service-health'; data: { service: string; status: string; reasons: readonly string[]; event: string; tsMs: number } };

export type LiveEventType = LiveEvent['type'];
