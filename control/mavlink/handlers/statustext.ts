import type { common } from 'node-mavlink';
import type { Handler } from './types.ts';

/** STATUSTEXT: the autopilot's own words (PreArm failures, failsafes). */
export const handleStatusText: Handler = (v, m) => {
  const t = m.data as common.StatusText;
  // Text is NUL padded to 50 bytes; strip it and any control characters.
  let text = '';
  for (const ch of String(t.text ?? '')) text += ch.charCodeAt(0) < 0x20 ? ' ' : ch;
  text = text.replace(/ +/g, ' ').trim();
  if (text) v.statusText(t.severity, text);
};
