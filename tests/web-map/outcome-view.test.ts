import { describe, expect, it } from 'vitest';
import { createRecord, transition, type LedgerRecord } from '../../control/ledger/machine.ts';
import { outcomePhrase, outcomeView, wayLeft } from '../../web-map/client/outcome-view.ts';

const base = () => createRecord({ id: 'c1', issuer: 'op', target: { kind: 'drone', id: 'drone-1' }, kind: 'goto', via: 'mavlink', payload: {} }, 1000);
const step = (r: LedgerRecord, to: Parameters<typeof transition>[1], extra: Parameters<typeof transition>[3] = {}) => {
  const out = transition(r, to, r.updatedMs + 100, extra);
  if (!out.ok) throw new Error(out.reason);
  return out.record;
};

describe('outcomeView', () => {
  it('is pending until the drone answers, accepted on its ack, never achieved before the record says so', () => {
    let r = base();
    expect(outcomeView(r).phase).toBe('pending');
    r = step(r, 'sent');
    expect(outcomeView(r)).toMatchObject({ phase: 'pending', final: false });
    r = step(r, 'acked');
    expect(outcomeView(r)).toMatchObject({ phase: 'accepted', final: false });
  });

  it('is under way with the newest distance and time to go, then achieved', () => {
    let r = step(step(base(), 'sent'), 'acked');
    r = step(r, 'in_progress', { distanceLeftM: 900, etaS: 95 });
    r = step(r, 'in_progress', { distanceLeftM: 230, etaS: 40 });
    const v = outcomeView(r);
    expect(v).toMatchObject({ phase: 'under_way', distanceLeftM: 230, etaS: 40, final: false });
    expect(wayLeft(v)).toBe('230 m · 0:40');
    r = step(r, 'succeeded');
    expect(outcomeView(r)).toEqual({ phase: 'achieved', final: true });
  });

  it('keeps the reason of a failure and a timeout', () => {
    const failed = step(step(base(), 'sent'), 'failed', { detail: 'PreArm: Need Position Estimate' });
    expect(outcomeView(failed)).toMatchObject({ phase: 'failed', detail: 'PreArm: Need Position Estimate', final: true });
    const late = step(step(base(), 'sent'), 'timed_out', { detail: 'no COMMAND_ACK in 3 s' });
    expect(outcomeView(late).phase).toBe('timed_out');
  });

  it('reads the outcome from the state when an older server sent none', () => {
    const r = step(step(base(), 'sent'), 'acked');
    const { outcome: _, ...old } = r;
    expect(outcomeView(old as LedgerRecord).phase).toBe('accepted');
    expect(wayLeft({ phase: 'under_way', final: false, distanceLeftM: 1500, etaS: 125 })).toBe('1.5 km · 2:05');
  });

  it('says progress as a share done, never as "to go"', () => {
    const words = { phase: (p: string) => p.replace('_', ' '), way: (w: string) => `${w} to go` };
    expect(outcomePhrase({ phase: 'under_way', final: false, progressPct: 0 }, words)).toBe('under way · 0%');
    expect(outcomePhrase({ phase: 'under_way', final: false, distanceLeftM: 572 }, words)).toBe('under way · 572 m to go');
    expect(outcomePhrase({ phase: 'achieved', final: true }, words)).toBe('achieved');
  });
});
