import { common } from 'node-mavlink';
import type { Autopilot, AutopilotConfig } from './autopilot.ts';
import type { FaultState } from './faults.ts';
import { requiresPosition } from './modes.ts';

const S = common.MavSeverity;
/** Copter's land detector plus LAND's disarm: motors stop this long after touchdown. */
const LANDED_DISARM_MS = 1000;
/** EKF failsafe fires this long after GPS is lost (FS_EKF_THRESH at default). */
const EKF_FAILSAFE_MS = 1000;

/**
 * Copter's checks after every physics step: auto-disarm on the ground, battery
 * (BATT_FS_LOW_ACT = RTL, BATT_FS_CRT_ACT = LAND, latched), GPS/EKF (LAND), and the
 * fence (FENCE_ACTION = RTL, else LAND), each announced with a STATUSTEXT.
 */
export class Failsafes {
  /** 0 none, 1 low, 2 critical; latched like Copter's battery failsafe. */
  batteryLevel: 0 | 1 | 2 = 0;
  private gpsLostSinceMs: number | undefined;
  private landedArmedSinceMs: number | undefined;
  private fenceBreached = false;

  constructor(
    private readonly ap: Autopilot,
    private readonly faults: FaultState,
    private readonly cfg: AutopilotConfig,
  ) {}

  check(): void {
    this.landed();
    this.battery();
    this.gps();
    this.fence();
  }

  private landed(): void {
    const ap = this.ap;
    if (!ap.armed || !ap.body.landed) {
      this.landedArmedSinceMs = undefined;
      return;
    }
    this.landedArmedSinceMs ??= ap.nowMs;
    // A takeoff in progress, or a mission about to take off, is not "landed with throttle low".
    if (ap.nav.kind === 'goto' && ap.nav.takeoff) return;
    if (ap.mode === 'AUTO' && ap.mission.state === 'running') return;
    const landing = ap.mode === 'LAND' || (ap.mode === 'RTL' && ap.rtlStage === 'done') || (ap.mode === 'AUTO' && ap.mission.state === 'complete');
    const delay = landing ? LANDED_DISARM_MS : this.cfg.autoDisarmS > 0 ? this.cfg.autoDisarmS * 1000 : Infinity;
    if (ap.nowMs - this.landedArmedSinceMs >= delay) {
      ap.disarm(true);
      // PX4 names the reason ("Disarmed by landing", issue 17); Copter just says it disarms.
      ap.text(S.INFO, landing ? ap.personality.landedDisarmText : ap.personality.idleDisarmText);
    }
  }

  private battery(): void {
    const ap = this.ap;
    const pct = ap.battery.pct;
    const level = pct <= this.cfg.criticalBatteryPct ? 2 : pct <= this.cfg.lowBatteryPct ? 1 : 0;
    if (level <= this.batteryLevel) return;
    this.batteryLevel = level;
    const kind = level === 2 ? 'critical' : 'low';
    ap.text(S.CRITICAL, `Battery 1 is ${kind} ${ap.battery.voltageV.toFixed(2)}V used ${ap.battery.consumedMah} mAh`);
    if (!ap.flying) return;
    if (level === 1 && ap.mode !== 'RTL' && ap.mode !== 'LAND') {
      if (!ap.setMode('RTL')) ap.setMode('LAND');
    } else if (level === 2 && ap.mode !== 'LAND') ap.enterMode('LAND');
  }

  private gps(): void {
    const ap = this.ap;
    const lost = this.faults.gpsLost(ap.nowMs);
    if (lost && this.gpsLostSinceMs === undefined) {
      this.gpsLostSinceMs = ap.nowMs;
      ap.text(S.CRITICAL, 'GPS Glitch or Compass error');
    } else if (!lost && this.gpsLostSinceMs !== undefined) {
      this.gpsLostSinceMs = undefined;
      ap.text(S.CRITICAL, 'GPS Glitch cleared');
      return;
    }
    if (!lost || this.gpsLostSinceMs === undefined || ap.nowMs - this.gpsLostSinceMs < EKF_FAILSAFE_MS) return;
    if (ap.flying && requiresPosition(ap.mode)) {
      ap.text(S.CRITICAL, 'EKF Failsafe: changed to LAND Mode');
      ap.enterMode('LAND');
    }
  }

  private fence(): void {
    const ap = this.ap;
    if (!ap.fenceEnabled || ap.fence.empty || !ap.flying) {
      this.fenceBreached = false;
      return;
    }
    const breach = ap.fence.breach(ap.body);
    if (!breach) {
      this.fenceBreached = false;
      return;
    }
    if (this.fenceBreached) return;
    this.fenceBreached = true;
    const said = ap.personality.fenceBreach;
    if (said) ap.text(said.severity, said.text);
    else ap.text(S.CRITICAL, `Fence Breached: ${breach}`);
    if (ap.mode !== 'RTL' && ap.mode !== 'LAND' && !ap.setMode('RTL')) ap.setMode('LAND');
  }
}
