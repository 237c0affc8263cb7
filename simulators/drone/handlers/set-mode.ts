import { common, minimal } from 'node-mavlink';
import type { ModeName } from '../model/modes.ts';
import type { Handler } from './index.ts';

/**
 * SET_MODE (deprecated but still what many GCSs send). Answered with a COMMAND_ACK for
 * MAV_CMD_DO_SET_MODE: DENIED without the custom-mode flag, FAILED when refused.
 */
export const handleSetMode: Handler<common.SetMode> = (v, peer, m) => {
  v.withCommandTexts(() => {
    v.commandAck(peer, common.MavCmd.DO_SET_MODE, setModeResult(v, m.baseMode, v.personality.modeFromCustomMode(m.customMode)));
  });
};

export function setModeResult(v: Parameters<Handler<unknown>>[0], baseMode: number, mode: ModeName | undefined): number {
  if (!(baseMode & minimal.MavModeFlag.CUSTOM_MODE_ENABLED)) return common.MavResult.DENIED;
  if (!mode) return common.MavResult.FAILED;
  return v.ap.setMode(mode) ? common.MavResult.ACCEPTED : common.MavResult.FAILED;
}
