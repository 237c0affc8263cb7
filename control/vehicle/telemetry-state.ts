import type { DroneTelemetry } from '../../protocol/index.ts';
import type { MissionCurrentSeen } from './mission-validity.ts';
import { modeName, type Autopilot } from './modes.ts';

/**
 * What we know of a vehicle, in the units MAVLink sends (degE7, mm, cdeg, cm/s, mV);
 * updated by the per-message handlers, turned into DroneTelemetry by `normaliseTelemetry`.
 */
export interface TelemetryState {
  latE7?: number;
  lonE7?: number;
  altAmslMm?: number;
  relAltMm?: number;
  /** GLOBAL_POSITION_INT.hdg, centidegrees; 65535 = unknown. */
  hdgCdeg?: number;
  vxCmps?: number;
  vyCmps?: number;
  vzCmps?: number;
  /** VFR_HUD.groundspeed, m/s (preferred over vx/vy when present). */
  groundSpeedMps?: number;
  batteryPct?: number;
  batteryMv?: number;
  customMode?: number;
  armed?: boolean;
  gpsFix?: number;
  satellites?: number;
  missionSeq?: number;
  missionCount?: number;
  lastPositionMs?: number;
  /** HOME_POSITION.altitude, mm AMSL. */
  homeAmslMm?: number;
  /** HOME_POSITION.latitude/longitude, degE7: where an RTL must land. */
  homeLatE7?: number;
  homeLonE7?: number;
  /** The latest MISSION_CURRENT's state and total, with how many have come. */
  missionCurrent?: MissionCurrentSeen;
  /**
   * SYS_STATUS showed MAV_SYS_STATUS_PREARM_CHECK healthy at least once (both autopilots
   * set it when their arming checks pass in the current mode), or the vehicle was armed:
   * its boot is over.
   */
  readySeen?: boolean;
}

/** Link quality from MAVLink sequence gaps, decayed so it tracks the recent past. */
export class SeqGapMeter {
  private lastSeq = -1;
  private received = 0;
  private lost = 0;

  /** Counts one packet; returns how many were missed before it. */
  packet(seq: number): number {
    let gap = 0;
    if (this.lastSeq >= 0) {
      gap = (seq - this.lastSeq - 1) & 0xff;
      // A gap above 128 is a reordered or duplicated packet, not 200 losses.
      if (gap > 128) gap = 0;
    }
    this.lastSeq = seq;
    this.received++;
    this.lost += gap;
    if (this.received + this.lost > 400) {
      this.received /= 2;
      this.lost /= 2;
    }
    return gap;
  }

  reset(): void {
    this.lastSeq = -1;
  }

  get qualityPct(): number | undefined {
    const total = this.received + this.lost;
    if (total < 5) return undefined;
    return (100 * this.received) / total;
  }
}

/**
 * A position worth publishing or flying from: a GPS fix of 2D or better and not 0,0.
 * After boot ArduCopter streams GLOBAL_POSITION_INT at 0,0 with fix 0 for seconds.
 */
/** VFR_HUD's ground speed, or the speed of GLOBAL_POSITION_INT's velocity before VFR_HUD has come. */
export function groundSpeedOf(s: TelemetryState): number | undefined {
  return s.groundSpeedMps ?? (s.vxCmps !== undefined && s.vyCmps !== undefined ? Math.hypot(s.vxCmps, s.vyCmps) / 100 : undefined);
}

export function positionValid(s: TelemetryState): boolean {
  return s.latE7 !== undefined && s.lonE7 !== undefined && !(s.latE7 === 0 && s.lonE7 === 0) && (s.gpsFix ?? 0) >= 2;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const round = (v: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

/**
 * Normalises to DroneTelemetry: degrees, metres, m/s, %, volts. Returns undefined until
 * position, battery, GPS fix and mode are known and the position is valid (see
 * `positionValid`), so nothing half-true is ever published.
 */
export function normaliseTelemetry(
  s: TelemetryState,
  autopilot: Autopilot,
  nowMs: number,
  linkQualityPct?: number,
): DroneTelemetry | undefined {
  if (s.latE7 === undefined || s.lonE7 === undefined || s.altAmslMm === undefined || s.relAltMm === undefined) return undefined;
  if (s.customMode === undefined || s.armed === undefined) return undefined;
  if (s.batteryPct === undefined || s.batteryMv === undefined || s.gpsFix === undefined) return undefined;
  if (!positionValid(s)) return undefined;
  let headingDeg = 0;
  if (s.hdgCdeg !== undefined && s.hdgCdeg !== 65535) headingDeg = s.hdgCdeg / 100;
  else if (s.vxCmps !== undefined && s.vyCmps !== undefined && (s.vxCmps !== 0 || s.vyCmps !== 0)) {
    headingDeg = (Math.atan2(s.vyCmps, s.vxCmps) * 180) / Math.PI;
  }
  headingDeg = ((headingDeg % 360) + 360) % 360;
  const groundSpeedMps = groundSpeedOf(s) ?? 0;
  const t: DroneTelemetry = {
    tsMs: Math.round(nowMs),
    latDeg: s.latE7 / 1e7,
    lonDeg: s.lonE7 / 1e7,
    altAmslM: round(clamp(s.altAmslMm / 1000, -500, 10000), 2),
    altRelM: round(clamp(s.relAltMm / 1000, -500, 10000), 2),
    headingDeg: round(headingDeg, 1),
    groundSpeedMps: round(clamp(groundSpeedMps, 0, 200), 2),
    batteryPct: clamp(s.batteryPct, 0, 100),
    batteryV: round(clamp(s.batteryMv / 1000, 0, 100), 3),
    mode: modeName(autopilot, s.customMode),
    armed: s.armed,
    gpsFix: clamp(s.gpsFix, 0, 8),
  };
  // MAVLink NED: vz positive down; climb rate positive up.
  if (s.vzCmps !== undefined) t.climbRateMps = round(clamp(-s.vzCmps / 100, -100, 100), 2);
  if (s.satellites !== undefined && s.satellites !== 255) t.satellites = s.satellites;
  if (s.missionSeq !== undefined) t.missionSeq = s.missionSeq;
  if (s.missionCount !== undefined) t.missionCount = s.missionCount;
  if (linkQualityPct !== undefined) t.linkQualityPct = round(clamp(linkQualityPct, 0, 100), 1);
  return t;
}
