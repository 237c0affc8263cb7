import { common } from 'node-mavlink';
import type { ControlTimeouts } from '../timeouts.ts';
import type { CommandHooks } from './command-sender.ts';
import type { CommandResult } from './result.ts';
import type { GotoTarget } from './action.ts';
import type { VehicleLink, VehicleWatch } from './vehicle-context.ts';

/** Type mask: use position only (ignore velocity, acceleration, yaw, yaw rate). */
const POSITION_ONLY = 0b0000_1101_1111_1000;

/**
 * SET_POSITION_TARGET_GLOBAL_INT has no ack in MAVLink. A confirmation must be evidence
 * of the commanded motion, never of something else (PX4 SITL: a drone braking into Hold
 * 370 m from the target was once taken for "flying to the target"). Evidence is either
 * the vehicle reporting this very target in POSITION_TARGET_GLOBAL_INT (ArduPilot streams
 * it in GUIDED), or its own telemetry after our first send showing sustained motion
 * towards the target (see `motionTowards`), or it holding within 3 m of it.
 */
export function confirmPositionTarget(v: VehicleLink & VehicleWatch, to: GotoTarget, t: ControlTimeouts, hooks?: CommandHooks): Promise<CommandResult> {
  const latE7 = Math.round(to.latDeg * 1e7);
  const lonE7 = Math.round(to.lonDeg * 1e7);
  return new Promise((resolve) => {
    let attempts = 0;
    let timer: NodeJS.Timeout | undefined;
    const samples: MotionSample[] = [];
    const finish = (r: CommandResult) => {
      if (timer) clearTimeout(timer);
      v.off('position_target', onTarget);
      v.off('position', onPosition);
      v.off('link_lost', onLost);
      hooks?.signal?.removeEventListener('abort', onAbort);
      resolve({ ...r, attempts });
    };
    const onTarget = (m: common.PositionTargetGlobalInt) => {
      if (attempts === 0) return;
      if (Math.abs(m.latInt - latE7) <= 10 && Math.abs(m.lonInt - lonE7) <= 10) finish({ status: 'success', message: 'target reported by the vehicle' });
    };
    const onPosition = (g: common.GlobalPositionInt) => {
      if (attempts === 0) return;
      samples.push(sampleOf(g, latE7, lonE7));
      if (samples.length > MOTION_SAMPLES) samples.shift();
      const evidence = motionTowards(samples);
      if (evidence) finish({ status: 'success', message: evidence });
    };
    const onLost = () => finish({ status: 'link_lost', message: 'link lost before the target was confirmed' });
    const onAbort = () => finish({ status: 'cancelled', message: 'cancelled by request' });
    const sendOnce = () => {
      if (attempts > t.commandRetries) {
        finish({ status: 'timeout', message: 'no evidence of the vehicle flying to the target (no target report, no approach)' });
        return;
      }
      const m = new common.SetPositionTargetGlobalInt();
      m.timeBootMs = 0;
      m.targetSystem = v.systemId;
      m.targetComponent = v.componentId;
      m.coordinateFrame = common.MavFrame.GLOBAL_RELATIVE_ALT_INT;
      m.typeMask = POSITION_ONLY as common.PositionTargetTypemask;
      m.latInt = latE7;
      m.lonInt = lonE7;
      m.alt = to.altRelM;
      attempts++;
      v.send(m);
      if (attempts === 1) hooks?.onSent?.();
      timer = setTimeout(sendOnce, t.commandAckMs);
    };
    v.on('position_target', onTarget);
    v.on('position', onPosition);
    v.on('link_lost', onLost);
    hooks?.signal?.addEventListener('abort', onAbort, { once: true });
    sendOnce();
  });
}

/** One telemetry sample relative to the target. */
export interface MotionSample {
  distM: number;
  speedMps: number;
  /** Cosine of the angle between the velocity and the bearing to the target. */
  cosToTarget: number;
}

/** Consecutive samples needed as evidence of motion (4 Hz telemetry: ~0.75 s). */
export const MOTION_SAMPLES = 4;

export function sampleOf(g: common.GlobalPositionInt, latE7: number, lonE7: number): MotionSample {
  const northM = ((latE7 - g.lat) / 1e7) * 111_320;
  const eastM = ((lonE7 - g.lon) / 1e7) * 111_320 * Math.cos((g.lat / 1e7) * (Math.PI / 180));
  const distM = Math.hypot(northM, eastM);
  const speedMps = Math.hypot(g.vx, g.vy) / 100;
  const cosToTarget = speedMps > 0 && distM > 0 ? ((g.vx / 100) * northM + (g.vy / 100) * eastM) / (speedMps * distM) : 0;
  return { distM, speedMps, cosToTarget };
}

/**
 * Evidence that the vehicle flies the commanded motion, or undefined. Pure. Either it is
 * within 3 m of the target in the last two samples, or over the last `MOTION_SAMPLES`
 * samples it heads for the target (within 45°, > 0.5 m/s), gets closer in each, and does
 * not slow down: a vehicle braking into a hold decelerates, whichever way it points.
 */
export function motionTowards(samples: readonly MotionSample[]): string | undefined {
  const n = samples.length;
  if (n >= 2 && samples[n - 1]!.distM < 3 && samples[n - 2]!.distM < 3) return 'vehicle holding at the target';
  if (n < MOTION_SAMPLES) return undefined;
  const last = samples.slice(-MOTION_SAMPLES);
  const heading = last.every((s) => s.speedMps > 0.5 && s.cosToTarget > Math.SQRT1_2);
  const closing = last.every((s, i) => i === 0 || s.distM < last[i - 1]!.distM);
  const notBraking = last.every((s, i) => i === 0 || s.speedMps >= last[i - 1]!.speedMps - 0.2);
  return heading && closing && notBraking ? 'vehicle seen flying to the target (closing, not slowing)' : undefined;
}
