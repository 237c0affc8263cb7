/** Shapes the console reads from the control API (docs/api.md). Types only: erased from the bundle. */
import type { DroneTelemetry } from '../../protocol/schemas/drone.ts';
import type { Checkpoint, FixedSpeaker, NoFlyZone, Ring, Shape } from '../../site/schema.ts';

export type { DroneTelemetry };
export type Role = 'operator' | 'chief' | 'engineer';
export interface User {
  username: string;
  displayName: string;
  role: Role;
}
export type LinkState = 'ok' | 'lost' | 'never';
export type LedgerState = 'queued' | 'sent' | 'acked' | 'in_progress' | 'succeeded' | 'failed' | 'timed_out' | 'cancelled';
export const LEDGER_FINAL: readonly LedgerState[] = ['succeeded', 'failed', 'timed_out', 'cancelled'];
export interface LedgerRecord {
  id: string;
  issuer: string;
  target: { kind: string; id: string };
  kind: string;
  via: 'mavlink' | 'mqtt';
  payload: Record<string, unknown>;
  state: LedgerState;
  createdMs: number;
  updatedMs: number;
  transitions: { state: LedgerState; tsMs: number; detail?: string; progressPct?: number }[];
}
export interface Alarm {
  id: string;
  source:
    | { kind: 'sensor'; deviceId: string; checkpointId: string; eventId: string; type: string }
    | { kind: 'manual'; username: string; note?: string }
    /** A drone's own report (battery, link, failsafe, fence, landing, mission): dispatches nothing. */
    | { kind: 'vehicle'; droneId: string; type: string; text: string };
  severity: string;
  ringId: string;
  position: { latDeg: number; lonDeg: number };
  state: 'open' | 'acknowledged' | 'resolved';
  raisedAtMs: number;
  ackedAtMs?: number;
  resolvedAtMs?: number;
  responder?: { droneId: string; commandIds: string[]; dispatchedAtMs: number; onSceneAtMs?: number; timeToSceneS?: number; targetS: number; withinTarget?: boolean };
  broadcastId?: string;
}
export interface SpeakerDelivery {
  speakerId: string;
  state: string;
  reason?: string;
  progressPct?: number;
  atMs: number;
}
export interface DeliverySnapshot {
  broadcastId: string;
  startedAtMs: number;
  done: boolean;
  counts: Record<string, number>;
  speakers: SpeakerDelivery[];
}
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
export interface LiveEvent {
  type: string;
  data: unknown;
}
