import { describe, expect, it } from 'vitest';
import { coverageRows, verdict } from '../../web-map/client/coverage-model.ts';

const row = (ringId: string, areaPct: number, uncovered: string[] = []) => ({ ringId, targetS: 60, areaPct, perimeterPct: areaPct, checkpointsPct: uncovered.length ? 50 : 100, checkpointsUncovered: uncovered });

describe('coverage against the ring promise', () => {
  it('is kept only with nearly all the area and every checkpoint in time', () => {
    expect(verdict(row('containment', 100))).toBe('ok');
    expect(verdict(row('containment', 96))).toBe('ok');
    expect(verdict(row('containment', 100, ['cp-2']))).toBe('partial');
    expect(verdict(row('containment', 72.7))).toBe('partial');
    expect(verdict(row('containment', 49.9))).toBe('unreachable');
  });

  it('orders rows innermost first and drops malformed ones', () => {
    const rows = coverageRows([row('control', 80), null, { ringId: 'x' }, row('containment', 100)], ['containment', 'prevention', 'control']);
    expect(rows.map((r) => [r.ringId, r.verdict])).toEqual([
      ['containment', 'ok'],
      ['control', 'partial'],
    ]);
  });
});
