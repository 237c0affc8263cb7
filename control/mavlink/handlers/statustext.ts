import type { common } from 'node-mavlink';
import type { Handler } from './types.ts';

/**
 * STATUSTEXT: the autopilot's own words (PreArm failures, failsafes). Every message goes
 * through the vehicle's reassembler (statustext-chunks.ts) untrimmed: a chunk's length
 * marks the last one.
 */
export const handleStatusText: Handler = (v, m) => {
  const t = m.data as common.StatusText;
  // The parser cuts the NUL padding; control characters become spaces.
  let text = '';
  for (const ch of String(t.text ?? '')) text += ch.charCodeAt(0) < 0x20 ? ' ' : ch;
  v.statusTextChunk(t.severity, text, t.id, t.chunkSeq);
};
