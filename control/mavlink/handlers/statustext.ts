import type { common } from 'node-mavlink';
import type { Handler } from './types.ts';

/** STATUSTEXT: the autopilot's own words (PreArm failures, failsafes). */
export const handleStatusText: Handler = (v, m) => {
  const t = m.data as common.StatusText;
  // Text is NUL padded to 50 bytes; strip it and any control characters.
  const text = String(t.text ?? '').replace(/[\u0000-\u001f]+/g, ' ').trim();
  if (text) v.statusText(t.severity, text);
};
