import { minimal } from 'node-mavlink';

/**
 * The HEARTBEAT a ground station sends: type GCS, no autopilot, no mode, active. The link
 * thread's heartbeat frames and a main-thread link's own heartbeat both send this one, so
 * a vehicle hears the same ground station whichever thread carries its link.
 */
export function gcsHeartbeatMessage(): minimal.Heartbeat {
  const hb = new minimal.Heartbeat();
  hb.type = minimal.MavType.GCS;
  hb.autopilot = minimal.MavAutopilot.INVALID;
  hb.baseMode = 0 as minimal.MavModeFlag;
  hb.customMode = 0;
  hb.systemStatus = minimal.MavState.ACTIVE;
  // MAVLink 2's protocol version as HEARTBEAT carries it (common.xml: mavlink_version).
  hb.mavlinkVersion = 3;
  return hb;
}
