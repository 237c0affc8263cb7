import { minimal } from 'node-mavlink';

/**
 * An ArduCopter HEARTBEAT as a flight controller sends it: quadrotor, ArduPilot, custom
 * mode enabled, standby. `customMode` 4 is GUIDED, 5 LOITER. The signing test's frame
 * from the MAVLink C library was packed with exactly these fields and mode 4.
 */
export function copterHeartbeat(customMode = 4): minimal.Heartbeat {
  const hb = new minimal.Heartbeat();
  hb.type = minimal.MavType.QUADROTOR;
  hb.autopilot = minimal.MavAutopilot.ARDUPILOTMEGA;
  hb.baseMode = minimal.MavModeFlag.CUSTOM_MODE_ENABLED;
  hb.customMode = customMode;
  hb.systemStatus = minimal.MavState.STANDBY;
  hb.mavlinkVersion = 3;
  return hb;
}
