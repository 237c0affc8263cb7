import { common } from 'node-mavlink';
import type { MavlinkMessage } from '../../../mavlink/link.ts';
import type { SimVehicle } from '../model/vehicle.ts';
import type { Peer } from '../transfer/mission-transfer.ts';
import { handleCommandInt } from './command-int.ts';
import { handleCommandLong } from './command-long.ts';
import { handleMissionAck } from './mission-ack.ts';
import { handleMissionClearAll } from './mission-clear-all.ts';
import { handleMissionCount } from './mission-count.ts';
import { handleMissionItem, handleMissionItemInt } from './mission-item.ts';
import { handleMissionRequest, handleMissionRequestInt } from './mission-request.ts';
import { handleMissionRequestList } from './mission-request-list.ts';
import { handleMissionSetCurrent } from './mission-set-current.ts';
import { handleRequestDataStream } from './request-data-stream.ts';
import { handleSetMode } from './set-mode.ts';
import { handleSetPositionTargetGlobalInt } from './set-position-target-global-int.ts';

export type Handler<T> = (v: SimVehicle, peer: Peer, data: T) => void;

/**
 * The one dispatcher: inbound message id → its handler. Anything else (GCS HEARTBEAT,
 * PARAM_*, RC overrides…) is ignored, as Copter ignores what it does not handle.
 */
export function dispatch(v: SimVehicle, peer: Peer, msg: MavlinkMessage): void {
  const d = msg.data;
  switch (msg.msgid) {
    case common.CommandLong.MSG_ID: return handleCommandLong(v, peer, d as common.CommandLong);
    case common.CommandInt.MSG_ID: return handleCommandInt(v, peer, d as common.CommandInt);
    case common.SetMode.MSG_ID: return handleSetMode(v, peer, d as common.SetMode);
    case common.SetPositionTargetGlobalInt.MSG_ID:
      return handleSetPositionTargetGlobalInt(v, peer, d as common.SetPositionTargetGlobalInt);
    case common.RequestDataStream.MSG_ID: return handleRequestDataStream(v, peer, d as common.RequestDataStream);
    case common.MissionCount.MSG_ID: return handleMissionCount(v, peer, d as common.MissionCount);
    case common.MissionItemInt.MSG_ID: return handleMissionItemInt(v, peer, d as common.MissionItemInt);
    case common.MissionItem.MSG_ID: return handleMissionItem(v, peer, d as common.MissionItem);
    case common.MissionRequestList.MSG_ID: return handleMissionRequestList(v, peer, d as common.MissionRequestList);
    case common.MissionRequestInt.MSG_ID: return handleMissionRequestInt(v, peer, d as common.MissionRequestInt);
    case common.MissionRequest.MSG_ID: return handleMissionRequest(v, peer, d as common.MissionRequest);
    case common.MissionAck.MSG_ID: return handleMissionAck(v, peer, d as common.MissionAck);
    case common.MissionClearAll.MSG_ID: return handleMissionClearAll(v, peer, d as common.MissionClearAll);
    case common.MissionSetCurrent.MSG_ID: return handleMissionSetCurrent(v, peer, d as common.MissionSetCurrent);
  }
}
