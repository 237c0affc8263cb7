import type { common } from 'node-mavlink';
import type { Handler } from './index.ts';

/** REQUEST_DATA_STREAM: sets a stream group's rate on this channel (no ack, as ArduPilot). */
export const handleRequestDataStream: Handler<common.RequestDataStream> = (v, peer, m) => {
  v.streams(peer.ch)?.requestDataStream(m.reqStreamId, m.reqMessageRate, m.startStop !== 0, v.nowMs);
};
