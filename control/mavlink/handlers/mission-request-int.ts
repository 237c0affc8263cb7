import type { Handler } from './types.ts';

/**
 * MISSION_REQUEST_INT and the deprecated MISSION_REQUEST (still sent by older ArduPilot
 * and some companion stacks): both ask for one item during an upload.
 */
export const handleMissionRequest: Handler = (v, m) => {
  v.transfer?.onMessage(m.data);
};
