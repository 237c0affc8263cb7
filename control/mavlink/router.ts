import { common, minimal } from 'node-mavlink';
import type { MavlinkMessage } from '../../mavlink/index.ts';
import type { Vehicle } from '../vehicle/vehicle.ts';
import type { Handler } from './handlers/types.ts';
import { handleHeartbeat } from './handlers/heartbeat.ts';
import { handleGlobalPositionInt } from './handlers/global-position-int.ts';
import { handleSysStatus } from './handlers/sys-status.ts';
import { handleGpsRawInt } from './handlers/gps-raw-int.ts';
import { handleVfrHud } from './handlers/vfr-hud.ts';
import { handleMissionCurrent } from './handlers/mission-current.ts';
import { handleMissionItemReached } from './handlers/mission-item-reached.ts';
import { handleStatusText } from './handlers/statustext.ts';
import { handleCommandAck } from './handlers/command-ack.ts';
import { handleMissionRequest } from './handlers/mission-request-int.ts';
import { handleMissionAck } from './handlers/mission-ack.ts';
import { handleMissionCount } from './handlers/mission-count.ts';
import { handleMissionItem } from './handlers/mission-item-int.ts';
import { handlePositionTarget } from './handlers/position-target-global-int.ts';
import { handleHomePosition } from './handlers/home-position.ts';

/** The one table from inbound message id to its handler. */
const HANDLERS = new Map<number, Handler>([
  [minimal.Heartbeat.MSG_ID, handleHeartbeat],
  [common.GlobalPositionInt.MSG_ID, handleGlobalPositionInt],
  [common.SysStatus.MSG_ID, handleSysStatus],
  [common.GpsRawInt.MSG_ID, handleGpsRawInt],
  [common.VfrHud.MSG_ID, handleVfrHud],
  [common.MissionCurrent.MSG_ID, handleMissionCurrent],
  [common.MissionItemReached.MSG_ID, handleMissionItemReached],
  [common.StatusText.MSG_ID, handleStatusText],
  [common.CommandAck.MSG_ID, handleCommandAck],
  [common.MissionRequestInt.MSG_ID, handleMissionRequest],
  [common.MissionRequest.MSG_ID, handleMissionRequest],
  [common.MissionAck.MSG_ID, handleMissionAck],
  [common.MissionCount.MSG_ID, handleMissionCount],
  [common.MissionItemInt.MSG_ID, handleMissionItem],
  [common.MissionItem.MSG_ID, handleMissionItem],
  [common.PositionTargetGlobalInt.MSG_ID, handlePositionTarget],
  [common.HomePosition.MSG_ID, handleHomePosition],
]);

export interface RouterCounters {
  /** Messages of kinds we have no handler for (normal: autopilots send many). */
  unhandled: number;
  /** Handlers that threw: a bug, counted instead of crashing the link. */
  handlerErrors: number;
}

/** Dispatches one message addressed from a known vehicle. Never throws. */
export function routeMessage(v: Vehicle, m: MavlinkMessage, nowMs: number, counters: RouterCounters): void {
  const h = HANDLERS.get(m.msgid);
  if (!h) {
    counters.unhandled++;
    return;
  }
  try {
    h(v, m, nowMs);
  } catch {
    counters.handlerErrors++;
  }
}
