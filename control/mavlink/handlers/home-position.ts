import type { common } from 'node-mavlink';
import type { Handler } from './types.ts';

/** HOME_POSITION: home's altitude AMSL (mm), which PX4 needs for AMSL take-off and reposition, and where an RTL must land. */
export const handleHomePosition: Handler = (v, m) => {
  const h = m.data as common.HomePosition;
  // Before the EKF has an origin some autopilots report 0,0; that is no home.
  if (h.latitude === 0 && h.longitude === 0) return;
  v.telemetryState.homeAmslMm = h.altitude;
  v.telemetryState.homeLatE7 = h.latitude;
  v.telemetryState.homeLonE7 = h.longitude;
};
