import { describe, expect, it } from 'vitest';
import { loadSite } from '../../site/load.ts';
import { distanceM } from '../../site/geometry.ts';
import { resolveTargets } from '../../control/broadcast/targets.ts';
import { DeliveryReport } from '../../control/broadcast/delivery.ts';
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

describe('delivery report', () => {
  it('follows speaker acks only, and marks silent speakers after the timeout', () => {
    const rep = new DeliveryReport('b1', ['sp-1', 'sp-2', 'sp-3', 'sp-4'], 1000, 5000);
    expect(rep.snapshot().counts.pending).toBe(4);
    rep.onAck('sp-1', { state: 'accepted' }, 1100);
    rep.onAck('sp-1', { state: 'playing', progressPct: 10 }, 1200);
    rep.onAck('sp-2', { state: 'rejected', reason: 'field /priority: must be <= 100' }, 1150);
    rep.onAck('sp-3', { state: 'failed', reason: 'amplifier fault' }, 1300);
    expect(rep.tick(5999)).toEqual([]);
    expect(rep.tick(6000)).toEqual(['sp-4']);
    // A late 'accepted' must not move a playing speaker back.
    expect(rep.onAck('sp-1', { state: 'accepted' }, 6100)).toBe(false);
    rep.onAck('sp-1', { state: 'finished' }, 9000);
    const snap = rep.snapshot();
    expect(snap.done).toBe(true);
    expect(snap.counts).toMatchObject({ finished: 1, rejected: 1, failed: 1, no_answer: 1, pending: 0 });
    expect(snap.speakers.find((s) => s.speakerId === 'sp-1')!.atMs).toEqual({ accepted: 1100, playing: 1200, finished: 9000 });
    expect(snap.speakers.find((s) => s.speakerId === 'sp-2')!.reason).toContain('/priority');
    // Acks from speakers outside the broadcast are ignored.
    expect(rep.onAck('sp-9', { state: 'finished' }, 9100)).toBe(false);
  });

  it('counts a late answer after no_answer as the speaker’s real state', () => {
    const rep = new DeliveryReport('b2', ['sp-1'], 0, 100);
    rep.tick(200);
    expect(rep.onAck('sp-1', { state: 'playing' }, 250)).toBe(true);
    expect(rep.snapshot().speakers[0]!.state).toBe('playing');
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
