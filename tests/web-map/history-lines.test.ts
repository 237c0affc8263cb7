import { describe, expect, it } from 'vitest';
import { describeEvent, positionsAt } from '../../web-map/client/history-model.ts';

describe('history list lines', () => {
  it('describes alarm, ledger and audit records and sensor events', () => {
    expect(describeEvent({ tsMs: 1, group: 'alarms', record: { ringId: 'prevention', state: 'open', responder: { droneId: 'drone-1', timeToSceneS: 94.6 } } })).toBe('alarm prevention open → drone-1 95 s');
    expect(describeEvent({ tsMs: 1, group: 'alarms', record: { ringId: 'control', state: 'resolved' } })).toBe('alarm control resolved');
    expect(describeEvent({ tsMs: 1, group: 'broadcasts', record: { state: 'done', issuer: 'chief', counts: { pending: 0, finished: 3, no_answer: 1 } } })).toBe('broadcast done by chief: 4/4 answered');
    expect(describeEvent({ tsMs: 1, group: 'ledger', record: { kind: 'rtl', state: 'succeeded', target: { id: 'drone-2' } } })).toBe('rtl → succeeded (drone-2)');
    expect(describeEvent({ tsMs: 1, group: 'audit', record: { username: 'chief', action: 'POST /api/broadcasts', outcome: 'ok' } })).toBe('chief: POST /api/broadcasts ok');
    expect(describeEvent({ tsMs: 1, group: 'events', deviceId: 'cp-3-perimeter', type: 'perimeter_intrusion', severity: 'high' })).toBe('cp-3-perimeter perimeter_intrusion [high]');
  });

  it('replays the last position of each device at a moment', () => {
    const sorted = [
      { deviceId: 'a', tsMs: 1, latDeg: 1, lonDeg: 1 },
      { deviceId: 'b', tsMs: 2, latDeg: 2, lonDeg: 2 },
      { deviceId: 'a', tsMs: 3, latDeg: 3, lonDeg: 3 },
    ];
    const at = positionsAt(sorted, 2);
    expect(at.get('a')?.latDeg).toBe(1);
    expect(at.get('b')?.latDeg).toBe(2);
    expect(positionsAt(sorted, 3).get('a')?.latDeg).toBe(3);
  });
});
