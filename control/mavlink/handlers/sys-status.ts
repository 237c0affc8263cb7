import type { common } from 'node-mavlink';
import type { Handler } from './types.ts';

/** SYS_STATUS: battery voltage (mV) and remaining (%, -1 = unknown). */
export const handleSysStatus: Handler = (v, m) => {
  const s = m.data as common.SysStatus;
  if (s.voltageBattery !== 65535) v.telemetryState.batteryMv = s.voltageBattery;
  if (s.batteryRemaining >= 0) v.telemetryState.batteryPct = s.batteryRemaining;
};
