import type { common } from 'node-mavlink';
import type { Handler } from './types.ts';

/** GPS_RAW_INT: fix type (GPS_FIX_TYPE) and satellites (255 = unknown). */
export const handleGpsRawInt: Handler = (v, m) => {
  const g = m.data as common.GpsRawInt;
  v.telemetryState.gpsFix = g.fixType;
  v.telemetryState.satellites = g.satellitesVisible;
};
