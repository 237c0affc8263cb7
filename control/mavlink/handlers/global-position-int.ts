import type { common } from 'node-mavlink';
import type { Handler } from './types.ts';

/** GLOBAL_POSITION_INT: fused position (degE7), AMSL and relative altitude (mm), velocity (cm/s), heading (cdeg). */
export const handleGlobalPositionInt: Handler = (v, m, nowMs) => {
  const g = m.data as common.GlobalPositionInt;
  const s = v.telemetryState;
  s.latE7 = g.lat;
  s.lonE7 = g.lon;
  s.altAmslMm = g.alt;
  s.relAltMm = g.relativeAlt;
  s.hdgCdeg = g.hdg;
  s.vxCmps = g.vx;
  s.vyCmps = g.vy;
  s.vzCmps = g.vz;
  s.lastPositionMs = nowMs;
  // Only a go-to fallback listens (see position-target.ts); emit is free otherwise.
  if (v.listenerCount('position') > 0) v.emit('position', g);
};
