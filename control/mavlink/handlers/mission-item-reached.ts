import type { common } from 'node-mavlink';
import type { Handler } from './types.ts';

export const handleMissionItemReached: Handler = (v, m) => {
  v.emit('mission_item_reached', (m.data as common.MissionItemReached).seq);
};
