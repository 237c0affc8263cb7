import { minimal } from 'node-mavlink';
import type { Handler } from './types.ts';

/**
 * HEARTBEAT: liveness, armed state, flight mode, autopilot family. Only the autopilot's
 * heartbeat counts (cameras, gimbals and other GCSs on the same system id also send one).
 */
export const handleHeartbeat: Handler = (v, m, nowMs) => {
  const hb = m.data as minimal.Heartbeat;
  if (hb.autopilot === minimal.MavAutopilot.INVALID || hb.type === minimal.MavType.GCS) return;
  v.componentId = m.compid;
  if (hb.autopilot === minimal.MavAutopilot.PX4) v.autopilot = 'px4';
  else if (hb.autopilot === minimal.MavAutopilot.ARDUPILOTMEGA) v.autopilot = 'ardupilot';
  v.telemetryState.customMode = hb.customMode;
  v.telemetryState.armed = (hb.baseMode & minimal.MavModeFlag.SAFETY_ARMED) !== 0;
  if (v.telemetryState.armed) v.telemetryState.readySeen = true;
  v.heartbeatSeen(nowMs);
};
