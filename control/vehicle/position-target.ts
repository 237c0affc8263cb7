import { common } from 'node-mavlink';
import type { ControlTimeouts } from '../timeouts.ts';
import type { CommandHooks } from './command-sender.ts';
import type { CommandResult } from './result.ts';
import type { GotoTarget } from './action.ts';
import type { Vehicle } from './vehicle.ts';

/** Type mask: use position only (ignore velocity, acceleration, yaw, yaw rate). */
const POSITION_ONLY = 0b0000_1101_1111_1000;

/**
 * SET_POSITION_TARGET_GLOBAL_INT has no ack in MAVLink. The vehicle confirms either by
 * reporting the target in POSITION_TARGET_GLOBAL_INT (ArduPilot streams it in GUIDED), or
 * by its own telemetry: moving towards the target (velocity within 45° of the bearing at
 * > 0.5 m/s) or already holding within 3 m of it. Only such evidence from the vehicle counts
 * as success, so the ledger never runs ahead of the drone.
 */
export function confirmPositionTarget(v: Vehicle, to: GotoTarget, t: ControlTimeouts, hooks?: CommandHooks): Promise<CommandResult> {
  const latE7 = Math.round(to.latDeg * 1e7);
  const lonE7 = Math.round(to.lonDeg * 1e7);
  return new Promise((resolve) => {
    let attempts = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (r: CommandResult) => {
      if (timer) clearTimeout(timer);
      v.off('message', onMessage);
      v.off('link_lost', onLost);
      hooks?.signal?.removeEventListener('abort', onAbort);
      resolve({ ...r, attempts });
    };
    const onMessage = (m: unknown) => {
      if (m instanceof common.PositionTargetGlobalInt) {
        if (Math.abs(m.latInt - latE7) <= 10 && Math.abs(m.lonInt - lonE7) <= 10) finish({ status: 'success', message: 'target reported by the vehicle' });
      } else if (m instanceof common.GlobalPositionInt && attempts > 0 && headingForTarget(m, latE7, lonE7)) {
        finish({ status: 'success', message: 'vehicle seen flying to the target' });
      }
    };
    const onLost = () => finish({ status: 'link_lost', message: 'link lost before the target was confirmed' });
    const onAbort = () => finish({ status: 'cancelled', message: 'cancelled by request' });
    const sendOnce = () => {
      if (attempts > t.commandRetries) {
        finish({ status: 'timeout', message: 'vehicle never reported the position target' });
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
    v.on('message', onMessage);
    v.on('link_lost', onLost);
    hooks?.signal?.addEventListener('abort', onAbort, { once: true });
    sendOnce();
  });
}

/** Is the vehicle at, or flying towards, the target? Equirectangular: fine over a few km. */
export function headingForTarget(g: common.GlobalPositionInt, latE7: number, lonE7: number): boolean {
  const northM = ((latE7 - g.lat) / 1e7) * 111_320;
  const eastM = ((lonE7 - g.lon) / 1e7) * 111_320 * Math.cos((g.lat / 1e7) * (Math.PI / 180));
  const distM = Math.hypot(northM, eastM);
  if (distM < 3) return true;
  const speed = Math.hypot(g.vx, g.vy) / 100;
  if (speed < 0.5) return false;
  const cos = (g.vx / 100 * northM + g.vy / 100 * eastM) / (speed * distM);
  return cos > Math.SQRT1_2;
}
