import type { common } from 'node-mavlink';
import type { Handler } from './types.ts';

/**
 * COMMAND_ACK: settles (or marks IN_PROGRESS) the command in flight with that MAV_CMD.
 * Only acks that GroundLink let through get here: from the drone's pinned address (and
 * signed, when it has a key), from its autopilot component, and addressed to us (see
 * `addressedToUs` in ground-link.ts), so another GCS's ack for the same MAV_CMD cannot
 * settle ours.
 */
export const handleCommandAck: Handler = (v, m) => {
  v.commands.onAck(m.data as common.CommandAck);
};
