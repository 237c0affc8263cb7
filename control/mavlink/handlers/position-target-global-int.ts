import type { common } from 'node-mavlink';
import type { Handler } from './types.ts';

/** POSITION_TARGET_GLOBAL_INT: the vehicle's confirmation of a guided target. */
export const handlePositionTarget: Handler = (v, m) => {
  v.emit('position_target', m.data as common.PositionTargetGlobalInt);
};
