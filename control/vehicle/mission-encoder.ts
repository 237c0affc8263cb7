import { common } from 'node-mavlink';
import { encodeMission } from './autopilot-encoding.ts';
import type { FenceStep, LatLon, MissionStep } from './mission-steps.ts';
import type { Autopilot } from './modes.ts';
import type { PlanItem } from './plan-item.ts';

/**
 * The one place that turns mission and fence steps (mission-steps.ts, the planner's
 * words) into mission-protocol items: which MAV_CMD, which parameter carries what, and
 * the wire sequence arithmetic. Frames per autopilot come from autopilot-encoding.ts.
 * Pure: no I/O, no clock.
 *
 * Wire sequence: ArduPilot keeps home as mission item 0, so the first step is wire item 1
 * and DO_JUMP targets and MISSION_ITEM_REACHED sequences are one above the step index;
 * PX4 keeps home outside the mission, so they are equal. Fence and rally lists have no
 * home item on either.
 */

const Cmd = common.MavCmd;
const e7 = (deg: number) => Math.round(deg * 1e7);

/** Wire sequence of step 0 of a mission: 1 on ArduPilot (item 0 is home), 0 on PX4. */
export function missionSeqOffset(autopilot: Autopilot): number {
  return autopilot === 'ardupilot' ? 1 : 0;
}

/** The step a mission's wire sequence stands for (MISSION_ITEM_REACHED, MISSION_CURRENT); undefined for home or past the end. */
export function missionStepIndexOfSeq(autopilot: Autopilot, seq: number, stepCount: number): number | undefined {
  const i = seq - missionSeqOffset(autopilot);
  return Number.isInteger(i) && i >= 0 && i < stepCount ? i : undefined;
}

class StepError extends RangeError {
  constructor(list: 'mission' | 'fence', index: number, what: string) {
    super(`${list} step ${index}: ${what}`);
    this.name = 'StepError';
  }
}

function checkFinite(list: 'mission' | 'fence', index: number, fields: Record<string, number>): void {
  for (const [name, v] of Object.entries(fields)) if (!Number.isFinite(v)) throw new StepError(list, index, `${name} must be a finite number (got ${v})`);
}

function checkPoint(list: 'mission' | 'fence', index: number, p: LatLon, name = 'point'): void {
  checkFinite(list, index, { [`${name}.latDeg`]: p.latDeg, [`${name}.lonDeg`]: p.lonDeg });
  if (Math.abs(p.latDeg) > 90 || Math.abs(p.lonDeg) > 180) throw new StepError(list, index, `${name} (${p.latDeg}, ${p.lonDeg}) is not a latitude/longitude in degrees`);
}

/** One item; x/y/z are a position only for positional commands (autopilot-encoding.ts zeroes the rest). */
function item(command: number, params: [number, number, number, number], at?: LatLon, z = 0): PlanItem {
  return {
    command,
    // Mission heights are above home; autopilot-encoding.ts puts DO_* items in MISSION frame.
    frame: common.MavFrame.GLOBAL_RELATIVE_ALT_INT,
    param1: params[0],
    param2: params[1],
    param3: params[2],
    param4: params[3],
    x: at ? e7(at.latDeg) : 0,
    y: at ? e7(at.lonDeg) : 0,
    z,
    autocontinue: true,
  };
}

function missionItem(step: MissionStep, index: number, autopilot: Autopilot): PlanItem {
  switch (step.kind) {
    case 'takeoff':
      checkFinite('mission', index, { altRelM: step.altRelM });
      if (step.at) checkPoint('mission', index, step.at, 'at');
      // In a mission both autopilots read NAV_TAKEOFF's altitude in the item's frame (above home).
      return item(Cmd.NAV_TAKEOFF, [0, 0, 0, 0], step.at, step.altRelM);
    case 'speed':
      checkFinite('mission', index, { speedMps: step.speedMps });
      if (step.speedMps <= 0) throw new StepError('mission', index, `speedMps must be above 0 (got ${step.speedMps})`);
      // param1 1 = ground speed, param3 -1 = throttle unchanged.
      return item(Cmd.DO_CHANGE_SPEED, [1, step.speedMps, -1, 0]);
    case 'waypoint': {
      checkPoint('mission', index, step);
      checkFinite('mission', index, { altRelM: step.altRelM, acceptRadiusM: step.acceptRadiusM ?? 0, holdS: step.holdS ?? 0 });
      if ((step.acceptRadiusM ?? 0) < 0 || (step.holdS ?? 0) < 0) throw new StepError('mission', index, 'acceptRadiusM and holdS must not be negative');
      // param1 hold s (whole seconds: ArduPilot stores no fraction, and the read-back must
      // compare equal), param2 acceptance radius m (0 = the autopilot's WPNAV_RADIUS /
      // NAV_ACC_RAD), param4 yaw 0 as the planner has always sent it.
      return item(Cmd.NAV_WAYPOINT, [Math.round(step.holdS ?? 0), step.acceptRadiusM ?? 0, 0, 0], step, step.altRelM);
    }
    case 'loiter':
      checkPoint('mission', index, step);
      checkFinite('mission', index, { altRelM: step.altRelM, timeS: step.timeS });
      if (step.timeS < 0) throw new StepError('mission', index, `timeS must not be negative (got ${step.timeS})`);
      // NAV_LOITER_TIME: param1 time in whole seconds (ArduPilot's uint16); param2 0 =
      // leave without waiting for heading; param3 0 = the autopilot's own loiter radius.
      return item(Cmd.NAV_LOITER_TIME, [Math.round(step.timeS), 0, 0, 0], step, step.altRelM);
    case 'loop': {
      if (!Number.isInteger(step.toStepIndex) || step.toStepIndex < 0 || step.toStepIndex >= index) {
        throw new StepError('mission', index, `loop target ${step.toStepIndex} must be an earlier step (0..${index - 1})`);
      }
      if (!Number.isInteger(step.repeat) || step.repeat < 0) throw new StepError('mission', index, `loop repeat must be a whole number ≥ 0 (got ${step.repeat})`);
      // DO_JUMP: param1 = target wire sequence, param2 = repeats (after the first pass).
      return item(Cmd.DO_JUMP, [step.toStepIndex + missionSeqOffset(autopilot), step.repeat, 0, 0]);
    }
    case 'return':
      return item(Cmd.NAV_RETURN_TO_LAUNCH, [0, 0, 0, 0]);
  }
}

/**
 * A mission's items as this autopilot must receive them, one item per step, in step
 * order (ArduPilot's home item 0 is added by the plan transfer, PlanApi, not here).
 * Throws a RangeError naming the step and field for a step no autopilot could fly.
 */
export function encodeMissionSteps(autopilot: Autopilot, steps: readonly MissionStep[]): PlanItem[] {
  const raw = steps.map((s, i) => missionItem(s, i, autopilot));
  return encodeMission(autopilot, 'mission', raw);
}

function fenceVertices(command: number, points: readonly LatLon[], index: number): PlanItem[] {
  if (points.length < 3) throw new StepError('fence', index, `a polygon needs at least 3 vertices (got ${points.length})`);
  points.forEach((p, k) => checkPoint('fence', index, p, `points[${k}]`));
  // Every vertex carries its polygon's vertex count in param1: that is how the autopilot
  // tells where one polygon ends and the next begins.
  return points.map((p) => ({ command, frame: common.MavFrame.GLOBAL, param1: points.length, param2: 0, param3: 0, param4: 0, x: e7(p.latDeg), y: e7(p.lonDeg), z: 0, autocontinue: false }));
}

function fenceCircle(command: number, center: LatLon, radiusM: number, index: number): PlanItem {
  checkPoint('fence', index, center, 'center');
  checkFinite('fence', index, { radiusM });
  if (radiusM <= 0) throw new StepError('fence', index, `radiusM must be above 0 (got ${radiusM})`);
  return { command, frame: common.MavFrame.GLOBAL, param1: radiusM, param2: 0, param3: 0, param4: 0, x: e7(center.latDeg), y: e7(center.lonDeg), z: 0, autocontinue: false };
}

/**
 * A geofence's items, the same list for ArduPilot and PX4: every polygon (in step order)
 * before the first circle (circles in step order). PX4's Geofence::_updateFence (main,
 * March 2026) sets its "circle" flag at the first circle item and never clears it, so a
 * polygon vertex after a circle is read as a polygon of its own starting there, running
 * on into the next zones' items (PX4 SITL rejected the demo patrol with "Geofence
 * violation for waypoint 38" when the hospital circle came before the heronry polygon).
 * ArduPilot reads any order, so one order serves both and a fence reads back the same
 * from either. Throws a RangeError naming the step for a zone no autopilot could hold.
 */
export function encodeFenceSteps(steps: readonly FenceStep[]): PlanItem[] {
  const polygons: PlanItem[] = [];
  const circles: PlanItem[] = [];
  steps.forEach((s, i) => {
    switch (s.kind) {
      case 'fence_inclusion':
        polygons.push(...fenceVertices(Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION, s.points, i));
        break;
      case 'fence_exclusion':
        polygons.push(...fenceVertices(Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION, s.points, i));
        break;
      case 'fence_inclusion_circle':
        circles.push(fenceCircle(Cmd.NAV_FENCE_CIRCLE_INCLUSION, s.center, s.radiusM, i));
        break;
      case 'fence_exclusion_circle':
        circles.push(fenceCircle(Cmd.NAV_FENCE_CIRCLE_EXCLUSION, s.center, s.radiusM, i));
        break;
    }
  });
  return [...polygons, ...circles];
}
