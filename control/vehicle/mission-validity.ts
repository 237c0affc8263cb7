import { common } from 'node-mavlink';
import type { TimedText } from './refusal-reason.ts';

/**
 * Does the vehicle hold the uploaded mission as one it will fly? Pure.
 *
 * PX4 stores an uploaded mission whatever it contains (MISSION_ACK accepted, read-back
 * equal), then its navigator checks it — against the geofence, home, the take-off — and
 * an infeasible mission stays stored but invalid: MISSION_CURRENT.mission_state says
 * NO_MISSION and MISSION_START is DENIED ("Mission start denied! No valid mission"). The
 * reason goes out once as a critical STATUSTEXT ("Geofence violation for waypoint 38").
 * PX4 SITL took the check's verdict a navigator cycle after the upload, and cannot check
 * at all before home is valid ("Not yet ready for mission, no position lock").
 */

/** What the handler keeps of MISSION_CURRENT. */
export interface MissionCurrentSeen {
  /** MISSION_CURRENT messages received so far (a counter, so a waiter can ask for newer ones). */
  count: number;
  /** MAV_MISSION_STATE of the latest (0: the autopilot does not say). */
  state: number;
  /** Its `total`, or undefined when the vehicle sent none. */
  total: number | undefined;
}

export type MissionVerdict = { kind: 'valid' } | { kind: 'invalid'; reason: string } | { kind: 'wait'; why: string };

/** Texts in which PX4's navigator explains a mission it will not fly (critical or error). */
const INFEASIBLE = /geofence violation|waypoint|mission|takeoff|take-off|too far|altitude|distance/i;
/** …except the one that goes away once home is valid. */
const NOT_YET = /not yet ready for mission|no position lock|requires (a )?valid home/i;

/** MISSION_CURRENTs newer than the upload's end needed before trusting the state: the first may precede the check. */
export const FRESH_REPORTS = 2;

export function missionVerdict(p: {
  itemCount: number;
  /** `MissionCurrentSeen.count` when the upload ended. */
  countAtUpload: number;
  seen: MissionCurrentSeen | undefined;
  /** The vehicle's texts since the upload began. */
  texts: readonly TimedText[];
}): MissionVerdict {
  const s = p.seen;
  if (!s || s.count < p.countAtUpload + FRESH_REPORTS) return { kind: 'wait', why: 'no MISSION_CURRENT since the upload yet' };
  if (s.total !== undefined && s.total !== p.itemCount) return { kind: 'wait', why: `MISSION_CURRENT counts ${s.total} items, ${p.itemCount} uploaded` };
  const M = common.MissionState;
  if (s.state !== M.NO_MISSION) return { kind: 'valid' };
  const reason = p.texts.find((t) => t.severity <= common.MavSeverity.ERROR && INFEASIBLE.test(t.text) && !NOT_YET.test(t.text));
  if (reason) return { kind: 'invalid', reason: reason.text };
  const waiting = p.texts.find((t) => NOT_YET.test(t.text));
  return { kind: 'wait', why: waiting ? waiting.text : 'MISSION_CURRENT says no valid mission (not checked yet?)' };
}
