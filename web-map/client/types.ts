/** Shapes the console reads from the control API (docs/api.md). Types only: erased from the bundle. */
import type { DroneTelemetry } from '../../protocol/schemas/drone.ts';
import type { Checkpoint, FixedSpeaker, NoFlyZone, Ring, Shape } from '../../site/schema.ts';
import type { LedgerRecord, LedgerState } from '../../control/ledger/machine.ts';
import type { DeliverySnapshot, SpeakerDelivery } from '../../control/broadcast/delivery.ts';
import type { LiveEvent as ServerLiveEvent } from '../../control/live/live-event.ts';
import type { Alarm } from '../../control/alarms/alarm.ts';
import type { RingCoverage } from '../../control/coverage/ring-coverage.ts';

export type { DroneTelemetry };
export type Role = 'operator' | 'chief' | 'engineer';
export interface User {
  username: string;
  displayName: string;
  role: Role;
}
export type LinkState = 'ok' | 'lost' | 'never';
// The server's own definitions, imported as types (erased from the bundle): no copy to drift.
export type { Alarm, LedgerRecord, LedgerState, DeliverySnapshot, SpeakerDelivery, RingCoverage };
export const LEDGER_FINAL: readonly LedgerState[] = ['succeeded', 'failed', 'timed_out', 'cancelled'];
export interface Warning {
  id: string;
  title: string;
  lang: 'zh-CN' | 'en';
  text: string;
}
export type Point = { latDeg: number; lonDeg: number };
export type { Shape, Ring, Checkpoint, FixedSpeaker, NoFlyZone };
export interface SiteView {
  site: { id: string; name: string; timezone?: string };
  core: { name: string; shape: Shape };
  rings: (Ring & { responseTargetS: number })[];
  checkpoints: Checkpoint[];
  speakers: FixedSpeaker[];
  drones: { id: string; name: string; dock: Point; cruiseSpeedMps: number; speaker?: unknown }[];
  noFlyZones: NoFlyZone[];
}
/** What /api/live streams (control/live/live-event.ts), and the REST snapshot the console feeds the same store. */
export type LiveEvent = ServerLiveEvent | { type: 'telemetry_snapshot'; data: DroneTelemetry & { droneId: string } };
/** Each ring's patrol state as /api/patrols and the `patrol` live event carry it. */
export type PatrolStates = Extract<ServerLiveEvent, { type: 'patrol' }>['data'];
