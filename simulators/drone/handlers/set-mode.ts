import { common, minimal } from 'node-mavlink';
import { modeName } from '../model/modes.ts';
import type { Handler } from './index.ts';

/**
 * SET_MODE (deprecated but still what many GCSs send). Copter answers with a COMMAND_ACK
 * for MAV_CMD_DO_SET_MODE: DENIED without the custom-mode flag, FAILED when refused.
 */
export const handleSetMode: Handler<common.SetMode> = (v, peer, m) => {
  v.commandAck(peer, common.MavCmd.DO_SET_MODE, setModeResult(v, m.baseMode, m.customMode));
};

export function setModeResult(v: Parameters<Handler<unknown>>[0], baseMode: number, customMode: number): number {
  if (!(baseMode & minimal.MavModeFlag.CUSTOM_MODE_ENABLED)) return common.MavResult.DENIED;
  const name = modeName(customMode);
  if (!name) return common.MavResult.FAILED;
  return v.ap.setMode(name) ? common.MavResult.ACCEPTED : common.MavResult.FAILED;
}
