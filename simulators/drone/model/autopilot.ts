import { common } from 'node-mavlink';
import { Battery } from './battery.ts';
import { Fence } from './fence.ts';
import { distanceNE } from './geo.ts';
import type { FaultState } from './faults.ts';
import { DEFAULT_LIMITS, stepBody, type Body, type Limits, type Nav, type Pos3, type WindNow } from './kinematics.ts';
import { MissionExecutor, type MissionHost } from './mission-exec.ts';
import { checkMissionAgainstFence } from './mission-feasibility.ts';
import { MissionType, type MissionStore } from './mission-store.ts';
import { allowsArming, hasUserTakeoff, requiresPosition, type ModeName } from './modes.ts';
import { BootTimeline } from './boot.ts';
import type { Personality } from './personality/personality.ts';
import type { Rng } from './rng.ts';
import { Rtl } from './rtl.ts';
import { Failsafes } from './failsafes.ts';
import { Wind } from './wind.ts';

const S = common.MavSeverity;
/** Largest physics step; longer ticks (time acceleration) are split into these. */
const MAX_STEP_S = 0.1;

/** Pilot climb rate with the throttle stick at the bottom (PILOT_SPEED_DN 0 → PILOT_SPEED_UP 250 cm/s). */
const PILOT_DESCENT_MPS = 2.5;
/** How far from the dock's point a landed aircraft still sits on its charging pad. */
const DOCK_CHARGE_RADIUS_M = 5;

export interface AutopilotConfig {
  personality: Personality;
  home: Pos3;
  /** WPNAV_SPEED (PX4: MPC_XY_CRUISE): the speed every mode entry starts from. */
  wpSpeedMps: number;
  maxSpeedMps: number;
  /** Battery endurance at cruise power, seconds. */
  batteryEnduranceS: number;
  /** The speed the battery model calls cruise (the site's cruise speed). */
  cruiseSpeedMps: number;
  /** Arming is refused with the boot stages' texts until this long after boot. */
  prearmDelayS: number;
  /** GPS has no fix (and reports 0,0) until this long after boot. */
  gpsFixDelayS: number;
  /** Length of the sensor/EKF boot stages (undefined: the autopilot's own). */
  sensorChecksS: number | undefined;
  rtlAltM: number;
  lowBatteryPct: number;
  criticalBatteryPct: number;
  initialBatteryPct: number;
  /** Charge a dock adds per minute while the aircraft sits on it disarmed (0: no dock, as SITL). */
  dockChargePctPerMin: number;
  autoDisarmS: number;
  wind: Wind;
}

/** Events the autopilot reports to every ground station. */
export interface AutopilotOutput {
  text(severity: number, text: string): void;
  itemReached(seq: number): void;
  homeChanged(): void;
}

/** Copter flight logic: modes, arming, failsafes, mission execution and the physics step. */
export class Autopilot implements MissionHost {
  readonly body: Body;
  home: Pos3;
  nav: Nav = { kind: 'ground' };
  readonly limits: Limits;
  mode: ModeName;
  armed = false;
  /** Copter's auto_armed: AUTO waits on the ground until MISSION_START or a takeoff. */
  autoArmed = false;
  readonly battery: Battery;
  readonly fence = new Fence();
  fenceEnabled = true;
  /**
   * PX4: the stored mission passed the feasibility check against the fence (false until
   * home is valid and the check has run). Always true on ArduPilot, which has no such check.
   */
  missionValid: boolean;
  private feasibilityKey = '';
  private homeVersion = 0;
  readonly mission: MissionExecutor;
  private rtl: Rtl | undefined;
  private failsafes: Failsafes;
  /** Simulated time of the last (re)boot; time_boot_ms counts from here. */
  bootAtMs = 0;
  private storeVersion = -1;
  private readonly boot: BootTimeline;
  nowMs = 0;

  constructor(
    private readonly cfg: AutopilotConfig,
    private readonly store: MissionStore,
    private readonly faults: FaultState,
    private readonly rng: Rng,
    private readonly out: AutopilotOutput,
  ) {
    this.mode = cfg.personality.bootMode;
    this.missionValid = !cfg.personality.checksMissionAgainstFence;
    this.boot = new BootTimeline(cfg.personality, cfg.prearmDelayS, cfg.gpsFixDelayS, cfg.sensorChecksS);
    this.home = { ...cfg.home };
    this.body = { ...cfg.home, vn: 0, ve: 0, vu: 0, headingDeg: 0, aFwd: 0, aRight: 0, yawRateDegS: 0, landed: true, groundAmslM: cfg.home.altAmslM };
    this.limits = { ...DEFAULT_LIMITS, maxSpeedMps: cfg.maxSpeedMps, wpSpeedMps: Math.min(cfg.wpSpeedMps, cfg.maxSpeedMps) };
    this.battery = new Battery(cfg.initialBatteryPct, cfg.batteryEnduranceS, cfg.cruiseSpeedMps, DEFAULT_LIMITS.climbMps);
    this.mission = new MissionExecutor(this, store, (n) => this.setNav(n));
    this.failsafes = new Failsafes(this, faults, cfg);
  }

  get config(): Readonly<AutopilotConfig> {
    return this.cfg;
  }

  get rtlAltM(): number {
    return this.cfg.rtlAltM;
  }

  // ---- MissionHost / RtlHost ----
  text(severity: number, text: string): void {
    this.out.text(severity, text);
  }
  itemReached(seq: number): void {
    this.out.itemReached(seq);
  }
  setNav(nav: Nav): void {
    this.nav = nav;
  }
  setWpSpeed(mps: number): void {
    this.limits.wpSpeedMps = Math.min(mps, this.limits.maxSpeedMps);
  }
  setHome(p: Pos3): void {
    this.home = { latDeg: p.latDeg, lonDeg: p.lonDeg, altAmslM: p.altAmslM };
    this.homeVersion++;
    this.out.homeChanged();
  }
  setFenceEnabled(on: boolean): void {
    this.fenceEnabled = on;
  }
  rallyPoints(): Pos3[] {
    return this.store.items(MissionType.RALLY).map((r) => ({ latDeg: r.x / 1e7, lonDeg: r.y / 1e7, altAmslM: this.home.altAmslM + r.z }));
  }
  missionFinished(): void {
    const b = this.body;
    this.nav = b.landed ? { kind: 'ground' } : { kind: 'goto', target: { latDeg: b.latDeg, lonDeg: b.lonDeg, altAmslM: b.altAmslM } };
  }

  // ---- state queries ----
  get flying(): boolean {
    return this.armed && !this.body.landed;
  }
  get personality(): Personality {
    return this.cfg.personality;
  }
  /** Seconds since the last (re)boot. */
  get sinceBootS(): number {
    return (this.nowMs - this.bootAtMs) / 1000;
  }
  /** EKF has a position: the boot-time alignment window is over and GPS has a fix. */
  positionOk(): boolean {
    return this.boot.estimateReady(this.sinceBootS) && !this.faults.gpsLost(this.nowMs);
  }
  /** Home is known (before, mission item 0 reads back as 0,0,0). */
  /** Landed and disarmed within a few metres of the dock it booted on, which has a charger. */
  private onDockCharger(b: { landed: boolean; latDeg: number; lonDeg: number }): boolean {
    return this.cfg.dockChargePctPerMin > 0 && !this.armed && b.landed && distanceNE(this.cfg.home, b) <= DOCK_CHARGE_RADIUS_M;
  }

  homeSet(): boolean {
    return this.boot.homeSet(this.sinceBootS);
  }
  /** The GPS has its first fix (before it, the vehicle reports 0,0 with fix type 0). */
  gpsFixed(): boolean {
    return this.boot.gpsFixed(this.sinceBootS);
  }

  // ---- commands ----
  /**
   * Copter's arming checks; false after telling the GCS why (COMMAND_ACK FAILED).
   * `force` (param2 21196) skips the checks, as ArduPilot does.
   */
  arm(force = false): boolean {
    if (this.armed) return true;
    const fails = force ? [] : this.prearmFailures();
    if (fails.length > 0) {
      // Copter reports every failing check, each as its own text.
      for (const f of fails) this.text(S.CRITICAL, this.cfg.personality.armPrefix + f);
      return false;
    }
    this.armed = true;
    this.autoArmed = false;
    this.text(S.INFO, this.cfg.personality.armedText);
    // Copter sets home where it arms.
    this.setHome({ latDeg: this.body.latDeg, lonDeg: this.body.lonDeg, altAmslM: this.body.altAmslM });
    this.enterMode(this.mode);
    return true;
  }

  /**
   * Why arming is refused now (reasons without the autopilot's prefix); empty when it may
   * arm. `ignoreMode`: the pre-arm checks alone (ArduPilot checks the mode only when an
   * arm is asked for, so its SYS_STATUS pre-arm bit ignores the mode; PX4's does not).
   */
  prearmFailures(ignoreMode = false): string[] {
    const t = this.cfg.personality.armTexts;
    const boot = this.boot.refusal(this.sinceBootS, requiresPosition(this.mode));
    if (boot) return boot;
    if (!ignoreMode && !allowsArming(this.mode)) return [t.modeNotArmable(this.mode)];
    if (requiresPosition(this.mode) && !this.positionOk()) return [t.noPosition];
    if (this.battery.pct <= this.cfg.lowBatteryPct) return [t.lowBattery];
    if (this.fenceEnabled && !this.fence.empty && this.fence.breach(this.body)) return [t.outsideFence];
    return [];
  }

  /** RUN_PREARM_CHECKS and Copter's periodic report: the failing checks as "PreArm: …" texts. */
  reportPrearm(): void {
    for (const f of this.prearmFailures()) this.text(S.CRITICAL, this.cfg.personality.prearmPrefix + f);
  }

  /** Copter refuses a GCS disarm in flight unless forced (param2 21196). */
  disarm(force: boolean): boolean {
    if (!this.armed) return true;
    if (this.flying && !force) return false;
    this.armed = false;
    this.autoArmed = false;
    this.mission.stop();
    this.rtl = undefined;
    this.nav = this.body.landed ? { kind: 'ground' } : { kind: 'land', at: undefined };
    return true;
  }

  /** Copter::set_mode: checks are skipped while disarmed, the arming checks cover them. */
  setMode(mode: ModeName): boolean {
    if (this.armed) {
      const why = this.modeRefusal(mode);
      if (why) {
        this.text(S.WARNING, `Mode change to ${mode} failed: ${why}`);
        return false;
      }
    }
    this.enterMode(mode);
    return true;
  }

  private modeRefusal(mode: ModeName): string | undefined {
    if (requiresPosition(mode) && !this.positionOk()) return 'requires position';
    if (mode === 'AUTO') {
      if (!this.mission.hasNavItems()) return 'init failed';
      if (this.body.landed && !this.mission.startsWithTakeoff()) {
        this.text(S.CRITICAL, 'Auto: Missing Takeoff Cmd');
        return 'init failed';
      }
    }
    return undefined;
  }

  /** Enters a mode without Copter's checks (failsafes, and mode changes while disarmed). */
  enterMode(mode: ModeName): void {
    const leavingAuto = this.mode === 'AUTO' && mode !== 'AUTO';
    this.mode = mode;
    if (leavingAuto) this.mission.stop();
    this.rtl = undefined;
    if (this.cfg.personality.resetsSpeedOnEntry(mode)) {
      this.limits.wpSpeedMps = Math.min(this.cfg.wpSpeedMps, this.limits.maxSpeedMps);
      this.limits.climbMps = DEFAULT_LIMITS.climbMps;
      this.limits.descentMps = DEFAULT_LIMITS.descentMps;
    }
    const b = this.body;
    const here: Pos3 = { latDeg: b.latDeg, lonDeg: b.lonDeg, altAmslM: b.altAmslM };
    switch (mode) {
      case 'RTL':
        this.rtl = new Rtl(this);
        break;
      case 'LAND':
        this.nav = { kind: 'land', at: this.positionOk() ? here : undefined };
        break;
      case 'AUTO':
        if (this.armed && (this.autoArmed || !b.landed)) this.mission.start(this.nowMs);
        else this.nav = b.landed ? { kind: 'ground' } : { kind: 'goto', target: here };
        break;
      case 'STABILIZE':
      case 'ALT_HOLD':
      case 'LOITER':
        this.nav = this.pilotNav();
        break;
      case 'TAKEOFF':
        this.nav = b.landed ? { kind: 'ground' } : { kind: 'goto', target: here };
        break;
      default:
        this.nav = b.landed ? { kind: 'ground' } : { kind: 'goto', target: here };
    }
  }

  /**
   * Modes flown on the pilot's sticks. No pilot here: the sticks rest centred and the
   * throttle at the bottom, as on SITL with no RC input, so the vehicle descends at
   * the pilot's full descent rate and lands (LOITER holds position while it does).
   */
  private pilotNav(): Nav {
    const b = this.body;
    if (b.landed) return { kind: 'ground' };
    const at = this.mode === 'LOITER' && this.positionOk() ? { latDeg: b.latDeg, lonDeg: b.lonDeg } : undefined;
    return { kind: 'pilot', at, vuMps: -PILOT_DESCENT_MPS };
  }

  /**
   * MAV_CMD_NAV_TAKEOFF: armed, on the ground, in a mode with a user takeoff, target
   * above us. PX4 switches to AUTO.TAKEOFF and holds (Hold) once there.
   */
  takeoff(altAmslM: number): boolean {
    const b = this.body;
    if (!this.armed || !b.landed) return false;
    // Copter takes off only in modes with a user takeoff; PX4 switches to AUTO.TAKEOFF from any.
    const takeoffMode = this.cfg.personality.takeoffMode;
    if (!takeoffMode && !hasUserTakeoff(this.mode)) return false;
    const altRelM = altAmslM - this.home.altAmslM;
    if (!(altRelM > 0) || altAmslM <= b.altAmslM) return false;
    if (takeoffMode) this.enterMode(takeoffMode);
    this.autoArmed = true;
    this.nav = { kind: 'goto', takeoff: true, target: { latDeg: b.latDeg, lonDeg: b.lonDeg, altAmslM } };
    this.text(S.INFO, `Takeoff to ${altRelM.toFixed(1)}m`);
    return true;
  }

  /** MISSION_START: AUTO, auto-armed, start or resume (optionally at `firstSeq`). */
  missionStart(firstSeq?: number): boolean {
    if (!this.setMode('AUTO')) return false;
    this.autoArmed = true;
    if (this.armed) this.mission.start(this.nowMs, firstSeq);
    return true;
  }

  /** Guided destination; only in GUIDED / PX4 Offboard (DO_REPOSITION may switch mode first). */
  guidedGoto(target: Pos3): boolean {
    if (this.mode !== 'GUIDED' && this.mode !== 'OFFBOARD') return false;
    if (this.armed && !this.body.landed) this.nav = { kind: 'goto', target };
    else this.nav = this.body.landed ? { kind: 'ground' } : { kind: 'goto', target };
    return true;
  }

  guidedVelocity(vn: number, ve: number, vu: number): boolean {
    if ((this.mode !== 'GUIDED' && this.mode !== 'OFFBOARD') || !this.flying) return false;
    this.nav = { kind: 'velocity', vn, ve, vu, untilMs: this.nowMs + 3000 };
    return true;
  }

  /** DO_CHANGE_SPEED: only modes that fly to waypoints take a new speed (Copter set_speed_xy). */
  changeSpeed(mps: number): boolean {
    if (!(mps > 0)) return false;
    if (this.mode !== 'AUTO' && this.mode !== 'GUIDED' && this.mode !== 'RTL') return false;
    this.setWpSpeed(mps);
    return true;
  }

  /** DO_CHANGE_SPEED climb (2) / descent (3): the modes that fly to targets take it. */
  changeVerticalSpeed(mps: number, up: boolean): boolean {
    if (!(mps > 0)) return false;
    if (this.mode !== 'AUTO' && this.mode !== 'GUIDED' && this.mode !== 'RTL') return false;
    if (up) this.limits.climbMps = mps;
    else this.limits.descentMps = mps;
    return true;
  }

  /**
   * A reboot (MAV_CMD_PREFLIGHT_REBOOT_SHUTDOWN, only when disarmed): modes, arming,
   * speeds and failsafe latches are forgotten; the stored mission, fence and rally
   * survive (they live in flash); home becomes where it sits.
   */
  rebootAt(bootAtMs: number): void {
    this.bootAtMs = bootAtMs;
    this.boot.restart();
    this.feasibilityKey = '';
    this.armed = false;
    this.autoArmed = false;
    this.mode = this.cfg.personality.bootMode;
    this.rtl = undefined;
    this.nav = { kind: 'ground' };
    this.mission.reset();
    this.failsafes = new Failsafes(this, this.faults, this.cfg);
    this.fenceEnabled = true;
    this.limits.wpSpeedMps = Math.min(this.cfg.wpSpeedMps, this.limits.maxSpeedMps);
    this.limits.climbMps = DEFAULT_LIMITS.climbMps;
    this.limits.descentMps = DEFAULT_LIMITS.descentMps;
    this.home = { latDeg: this.body.latDeg, lonDeg: this.body.lonDeg, altAmslM: this.body.altAmslM };
  }

  /** time_boot_ms as the vehicle reports it. */
  get timeBootMs(): number {
    return Math.max(0, Math.round(this.nowMs - this.bootAtMs)) >>> 0;
  }

  // ---- time ----
  /** Advances the simulation to `nowMs` (simulated ms since boot). */
  advance(nowMs: number): void {
    let remaining = (nowMs - this.nowMs) / 1000;
    if (remaining <= 0) return;
    // AP_Arming::update: while disarmed, the failing checks every PREARM_DISPLAY_PERIOD.
    if (this.boot.reportDue((nowMs - this.bootAtMs) / 1000) && !this.armed) this.reportPrearm();
    if (this.store.version !== this.storeVersion) this.onStoreChanged();
    this.checkFeasibility();
    const resting = !this.armed && this.body.landed;
    for (let i = 0; remaining > 1e-6 && i < 10_000; i++) {
      const dt = resting ? remaining : Math.min(MAX_STEP_S, remaining);
      this.nowMs += dt * 1000;
      remaining -= dt;
      this.step(dt);
    }
    this.nowMs = nowMs;
  }

  private onStoreChanged(): void {
    this.storeVersion = this.store.version;
    const fence = this.store.items(MissionType.FENCE);
    if (fence !== this.loadedFence) this.fence.load(fence, this.cfg.personality.fenceReading, this.homeSet() ? this.home : undefined);
    this.loadedFence = fence;
    // Only a new mission restarts the current item; a fence or rally upload must not.
    const mission = this.store.items(MissionType.MISSION);
    if (mission !== this.loadedMission) this.mission.reload(this.nowMs);
    this.loadedMission = mission;
  }

  private loadedFence: unknown;
  private loadedMission: unknown;

  /**
   * PX4's navigator (MissionBase::check_mission_valid) checks the mission against the fence
   * once home is valid, and again whenever the mission, the fence or home change; a failed
   * check is reported once with its reason.
   */
  private checkFeasibility(): void {
    if (!this.cfg.personality.checksMissionAgainstFence) return;
    if (!this.homeSet()) {
      this.missionValid = false;
      return;
    }
    const key = `${this.storeVersion}/${this.homeVersion}`;
    if (key === this.feasibilityKey) return;
    this.feasibilityKey = key;
    const items = this.store.items(MissionType.MISSION);
    const r = checkMissionAgainstFence(items, this.fence);
    this.missionValid = r.valid;
    if (r.text) this.text(S.CRITICAL, r.text);
  }

  private step(dtS: number): void {
    const b = this.body;
    const wind = this.cfg.wind.step(dtS, this.rng);
    if (this.armed || !b.landed) {
      if (this.mode === 'AUTO') this.mission.update(this.nowMs);
      if (this.rtl) this.rtl.update(this.nowMs);
      // PX4 AUTO.TAKEOFF ends in Hold once the takeoff altitude is reached.
      if (this.mode === 'TAKEOFF' && this.nav.kind === 'goto' && this.nav.takeoff && b.altAmslM >= this.nav.target.altAmslM - 0.5) {
        this.mode = 'GUIDED';
        this.nav = { kind: 'goto', target: { ...this.nav.target } };
      }
      // Disarmed in the air (forced): no position control, straight down at the descent limit.
      if (!this.armed && !b.landed) this.nav = { kind: 'drift', altAmslM: -1e6 };
      stepBody(b, this.nav, this.limits, wind, dtS, this.nowMs);
      if (this.mode === 'AUTO') this.mission.afterStep(this.nowMs);
    }
    const air = Math.hypot(b.vn - wind.vn, b.ve - wind.ve);
    if (this.onDockCharger(b)) this.battery.charge(dtS, this.cfg.dockChargePctPerMin);
    else this.battery.drain(dtS, { armed: this.armed, landed: b.landed, airspeedMps: air, climbMps: b.vu });
    this.lastAirspeedMps = air;
    if (this.faults.batterySagPct > 0) {
      this.battery.sag(this.faults.batterySagPct);
      this.faults.batterySagPct = 0;
    }
    this.failsafes.check();
  }

  lastAirspeedMps = 0;

  /** MAV_BATTERY_CHARGE_STATE for BATTERY_STATUS. */
  get batteryState(): number {
    const C = common.MavBatteryChargeState;
    const level = this.failsafes.batteryLevel;
    return level === 2 ? C.CRITICAL : level === 1 ? C.LOW : C.OK;
  }

  /** Where RTL is (undefined outside RTL mode). */
  get rtlStage(): Rtl['stage'] | undefined {
    return this.rtl?.stage;
  }
}

export type { WindNow };
