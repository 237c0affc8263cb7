import { describe, expect, it } from 'vitest';
import { common } from 'node-mavlink';
import { missionVerdict } from '../../control/vehicle/mission-validity.ts';

const M = common.MissionState;
const CRIT = common.MavSeverity.CRITICAL;
const text = (t: string, severity = CRIT) => ({ severity, text: t, tsMs: 0 });

describe('missionVerdict (PX4 keeps an infeasible mission as no valid mission)', () => {
  const base = { itemCount: 126, countAtUpload: 10, texts: [] };
  it.each([
    ['no report since the upload', { count: 11, state: M.NOT_STARTED, total: 126 }, [], 'wait'],
    ['the first report may predate the check', { count: 11, state: M.NO_MISSION, total: 126 }, [text('Geofence violation for waypoint 38')], 'wait'],
    ['the old mission still counted', { count: 12, state: M.NOT_STARTED, total: 40 }, [], 'wait'],
    ['valid', { count: 12, state: M.NOT_STARTED, total: 126 }, [], 'valid'],
    ['an autopilot that does not say (state 0)', { count: 12, state: 0, total: 126 }, [], 'valid'],
    ['invalid with the reason', { count: 12, state: M.NO_MISSION, total: 126 }, [text('Armed by external command', 6), text('Geofence violation for waypoint 38')], 'invalid'],
    ['not yet checked: no home', { count: 12, state: M.NO_MISSION, total: 126 }, [text('Not yet ready for mission, no position lock', 6)], 'wait'],
  ] as const)('%s', (_name, seen, texts, kind) => {
    const v = missionVerdict({ ...base, seen, texts });
    expect(v.kind).toBe(kind);
    if (v.kind === 'invalid') expect(v.reason).toBe('Geofence violation for waypoint 38');
  });
});
