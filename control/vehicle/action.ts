import { common, minimal } from 'node-mavlink';
import type { ControlTimeouts } from '../timeouts.ts';
import type { CommandHooks, CommandSpec } from './command-sender.ts';
import { classifyArmRefusal, modeArmable } from './arming-readiness.ts';
import { encodeChangeSpeed, encodeReposition, encodeTakeoff, holdModeName, speedNeedsChangeSpeed } from './autopilot-encoding.ts';
import { homeAmslM } from './home.ts';
import { encodeMode, modeName, sameMode } from './modes.ts';
import { confirmPositionTarget } from './position-target.ts';
import { awaitAltitude } from './takeoff-outcome.ts';
import { arrivalBudgetMs, awaitArrival } from './goto-outcome.ts';
import { outsideFence } from './fence-check.ts';
import { awaitReturn, RETURN_PROFILES, returnBudgetMs, type ReturnKind } from './return-outcome.ts';
import { distanceM } from '../../site/geometry.ts';
import type { CommandResult } from './result.ts';
import type { ActionContext } from './vehicle-context.ts';

const NaN7 = Number.NaN;
/** MAVLink FENCE_TYPE bit for polygon fences (inclusion and exclusion). */
const FENCE_TYPE_POLYGON = 4;
/** Commands that neither move the vehicle nor change its mode: a go-to in progress stays current. */
const KEEPS_MOVEMENT: ReadonlySet<number> = new Set([common.MavCmd.DO_CHANGE_SPEED, common.MavCmd.DO_FENCE_ENABLE, common.MavCmd.REQUEST_MESSAGE, common.MavCmd.GET_HOME_POSITION]);
const p7 = (...p: number[]): CommandSpec['params'] => {
  const out = [0, 0, 0, 0, 0, 0, 0] as CommandSpec['params'];
  p.forEach((v, i) => (out[i] = v));
  return out;
};

export interface GotoTarget {
  latDeg: number;
  lonDeg: number;
  altRelM: number;
  /** Ground speed to fly at; the vehicle's default when omitted. */
  speedMps?: number;
}

/** The first command of a multi-command action carries the hooks' onSent; later ones do not. */
const quiet = (hooks?: CommandHooks): CommandHooks => ({ signal: hooks?.signal });

/**
 * Action capability (MAVSDK Action): one method per vehicle action, each returning the
 * one CommandResult type. Hooks let the ledger see sends and the vehicle's acks. How each
 * command is encoded for ArduPilot or PX4 is decided in autopilot-encoding.ts only.
 */
export class ActionApi {
  /**
   * Bumped by every command that moves the vehicle or changes its mode: a go-to still
   * waiting for its arrival ends as replaced (cancelled) once a later one is sent.
   */
  private movement = 0;

  constructor(
    private readonly v: ActionContext,
    private readonly t: ControlTimeouts,
  ) {}

  private cmd(spec: CommandSpec, hooks?: CommandHooks): Promise<CommandResult> {
    if (!KEEPS_MOVEMENT.has(spec.command)) this.movement++;
    if (!this.v.online) return Promise.resolve({ status: 'link_lost', message: 'vehicle offline', attempts: 0 });
    return this.v.commands.send(spec, hooks);
  }

  /**
   * Arms, from a cold boot if need be: every transient pre-arm refusal (boot, AHRS/EKF,
   * GPS settling, PX4's TEMPORARILY_REJECTED) is retried every `armRetryIntervalMs` within
   * `armReadyBudgetMs`, telling `onWaiting` the current reason; a permanent one (mode not
   * armable, battery, fence) fails at once. The answer names the autopilot's reason.
   */
  async arm(hooks: CommandHooks = {}): Promise<CommandResult> {
    const started = this.v.clock.nowMs();
    let sentOnce = false;
    let attempts = 0;
    for (let round = 0; round < 10_000; round++) {
      const r = await this.cmd(
        { command: common.MavCmd.COMPONENT_ARM_DISARM, params: p7(1) },
        { ...hooks, onSent: () => (sentOnce ? undefined : ((sentOnce = true), hooks.onSent?.())) },
      );
      attempts += r.attempts ?? 0;
      if (r.status === 'success' || hooks.signal?.aborted) return { ...r, attempts };
      const mode = this.currentModeName();
      const ctx = { autopilot: this.v.autopilot, mode, readySeen: this.v.telemetryState.readySeen === true };
      if (classifyArmRefusal(r, ctx) === 'permanent') {
        // PX4's text does not name the mode; say what made it final.
        const why = mode !== undefined && !modeArmable(this.v.autopilot, mode) && !/mode/i.test(r.message ?? '') ? ` (${mode} is not a mode ${this.v.autopilot === 'px4' ? 'PX4' : 'ArduCopter'} arms in)` : '';
        return { ...r, attempts, ...(why ? { message: `${r.message ?? r.status}${why}` } : {}) };
      }
      const elapsed = this.v.clock.nowMs() - started;
      const why = r.message ?? r.status;
      if (elapsed + this.t.armRetryIntervalMs > this.t.armReadyBudgetMs) {
        return { ...r, attempts, message: `arming refused, vehicle not ready after ${Math.round(elapsed / 1000)} s: ${why}` };
      }
      hooks.onWaiting?.(`arming refused (${why}); retrying, ${Math.round(elapsed / 1000)} s since first attempt`);
      await waitOrAbort(this.t.armRetryIntervalMs, hooks.signal);
      if (hooks.signal?.aborted) return { status: 'cancelled', attempts, message: 'cancelled while waiting for the vehicle to be ready' };
    }
    return { status: 'failed', attempts, message: 'arm retry bound reached' };
  }

  disarm(hooks?: CommandHooks & { force?: boolean }): Promise<CommandResult> {
    // 21196 is the MAVLink magic number that forces a disarm in flight.
    return this.cmd({ command: common.MavCmd.COMPONENT_ARM_DISARM, params: p7(0, hooks?.force ? 21196 : 0) }, hooks);
  }

  /**
   * Takes off to `altRelM` above home. Succeeds only once the vehicle reports itself near
   * that altitude (an accepted NAV_TAKEOFF is not a drone at height): within
   * `takeoffClimbMs`, to within max(1 m, 5 %). param7 is AMSL on PX4 (home + altRelM).
   */
  async takeoff(altRelM: number, hooks: CommandHooks = {}): Promise<CommandResult> {
    const home = this.v.autopilot === 'px4' ? await homeAmslM(this.v) : undefined;
    const enc = encodeTakeoff(this.v.autopilot, altRelM, { homeAmslM: home });
    if (!enc.ok) return { status: 'failed', message: `take-off not sent: ${enc.reason}`, attempts: 0 };
    const r = await this.cmd(enc.spec, hooks);
    // ArduCopter refuses a take-off while disarmed without a word: say what we can see.
    if (r.status !== 'success' && !r.message && this.v.telemetryState.armed === false) return { ...r, message: 'refused; the vehicle is disarmed' };
    if (r.status !== 'success') return r;
    hooks.onAccepted?.();
    return awaitAltitude(this.v, altRelM, this.t.takeoffClimbMs, r, hooks);
  }

  /** Lands where it is; succeeds only once the vehicle reports itself landed and disarmed (return-outcome.ts). */
  async land(hooks: CommandHooks = {}): Promise<CommandResult> {
    const r = await this.cmd({ command: common.MavCmd.NAV_LAND, params: p7(0, 0, 0, NaN7, NaN7, NaN7, NaN7) }, hooks);
    return this.awaitReturnOutcome('land', r, hooks);
  }

  /** Returns home; succeeds only once the vehicle is landed and disarmed within HOME_RADIUS_M of home (return-outcome.ts). */
  async rtl(hooks: CommandHooks = {}): Promise<CommandResult> {
    const r = await this.cmd({ command: common.MavCmd.NAV_RETURN_TO_LAUNCH, params: p7() }, hooks);
    return this.awaitReturnOutcome('rtl', r, hooks);
  }

  /**
   * Accepted is not landed (issue 14 item 3): the outcome is watched against a budget from
   * the distance home and the height at the autopilot's own RTL/land speeds.
   */
  private async awaitReturnOutcome(kind: ReturnKind, r: CommandResult, hooks: CommandHooks): Promise<CommandResult> {
    if (r.status !== 'success') return r;
    const mine = this.movement;
    hooks.onAccepted?.();
    const ap = this.v.autopilot;
    const s = this.v.telemetryState;
    // An RTL needs home; ask for it when none has come (ArduCopter sends it when home is set).
    if (kind === 'rtl' && s.homeLatE7 === undefined) await homeAmslM(this.v);
    const home = s.homeLatE7 !== undefined && s.homeLonE7 !== undefined ? { latDeg: s.homeLatE7 / 1e7, lonDeg: s.homeLonE7 / 1e7 } : undefined;
    const here = s.latE7 !== undefined && s.lonE7 !== undefined ? { latDeg: s.latE7 / 1e7, lonDeg: s.lonE7 / 1e7 } : undefined;
    const fromHomeM = home && here ? distanceM(here, home) : 0;
    const altM = Math.max(0, (s.relAltMm ?? 0) / 1000);
    const profile = RETURN_PROFILES[ap];
    const modes = kind === 'rtl' ? ['RTL'] : ['LAND'];
    return awaitReturn(
      this.v,
      {
        kind,
        ...(home ? { home } : {}),
        profile,
        fromHomeM,
        altM,
        withinMs: returnBudgetMs(kind, fromHomeM, altM, profile, this.t.takeoffClimbMs),
        stillCurrent: () => this.movement === mine,
        modeOk: () => s.customMode === undefined || modes.some((m) => sameMode(ap, m, modeNameOf(this.v))),
      },
      r,
      hooks,
    );
  }

  async setMode(name: string, hooks?: CommandHooks): Promise<CommandResult> {
    const enc = encodeMode(this.v.autopilot, name);
    if (!enc) return { status: 'unsupported', message: `no mode "${name}" on ${this.v.autopilot}`, attempts: 0 };
    const r = await this.cmd(
      { command: common.MavCmd.DO_SET_MODE, params: p7(minimal.MavModeFlag.CUSTOM_MODE_ENABLED, enc.param2, enc.param3) },
      hooks,
    );
    if (r.status === 'success') this.acceptedMode = { customMode: enc.customMode, atMs: this.v.clock.nowMs() };
    return r;
  }

  /** The last mode change the vehicle accepted, until a HEARTBEAT has reported the mode since. */
  private acceptedMode: { customMode: number; atMs: number } | undefined;

  /**
   * The vehicle's mode as far as we know it: its last HEARTBEAT's, or a mode change it
   * accepted after that heartbeat (an arm sent at once after a set_mode meets the new mode
   * while the heartbeat, 1 Hz, still says the old one).
   */
  private currentModeName(): string | undefined {
    const hbMs = this.v.lastHeartbeatMs ?? -Infinity;
    const custom = this.acceptedMode && this.acceptedMode.atMs >= hbMs ? this.acceptedMode.customMode : this.v.telemetryState.customMode;
    return custom === undefined ? undefined : modeName(this.v.autopilot, custom);
  }

  setSpeed(speedMps: number, hooks?: CommandHooks): Promise<CommandResult> {
    return this.cmd(encodeChangeSpeed(speedMps), hooks);
  }

  /** Why a positional command makes no sense now (disarmed or on the ground), if it does not. */
  private notAirborne(): string | undefined {
    const s = this.v.telemetryState;
    if (s.armed === false) return 'vehicle is disarmed: arm and take off first';
    if (s.relAltMm !== undefined && s.relAltMm < 1000) return `vehicle is on the ground (${(s.relAltMm / 1000).toFixed(1)} m above home): take off first`;
    return undefined;
  }

  /**
   * Flies to a point and holds there: DO_REPOSITION by COMMAND_INT, encoded per autopilot
   * (PX4: GLOBAL_INT, AMSL). Speed: PX4 flies DO_REPOSITION's param1; ArduCopter ignores it
   * and resets its speed on entering GUIDED, so DO_CHANGE_SPEED follows once the
   * reposition (which puts it in GUIDED) is accepted. `commandedSpeedMps` says what the
   * vehicle accepted, for ETAs. Only on an ArduPilot without DO_REPOSITION does it fall
   * back to GUIDED + SET_POSITION_TARGET_GLOBAL_INT; never on PX4, which ignores that
   * outside Offboard.
   */
  async goto(to: GotoTarget, hooks: CommandHooks = {}): Promise<CommandResult> {
    const grounded = this.notAirborne();
    if (grounded) return { status: 'denied', message: `go-to refused: ${grounded}`, attempts: 0 };
    const ap = this.v.autopilot;
    const home = ap === 'px4' ? await homeAmslM(this.v) : undefined;
    const enc = encodeReposition(ap, to, { homeAmslM: home });
    if (!enc.ok) return { status: 'failed', message: `go-to not sent: ${enc.reason}`, attempts: 0 };
    let r = await this.cmd(enc.spec, hooks);
    if (r.status === 'unsupported' && ap === 'ardupilot') r = await this.gotoByPositionTarget(to, hooks);
    if (r.status !== 'success') return this.explainGotoRefusal(r, to);
    const mine = this.movement;
    const accepted = await this.gotoSpeed(to, r, hooks);
    // Accepted is not arrived (issue 14 item 3): the outcome is the vehicle at the point.
    hooks.onAccepted?.();
    const s = this.v.telemetryState;
    const fromM = s.latE7 !== undefined && s.lonE7 !== undefined ? distanceM({ latDeg: s.latE7 / 1e7, lonDeg: s.lonE7 / 1e7 }, to) : 0;
    const gotoMode = holdModeName(ap);
    return awaitArrival(
      this.v,
      to,
      {
        withinMs: arrivalBudgetMs(fromM, accepted.commandedSpeedMps ?? to.speedMps, this.t.takeoffClimbMs),
        stillCurrent: () => this.movement === mine,
        flyingModeOk: () => sameMode(ap, gotoMode, modeNameOf(this.v)) || (this.v.telemetryState.customMode === undefined),
      },
      accepted,
      hooks,
    );
  }

  /**
   * Whether the vehicle enforces the fence it holds: ArduCopter once DO_FENCE_ENABLE was
   * accepted here, PX4 whenever a verified fence is uploaded (it applies one by itself).
   */
  private fenceEnforced = false;

  /**
   * ArduCopter refuses a GUIDED target outside its enabled fence with a bare FAILED
   * (ModeGuided::set_destination → AC_Fence::check_destination_within_fence), no text: name
   * the likely cause when the target lies outside the fence the vehicle holds.
   */
  private explainGotoRefusal(r: CommandResult, to: GotoTarget): CommandResult {
    // FAILED for DO_REPOSITION; no evidence (timeout) for the SET_POSITION_TARGET fallback, which has no ack.
    if (r.status !== 'failed' && r.status !== 'timeout') return r;
    const fence = this.v.geofence;
    const enforced = this.v.autopilot === 'px4' ? fence.verified : this.fenceEnforced;
    if (!enforced || fence.items.length === 0) return r;
    const why = outsideFence(fence.items, to);
    if (!why) return r;
    const said = r.message ? `; the autopilot said: ${r.message}` : '';
    return { ...r, message: `target outside the vehicle's fence (${why}): the likely cause of the refusal${said}` };
  }

  /** ArduCopter resets its speed on entering GUIDED: DO_CHANGE_SPEED after the accepted reposition. */
  private async gotoSpeed(to: GotoTarget, r: CommandResult, hooks: CommandHooks): Promise<CommandResult> {
    const ap = this.v.autopilot;
    if (to.speedMps === undefined) return r;
    if (!speedNeedsChangeSpeed(ap)) return { ...r, commandedSpeedMps: to.speedMps };
    const sp = await this.setSpeed(to.speedMps, quiet(hooks));
    if (sp.status === 'success') return { ...r, commandedSpeedMps: to.speedMps, attempts: (r.attempts ?? 0) + (sp.attempts ?? 0) };
    // The vehicle is flying to the target, at its default speed: say so, do not hide it.
    return { ...r, message: `going to the target at the vehicle's default speed; DO_CHANGE_SPEED ${sp.status}${sp.message ? `: ${sp.message}` : ''}` };
  }

  /**
   * Turns the uploaded geofence on. ArduCopter (GCS_Fence.cpp): DO_FENCE_ENABLE param1 1
   * enables the fences in param2's bitmask that are present; param2 = 4 (polygon) asks
   * for the uploaded inclusion/exclusion polygons only, not the circle round home
   * (FENCE_RADIUS, 300 m by default) or the altitude fence, which would break every
   * dispatch farther than that. It answers FAILED when no polygon fence is loaded. PX4
   * has no DO_FENCE_ENABLE: its geofence acts (GF_ACTION) whenever one is uploaded, so
   * nothing is sent and the answer says so.
   */
  async enableFence(hooks: CommandHooks = {}): Promise<CommandResult> {
    if (this.v.autopilot === 'px4') return { status: 'success', message: 'PX4 applies an uploaded geofence by itself (GF_ACTION); nothing to send', attempts: 0 };
    // Right after boot ArduCopter answers FAILED until its polygon fence is loaded, which
    // waits for the EKF origin (seen on SITL: FAILED 1.5 s after "Fence Indexed OK", before
    // "EKF3 IMU0 origin set"), so FAILED is retried like an arm refusal during boot.
    const started = this.v.clock.nowMs();
    let attempts = 0;
    let sentOnce = false;
    for (;;) {
      const r = await this.cmd(
        { command: common.MavCmd.DO_FENCE_ENABLE, params: p7(1, FENCE_TYPE_POLYGON) },
        { ...hooks, onSent: () => (sentOnce ? undefined : ((sentOnce = true), hooks.onSent?.())) },
      );
      attempts += r.attempts ?? 0;
      if (r.status === 'success') this.fenceEnforced = true;
      if (r.status !== 'failed' && r.status !== 'temporarily_rejected') return { ...r, attempts };
      const elapsed = this.v.clock.nowMs() - started;
      if (hooks.signal?.aborted) return { status: 'cancelled', attempts, message: 'cancelled while waiting for the fence to load' };
      if (elapsed + this.t.armRetryIntervalMs > this.t.armReadyBudgetMs) {
        return { ...r, attempts, message: `fence not enabled after ${Math.round(elapsed / 1000)} s: ${r.message ?? 'no polygon fence loaded (is one uploaded, and the EKF origin set?)'}` };
      }
      hooks.onWaiting?.(`fence enable ${r.status} (polygon fence not loaded yet?); retrying, ${Math.round(elapsed / 1000)} s since first attempt`);
      await waitOrAbort(this.t.armRetryIntervalMs, hooks.signal);
    }
  }


  private async gotoByPositionTarget(to: GotoTarget, hooks?: CommandHooks): Promise<CommandResult> {
    if (!sameMode(this.v.autopilot, 'GUIDED', modeNameOf(this.v))) {
      const m = await this.setMode('GUIDED', quiet(hooks));
      if (m.status !== 'success') return { ...m, message: `GUIDED refused for go-to fallback: ${m.message ?? m.status}` };
    }
    return confirmPositionTarget(this.v, to, this.t, hooks);
  }
/** Circles a point (MAV_CMD_DO_ORBIT; PX4 and recent ArduPilot). */
  orbit(p: { latDeg: number; lonDeg: number; altRelM: number; radiusM: number; velocityMps?: number }, hooks?: CommandHooks) {
    return this.cmd(
      {
        command: common.MavCmd.DO_ORBIT,
        params: p7(p.radiusM, p.velocityMps ?? NaN7, NaN7, NaN7, Math.round(p.latDeg * 1e7), Math.round(p.lonDeg * 1e7), p.altRelM),
        int: { frame: common.MavFrame.GLOBAL_RELATIVE_ALT_INT },
      },
      hooks,
    );
  }

  /**
   * Holds the current position and altitude with no pilot: GUIDED on ArduCopter (its
   * LOITER takes the climb rate from RC throttle, and with no pilot it descends and lands),
   * Hold (AUTO.LOITER) on PX4. A vehicle already in that mode may be flying to an earlier
   * target, so the current position is then pinned with DO_REPOSITION.
   */
  async hold(hooks: CommandHooks = {}): Promise<CommandResult> {
    const grounded = this.notAirborne();
    if (grounded) return { status: 'denied', message: `hold refused: ${grounded}`, attempts: 0 };
    const ap = this.v.autopilot;
    const mode = holdModeName(ap);
    if (!sameMode(ap, mode, modeNameOf(this.v))) {
      const m = await this.setMode(mode, hooks);
      // Entering GUIDED / Hold stops at the current position by itself.
      if (m.status !== 'success') return m;
      return { ...m, message: `holding in ${mode}` };
    }
    const s = this.v.telemetryState;
    if (s.latE7 === undefined || s.lonE7 === undefined || s.relAltMm === undefined) {
      return { status: 'failed', message: 'hold: current position unknown', attempts: 0 };
    }
    const home = ap === 'px4' ? await homeAmslM(this.v) : undefined;
    const here = { latDeg: s.latE7 / 1e7, lonDeg: s.lonE7 / 1e7, altRelM: s.relAltMm / 1000 };
    const enc = encodeReposition(ap, here, { homeAmslM: home });
    if (!enc.ok) return { status: 'failed', message: `hold not sent: ${enc.reason}`, attempts: 0 };
    const r = await this.cmd(enc.spec, hooks);
    return r.status === 'success' ? { ...r, message: `holding in ${mode} at the current position` } : r;
  }

  /** Starts the uploaded mission; refused unless the plan was read back and matched. */
  startMission(hooks?: CommandHooks): Promise<CommandResult> {
    if (!this.v.mission.verified) {
      return Promise.resolve({ status: 'denied', message: 'mission not verified by read-back; upload it first', attempts: 0 });
    }
    return this.cmd({ command: common.MavCmd.MISSION_START, params: p7(0, 0) }, hooks);
  }
}

function modeNameOf(v: Pick<ActionContext, 'autopilot' | 'telemetryState'>): string {
  return modeName(v.autopilot, v.telemetryState.customMode ?? -1);
}

function waitOrAbort(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    // A retry's wait alone must not hold the process open once the service has closed
    // (while it runs, its links do); at Ctrl-C an arm retry in progress did, for up to 2 s.
    const t = setTimeout(done, ms).unref();
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
