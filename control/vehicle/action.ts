import { common, minimal } from 'node-mavlink';
import type { ControlTimeouts } from '../timeouts.ts';
import type { CommandHooks, CommandSpec } from './command-sender.ts';
import { encodeMode, modeName, sameMode } from './modes.ts';
import { confirmPositionTarget } from './position-target.ts';
import type { CommandResult } from './result.ts';
import type { Vehicle } from './vehicle.ts';

const NaN7 = Number.NaN;
const p7 = (...p: number[]): CommandSpec['params'] => {
  const out = [0, 0, 0, 0, 0, 0, 0] as CommandSpec['params'];
  p.forEach((v, i) => (out[i] = v));
  return out;
};

/** ArduPilot's words for "the EKF has no position yet" (AP_Arming / prearm checks). */
const ESTIMATE_MISSING = /position estimate|need 3d fix|gps.*(fix|lock)|ekf|waiting for home|bad gps/i;

export interface GotoTarget {
  latDeg: number;
  lonDeg: number;
  altRelM: number;
  /** Ground speed to fly at; the vehicle default when omitted. */
  speedMps?: number;
}

/**
 * Action capability (MAVSDK Action): one method per vehicle action, each returning the
 * one CommandResult type. Hooks let the ledger see sends and the vehicle's acks.
 */
export class ActionApi {
  constructor(
    private readonly v: Vehicle,
    private readonly t: ControlTimeouts,
  ) {}

  private cmd(spec: CommandSpec, hooks?: CommandHooks): Promise<CommandResult> {
    if (!this.v.online) return Promise.resolve({ status: 'link_lost', message: 'vehicle offline', attempts: 0 });
    return this.v.commands.send(spec, hooks);
  }

  /**
   * Arms. ArduPilot refuses for the first seconds after boot ("PreArm: Need Position
   * Estimate"); that refusal is retried every `armRetryIntervalMs` within
   * `armEstimateBudgetMs`, and the final answer names the reason.
   */
  async arm(hooks: CommandHooks & { onWaiting?(reason: string): void } = {}): Promise<CommandResult> {
    const started = this.v.clock.nowMs();
    let sentOnce = false;
    let attempts = 0;
    for (let round = 0; round < 1000; round++) {
      const r = await this.cmd(
        { command: common.MavCmd.COMPONENT_ARM_DISARM, params: p7(1) },
        { ...hooks, onSent: () => (sentOnce ? undefined : ((sentOnce = true), hooks.onSent?.())) },
      );
      attempts += r.attempts ?? 0;
      if (r.status === 'success' || hooks.signal?.aborted) return { ...r, attempts };
      const refusedForEstimate =
        (r.status === 'failed' || r.status === 'denied' || r.status === 'temporarily_rejected') && ESTIMATE_MISSING.test(r.message ?? '');
      const elapsed = this.v.clock.nowMs() - started;
      if (!refusedForEstimate) return { ...r, attempts };
      if (elapsed + this.t.armRetryIntervalMs > this.t.armEstimateBudgetMs) {
        return { ...r, attempts, message: `arming refused, no position estimate after ${Math.round(elapsed / 1000)} s: ${r.message}` };
      }
      hooks.onWaiting?.(`arming refused: ${r.message}; retrying`);
      await waitOrAbort(this.t.armRetryIntervalMs, hooks.signal);
      if (hooks.signal?.aborted) return { status: 'cancelled', attempts, message: 'cancelled while waiting for a position estimate' };
    }
    return { status: 'failed', attempts, message: 'arm retry bound reached' };
  }

  disarm(hooks?: CommandHooks & { force?: boolean }): Promise<CommandResult> {
    // 21196 is the MAVLink magic number that forces a disarm in flight.
    return this.cmd({ command: common.MavCmd.COMPONENT_ARM_DISARM, params: p7(0, hooks?.force ? 21196 : 0) }, hooks);
  }

  takeoff(altRelM: number, hooks?: CommandHooks): Promise<CommandResult> {
    return this.cmd({ command: common.MavCmd.NAV_TAKEOFF, params: p7(0, 0, 0, NaN7, NaN7, NaN7, altRelM) }, hooks);
  }

  land(hooks?: CommandHooks): Promise<CommandResult> {
    return this.cmd({ command: common.MavCmd.NAV_LAND, params: p7(0, 0, 0, NaN7, NaN7, NaN7, NaN7) }, hooks);
  }

  rtl(hooks?: CommandHooks): Promise<CommandResult> {
    return this.cmd({ command: common.MavCmd.NAV_RETURN_TO_LAUNCH, params: p7() }, hooks);
  }

  setMode(name: string, hooks?: CommandHooks): Promise<CommandResult> {
    const enc = encodeMode(this.v.autopilot, name);
    if (!enc) return Promise.resolve({ status: 'unsupported', message: `no mode "${name}" on ${this.v.autopilot}`, attempts: 0 });
    return this.cmd(
      { command: common.MavCmd.DO_SET_MODE, params: p7(minimal.MavModeFlag.CUSTOM_MODE_ENABLED, enc.param2, enc.param3) },
      hooks,
    );
  }

  setSpeed(speedMps: number, hooks?: CommandHooks): Promise<CommandResult> {
    // param1 = 1: ground speed; param3 = -1: throttle unchanged.
    return this.cmd({ command: common.MavCmd.DO_CHANGE_SPEED, params: p7(1, speedMps, -1) }, hooks);
  }

  /**
   * Flies to a point and holds there. DO_REPOSITION by COMMAND_INT (PX4, ArduPilot 4.1+);
   * when the vehicle does not know it, GUIDED + SET_POSITION_TARGET_GLOBAL_INT, confirmed
   * by the vehicle reporting that target back in POSITION_TARGET_GLOBAL_INT.
   */
  async goto(to: GotoTarget, hooks?: CommandHooks): Promise<CommandResult> {
    const r = await this.cmd(
      {
        command: common.MavCmd.DO_REPOSITION,
        // param2 bit 0 MAV_DO_REPOSITION_FLAGS_CHANGE_MODE: switch to guided if needed.
        params: p7(to.speedMps ?? -1, 1, 0, NaN7, Math.round(to.latDeg * 1e7), Math.round(to.lonDeg * 1e7), to.altRelM),
        int: { frame: common.MavFrame.GLOBAL_RELATIVE_ALT_INT },
      },
      hooks,
    );
    if (r.status !== 'unsupported') return r;
    return this.gotoByPositionTarget(to, hooks);
  }

  private async gotoByPositionTarget(to: GotoTarget, hooks?: CommandHooks): Promise<CommandResult> {
    const guided = this.v.telemetryState.customMode;
    const inGuided = guided !== undefined && sameMode(this.v.autopilot, 'GUIDED', modeNameOf(this.v));
    if (!inGuided) {
      const m = await this.setMode('GUIDED', { ...hooks, onSent: undefined });
      if (m.status !== 'success') return { ...m, message: `GUIDED refused for go-to fallback: ${m.message ?? m.status}` };
    }
    if (to.speedMps !== undefined) await this.setSpeed(to.speedMps, { ...hooks, onSent: undefined });
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

  /** Holds the current position (LOITER on ArduPilot, Hold on PX4). */
  loiter(hooks?: CommandHooks): Promise<CommandResult> {
    return this.setMode('LOITER', hooks);
  }

  /** Starts the uploaded mission; refused unless the plan was read back and matched. */
  startMission(hooks?: CommandHooks): Promise<CommandResult> {
    if (!this.v.mission.verified) {
      return Promise.resolve({ status: 'denied', message: 'mission not verified by read-back; upload it first', attempts: 0 });
    }
    return this.cmd({ command: common.MavCmd.MISSION_START, params: p7(0, 0) }, hooks);
  }
}

function modeNameOf(v: Vehicle): string {
  return modeName(v.autopilot, v.telemetryState.customMode ?? -1);
}

function waitOrAbort(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
