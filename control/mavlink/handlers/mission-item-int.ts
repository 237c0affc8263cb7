import type { Handler } from './types.ts';

/** MISSION_ITEM_INT and the legacy float MISSION_ITEM, answers during a download. */
export const handleMissionItem: Handler = (v, m) => {
  v.transfer?.onMessage(m.data);
};
