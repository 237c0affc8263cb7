import type { Handler } from './types.ts';

export const handleMissionCount: Handler = (v, m) => {
  v.transfer?.onMessage(m.data);
};
