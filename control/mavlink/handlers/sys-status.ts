import type { common } from 'node-mavlink';
import type { Handler } from './types.ts';

/** MAV_SYS_STATUS_PREARM_CHECK (bit 28): the arming checks pass. */
const PREARM_CHECK = 0x10000000;

/** SYS_STATUS: battery voltage (mV) and remaining (%, -1 = unknown); whether the arming checks have ever passed. */
export const handleSysStatus: Handler = (v, m) => {
  const s = m.data as common.SysStatus;
  if ((Number(s.onboardControlSensorsHealth) & PREARM_CHECK) !== 0) v.telemetryState.readySeen = true;
  if (s.voltageBattery !== 65535) v.telemetryState.batteryMv = s.voltageBattery;
  if (s.batteryRemaining >= 0) v.telemetryState.batteryPct = s.batteryRemaining;
};
