import { common } from 'node-mavlink';
import type { ControlTimeouts } from '../timeouts.ts';
import type { CommandHooks } from './command-sender.ts';
import type { CommandResult } from './result.ts';
import type { GotoTarget } from './action.ts';
import type { Vehicle } from './vehicle.ts';

/** Type mask: use position only (ignore velocity, acceleration, yaw, yaw rate). */
const POSITION_ONLY = 0b0000_1101_1111_1000;

/**
 * SET_POSITION_TARGET_GLOBAL_INT has no ack in MAVLink. The vehicle confirms by reporting
 * the target it now flies to in POSITION_TARGET_GLOBAL_INT (ArduPilot streams it in
 * GUIDED); only that report counts as success, so the ledger never runs ahead of the drone.
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
      if (!(m instanceof common.PositionTargetGlobalInt)) return;
      if (Math.abs(m.latInt - latE7) <= 10 && Math.abs(m.lonInt - lonE7) <= 10) finish({ status: 'success' });
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
