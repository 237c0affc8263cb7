import type { common } from 'node-mavlink';
import type { Handler } from './types.ts';

/** VFR_HUD: ground speed (m/s), the autopilot's own estimate. */
export const handleVfrHud: Handler = (v, m) => {
  const h = m.data as common.VfrHud;
  v.telemetryState.groundSpeedMps = h.groundspeed;
};
