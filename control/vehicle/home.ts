import { common } from 'node-mavlink';
import { positionValid } from './telemetry-state.ts';
import type { VehicleAsk } from './vehicle-context.ts';

/**
 * Home's altitude AMSL, in metres. From HOME_POSITION when the vehicle sent one; else it
 * is asked for (MAV_CMD_REQUEST_MESSAGE) and awaited; else, when the vehicle streams a
 * valid position, derived from GLOBAL_POSITION_INT (alt − relative_alt, both from the same
 * estimator, relative to the same home). Undefined when none of that is known: callers
 * that need AMSL (PX4 take-off and reposition) then refuse with a clear reason.
 */
export async function homeAmslM(v: VehicleAsk): Promise<number | undefined> {
  const s = v.telemetryState;
  if (s.homeAmslMm !== undefined) return s.homeAmslMm / 1000;
  const asked = await v.commands.send({ command: common.MavCmd.REQUEST_MESSAGE, params: [common.HomePosition.MSG_ID, 0, 0, 0, 0, 0, 0] });
  if (asked.status === 'success') {
    const untilMs = v.clock.nowMs() + 2 * v.timeouts.commandAckMs;
    while (s.homeAmslMm === undefined && v.clock.nowMs() < untilMs && v.online) await new Promise((r) => setTimeout(r, 20));
    if (s.homeAmslMm !== undefined) return s.homeAmslMm / 1000;
  }
  if (positionValid(s) && s.altAmslMm !== undefined && s.relAltMm !== undefined) return (s.altAmslMm - s.relAltMm) / 1000;
  return undefined;
}
