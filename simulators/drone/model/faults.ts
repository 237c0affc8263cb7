import type { DroneFault } from '../types.ts';
import type { Rng } from './rng.ts';

const MISSION_TYPE_NUMBER = { mission: 0, fence: 1, rally: 2 } as const;
/** MAV_MISSION_RESULT values for the upload-rejection fault. */
const REJECT_RESULT = { denied: 14, no_space: 4, error: 1 } as const;

/**
 * Active faults of one vehicle. All times are simulated milliseconds since boot, so a
 * scenario's "link loss 20 s" lasts 1 s of wall time at speed 20.
 */
export class FaultState {
  linkLossUntilMs = -1;
  packetLossPct = 0;
  ackDelayMs = 0;
  ackDropPct = 0;
  gpsLossUntilMs = -1; // Infinity = until cleared
  missionReject: { result: number; missionType: number | undefined } | undefined;
  /** Pending battery sag to be applied by the battery model (points of charge). */
  batterySagPct = 0;

  apply(f: DroneFault, nowMs: number): void {
    switch (f.kind) {
      case 'link_loss':
        this.linkLossUntilMs = nowMs + Math.max(0, f.durationS) * 1000;
        break;
      case 'packet_loss':
        this.packetLossPct = clampPct(f.pct);
        break;
      case 'ack_delay':
        this.ackDelayMs = Math.max(0, f.delayMs);
        break;
      case 'ack_drop':
        this.ackDropPct = clampPct(f.pct ?? 100);
        break;
      case 'gps_loss':
        this.gpsLossUntilMs = f.durationS === undefined ? Infinity : nowMs + Math.max(0, f.durationS) * 1000;
        break;
      case 'battery_sag':
        this.batterySagPct += clampPct(f.pct);
        break;
      case 'mission_reject':
        this.missionReject = {
          result: REJECT_RESULT[f.result ?? 'denied'],
          missionType: f.missionType === undefined ? undefined : MISSION_TYPE_NUMBER[f.missionType],
        };
        break;
    }
  }

  clear(): void {
    this.linkLossUntilMs = -1;
    this.packetLossPct = 0;
    this.ackDelayMs = 0;
    this.ackDropPct = 0;
    this.gpsLossUntilMs = -1;
    this.missionReject = undefined;
    this.batterySagPct = 0;
  }

  /** Whether one packet (either direction) gets through the link right now. */
  passes(nowMs: number, rng: Rng): boolean {
    if (nowMs < this.linkLossUntilMs) return false;
    return !(this.packetLossPct > 0 && rng.chance(this.packetLossPct));
  }

  gpsLost(nowMs: number): boolean {
    return nowMs < this.gpsLossUntilMs;
  }

  /** The MISSION_ACK error an upload of this type is refused with, if any. */
  uploadRejection(missionType: number): number | undefined {
    const r = this.missionReject;
    if (!r) return undefined;
    return r.missionType === undefined || r.missionType === missionType ? r.result : undefined;
  }
}

function clampPct(p: number): number {
  return Number.isFinite(p) ? Math.min(100, Math.max(0, p)) : 0;
}
