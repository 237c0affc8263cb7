import { common } from 'node-mavlink';
import { xyE7, type MissionItemFields } from '../../protocol/mission-item.ts';

/** A mission/fence/rally item as the mission protocol carries it (MISSION_ITEM_INT units). */
export interface PlanItem extends MissionItemFields {
  autocontinue: boolean;
}

export type MissionType = 'mission' | 'fence' | 'rally';

export const MISSION_TYPE_CODE: Record<MissionType, number> = {
  mission: common.MavMissionType.MISSION,
  fence: common.MavMissionType.FENCE,
  rally: common.MavMissionType.RALLY,
};

type Target = { systemId: number; componentId: number };

/** The one item message we send (ArduPilot and PX4 accept it whichever request came). */
export function toMissionItemInt(item: PlanItem, seq: number, type: MissionType, target: Target): common.MissionItemInt {
  const m = new common.MissionItemInt();
  m.targetSystem = target.systemId;
  m.targetComponent = target.componentId;
  m.seq = seq;
  m.frame = item.frame;
  m.command = item.command;
  m.current = 0;
  m.autocontinue = item.autocontinue ? 1 : 0;
  m.param1 = item.param1;
  m.param2 = item.param2;
  m.param3 = item.param3;
  m.param4 = item.param4;
  m.x = item.x;
  m.y = item.y;
  m.z = item.z;
  m.missionType = MISSION_TYPE_CODE[type];
  return m;
}

/** A downloaded item; a legacy float MISSION_ITEM carries lat/lon in degrees. */
export function fromMissionItem(m: common.MissionItemInt | common.MissionItem, legacy: boolean): PlanItem {
  return {
    command: m.command,
    frame: m.frame,
    param1: m.param1,
    param2: m.param2,
    param3: m.param3,
    param4: m.param4,
    ...xyE7(m, legacy),
    z: m.z,
    autocontinue: m.autocontinue !== 0,
  };
}

const e7 = (deg: number) => Math.round(deg * 1e7);

/** A NAV_WAYPOINT at a height above home. */
export function waypoint(p: { latDeg: number; lonDeg: number; altRelM: number; holdS?: number; acceptRadiusM?: number }): PlanItem {
  return {
    command: common.MavCmd.NAV_WAYPOINT,
    frame: common.MavFrame.GLOBAL_RELATIVE_ALT_INT,
    param1: p.holdS ?? 0,
    param2: p.acceptRadiusM ?? 0,
    param3: 0,
    param4: Number.NaN,
    x: e7(p.latDeg),
    y: e7(p.lonDeg),
    z: p.altRelM,
    autocontinue: true,
  };
}

/** The vertices of one inclusion (or exclusion) polygon fence. */
export function fencePolygon(points: { latDeg: number; lonDeg: number }[], inclusion = true): PlanItem[] {
  return points.map((pt) => ({
    command: inclusion ? common.MavCmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION : common.MavCmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION,
    frame: common.MavFrame.GLOBAL,
    param1: points.length,
    param2: 0,
    param3: 0,
    param4: 0,
    x: e7(pt.latDeg),
    y: e7(pt.lonDeg),
    z: 0,
    autocontinue: false,
  }));
}

/** A circular exclusion zone (a no-fly zone). */
export function fenceExclusionCircle(center: { latDeg: number; lonDeg: number }, radiusM: number): PlanItem {
  return {
    command: common.MavCmd.NAV_FENCE_CIRCLE_EXCLUSION,
    frame: common.MavFrame.GLOBAL,
    param1: radiusM,
    param2: 0,
    param3: 0,
    param4: 0,
    x: e7(center.latDeg),
    y: e7(center.lonDeg),
    z: 0,
    autocontinue: false,
  };
}

export function rallyPoint(p: { latDeg: number; lonDeg: number; altRelM: number }): PlanItem {
  return {
    command: common.MavCmd.NAV_RALLY_POINT,
    frame: common.MavFrame.GLOBAL_RELATIVE_ALT,
    param1: 0,
    param2: 0,
    param3: 0,
    param4: 0,
    x: e7(p.latDeg),
    y: e7(p.lonDeg),
    z: p.altRelM,
    autocontinue: false,
  };
}
