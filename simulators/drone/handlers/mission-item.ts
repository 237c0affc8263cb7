import { common } from 'node-mavlink';
import { xyE7 } from '../../../protocol/mission-item.ts';
import type { StoredItem } from '../model/mission-store.ts';
import type { Handler } from './index.ts';

export const handleMissionItemInt: Handler<common.MissionItemInt> = (v, peer, m) => {
  v.transfer.onItem(peer, stored(m, false), v.nowMs);
};

/** Legacy MISSION_ITEM: float degrees, converted as ArduPilot's convert_MISSION_ITEM_to_MISSION_ITEM_INT does. */
export const handleMissionItem: Handler<common.MissionItem> = (v, peer, m) => {
  v.transfer.onItem(peer, stored(m, true), v.nowMs, true);
};

function stored(m: common.MissionItemInt | common.MissionItem, legacy: boolean): StoredItem {
  return {
    seq: m.seq, frame: m.frame, command: m.command, current: m.current, autocontinue: m.autocontinue,
    param1: m.param1, param2: m.param2, param3: m.param3, param4: m.param4, ...xyE7(m, legacy), z: m.z, missionType: m.missionType ?? 0,
  };
}
