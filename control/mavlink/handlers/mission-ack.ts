import type { Handler } from './types.ts';

export const handleMissionAck: Handler = (v, m) => {
  v.transfer?.onMessage(m.data);
};
