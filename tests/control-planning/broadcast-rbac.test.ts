import { describe, expect, it } from 'vitest';
import { loadSite } from '../../site/load.ts';
import { distanceM } from '../../site/geometry.ts';
import { resolveTargets } from '../../control/broadcast/targets.ts';
import { deliverySnapshot } from '../../control/broadcast/delivery.ts';
import { createRecord, transition, type LedgerRecord, type LedgerState } from '../../control/ledger/machine.ts';
import { authorize, PERMISSIONS, ROLE_PERMISSIONS } from '../../control/auth/roles.ts';
import { ringOf } from '../../control/planning/plan.ts';
import { ROLES } from '../../site/schema.ts';

const site = loadSite('sites/demo.yaml');
const station = { latDeg: 30.27, lonDeg: 120.065 };

describe('broadcast targets', () => {
  const dronePositions = new Map([
    ['drone-1-spk', station],
    ['drone-3-spk', undefined],
  ]);

  it('selects fixed and drone-mounted speakers in the chosen rings', () => {
    const r = resolveTargets(site, { kind: 'rings', ringIds: ['containment'] }, dronePositions);
    const ids = r.speakers.map((s) => s.id).sort();
    expect(ids).toContain('drone-1-spk');
    for (const s of r.speakers) expect(ringOf(site, s.position)).toBe('containment');
    const fixedInContainment = site.speakers.filter((s) => ringOf(site, s.position) === 'containment').map((s) => s.id);
    expect(fixedInContainment.length).toBeGreaterThan(2);
    expect(ids).toEqual([...fixedInContainment, 'drone-1-spk'].sort());
    expect(r.skipped).toContainEqual({ id: 'drone-3-spk', reason: 'drone position unknown' });
  });

  it('selects by radius and by drawn polygon', () => {
    const byRadius = resolveTargets(site, { kind: 'radius', center: station, radiusM: 460 }, dronePositions);
    expect(byRadius.speakers.every((s) => distanceM(s.position, station) <= 460)).toBe(true);
    expect(byRadius.speakers.map((s) => s.id).sort()).toEqual(['drone-1-spk', 'sp-1', 'sp-2'].sort());
    const d = 0.002;
    const poly = [
      { latDeg: station.latDeg - d, lonDeg: station.lonDeg + d },
      { latDeg: station.latDeg - d, lonDeg: station.lonDeg + 3 * d },
      { latDeg: station.latDeg + d, lonDeg: station.lonDeg + 3 * d },
      { latDeg: station.latDeg + d, lonDeg: station.lonDeg + d },
    ];
    expect(resolveTargets(site, { kind: 'polygon', points: poly }, dronePositions).speakers.map((s) => s.id)).toEqual(['sp-3']);
  });

  it('selects by id and names ids that are not speakers', () => {
    const r = resolveTargets(site, { kind: 'devices', deviceIds: ['sp-5', 'drone-3-spk', 'cp-1-anpr'] }, dronePositions);
    expect(r.speakers.map((s) => s.id)).toEqual(['sp-5', 'drone-3-spk']);
    expect(r.skipped).toEqual([{ id: 'cp-1-anpr', reason: 'not a speaker of this site' }]);
  });
});

describe('delivery report (a view of the ledger)', () => {
  /** A play command's ledger record walked through `moves` ([state, atMs, extra]). */
  function play(id: string, moves: [LedgerState, number, { detail?: string; progressPct?: number; result?: LedgerRecord['result'] }?][]): LedgerRecord {
    let r = createRecord({ id, issuer: 'chief', target: { kind: 'speaker', id }, kind: 'play', via: 'mqtt', payload: {} }, 1000);
    for (const [to, at, extra] of moves) {
      const out = transition(r, to, at, extra ?? {});
      if (!out.ok) throw new Error(out.reason);
      r = out.record;
    }
    return r;
  }

  it('renames ledger states only: confirmed steps, the device’s own failure word, and the ledger timeout', () => {
    const snap = deliverySnapshot('b1', 1000, [
      { speakerId: 'sp-1', commandId: 'c1', record: play('c1', [['sent', 1001], ['acked', 1100], ['in_progress', 1200, { progressPct: 10 }], ['succeeded', 9000]]) },
      { speakerId: 'sp-2', commandId: 'c2', record: play('c2', [['sent', 1001], ['failed', 1150, { detail: 'field /priority: must be <= 100', result: { deviceState: 'rejected' } }]]) },
      { speakerId: 'sp-3', commandId: 'c3', record: play('c3', [['sent', 1001], ['acked', 1100], ['failed', 1300, { detail: 'amplifier fault', result: { deviceState: 'failed' } }]]) },
      { speakerId: 'sp-4', commandId: 'c4', record: play('c4', [['sent', 1001], ['timed_out', 4001, { detail: 'no ack from the device within 3000 ms' }]]) },
    ]);
    expect(snap.done).toBe(true);
    expect(snap.counts).toMatchObject({ finished: 1, rejected: 1, failed: 1, no_answer: 1, pending: 0 });
    const sp = (id: string) => snap.speakers.find((s) => s.speakerId === id)!;
    expect(sp('sp-1')).toMatchObject({ state: 'finished', progressPct: 10, atMs: { accepted: 1100, playing: 1200, finished: 9000 } });
    expect(sp('sp-1').reason).toBeUndefined();
    expect(sp('sp-2').reason).toContain('/priority');
    expect(sp('sp-3')).toMatchObject({ state: 'failed', reason: 'amplifier fault', atMs: { accepted: 1100, failed: 1300 } });
    expect(sp('sp-4')).toMatchObject({ state: 'no_answer', reason: 'no ack from the device within 3000 ms', atMs: { no_answer: 4001 } });
  });

  it('is pending until the ledger moves, and stopped when the speaker stopped it', () => {
    const snap = deliverySnapshot('b2', 0, [
      { speakerId: 'sp-1', record: undefined },
      { speakerId: 'sp-2', commandId: 'c2', record: play('c2', [['sent', 1]]) },
      { speakerId: 'sp-3', commandId: 'c3', record: play('c3', [['sent', 1], ['acked', 2], ['cancelled', 3, { detail: 'stopped' }]]) },
      { speakerId: 'sp-4', commandId: 'c4', record: play('c4', [['sent', 1], ['failed', 3, { detail: 'preempted', result: { deviceState: 'preempted' } }]]) },
    ]);
    expect(snap.speakers.map((s) => s.state)).toEqual(['pending', 'pending', 'stopped', 'preempted']);
    expect(snap.done).toBe(false);
    // The device's bare state word is not repeated as a reason.
    expect(snap.speakers[2]!.reason).toBeUndefined();
  });
});

describe('roles', () => {
  const expected: Record<string, string[]> = {
    operator: ['read', 'drone.command', 'patrol.manage', 'dispatch', 'alarm.manage'],
    chief: ['read', 'drone.command', 'patrol.manage', 'dispatch', 'alarm.manage', 'broadcast.send', 'warning.manage'],
    engineer: ['read', 'device.manage', 'sim.manage', 'config.manage'],
  };
  for (const role of ROLES) {
    for (const p of PERMISSIONS) {
      const allowed = expected[role]!.includes(p);
      it(`${role} ${allowed ? 'may' : 'may not'} ${p}`, () => {
        const d = authorize(role, p);
        expect(d.allow).toBe(allowed);
        if (!d.allow) expect(d.reason).toBe(`role ${role} lacks permission ${p}`);
      });
    }
  }
  it('grants nothing outside the permission list', () => {
    for (const set of Object.values(ROLE_PERMISSIONS)) for (const p of set) expect(PERMISSIONS).toContain(p);
  });
});
