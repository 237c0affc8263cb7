import type { common } from 'node-mavlink';
import type { Handler } from './types.ts';

/** COMMAND_ACK: settles (or marks IN_PROGRESS) the command in flight with that MAV_CMD. */
export const handleCommandAck: Handler = (v, m) => {
  v.commands.onAck(m.data as common.CommandAck);
};
