import { describe, expect, it } from 'vitest';
import { AlertBook, type AlarmView, type CommandView, type DroneView } from '../../web-map/client/alert-rules.ts';

const drone = (id: string, o: Partial<DroneView> = {}): DroneView => ({ id, link: 'ok', batteryPct: 90, mode: 'AUTO', ...o });
const alarm = (id: string, o: Partial<AlarmView> = {}): AlarmView => ({ id, state: 'open', severity: 'high', raisedAtMs: 1000, type: 'perimeter_intrusion', ...o });

describe('AlertBook', () => {
  it('lists what is already wrong at start as initial, then raises each new alarm once', () => {
    const book = new AlertBook();
    const first = book.observe(0, [drone('d1', { link: 'lost' })], [alarm('a1'), alarm('a0', { state: 'resolved' })], []);
    expect(first.map((a) => [a.kind, a.subject, a.initial])).toEqual([
      ['alarm', 'a1', true],
      ['link_lost', 'd1', true],
    ]);
    expect(book.observe(10, [drone('d1', { link: 'lost' })], [alarm('a1')], [])).toEqual([]);
    const next = book.observe(20, [], [alarm('a1'), alarm('a2', { severity: 'low', raisedAtMs: 15 })], []);
    expect(next).toMatchObject([{ kind: 'alarm', subject: 'a2', severity: 'warning', initial: false, atMs: 20 }]);
  });

  it('raises a link loss only on ok → lost, again after the link came back and was lost again', () => {
    const book = new AlertBook();
    book.observe(0, [drone('d1')], [], []);
    expect(book.observe(1, [drone('d1', { link: 'lost' })], [], []).map((a) => a.kind)).toEqual(['link_lost']);
    expect(book.observe(2, [drone('d1', { link: 'lost' })], [], [])).toEqual([]);
    book.observe(3, [drone('d1')], [], []);
    expect(book.observe(4, [drone('d1', { link: 'lost' })], [], []).map((a) => a.severity)).toEqual(['critical']);
  });

  it('warns at 25 %, goes critical at 15 %, once each, and re-arms only after a real recharge', () => {
    const book = new AlertBook();
    const seen = (t: number, pct: number) => book.observe(t, [drone('d1', { batteryPct: pct })], [], []).map((a) => `${a.kind}:${a.detail['pct']}`);
    expect(seen(0, 40)).toEqual([]);
    expect(seen(1, 25)).toEqual(['battery_low:25']);
    expect(seen(2, 24)).toEqual([]);
    expect(seen(3, 26)).toEqual([]); // noise around the level: no second warning
    expect(seen(4, 14.6)).toEqual(['battery_critical:15']);
    expect(seen(5, 8)).toEqual([]);
    expect(seen(6, 95)).toEqual([]); // swapped
    expect(seen(7, 22)).toEqual(['battery_low:22']);
  });

  it('calls an uncommanded RTL or LAND a failsafe, and ours not', () => {
    const book = new AlertBook();
    book.observe(0, [drone('d1'), drone('d2')], [], []);
    const cmds: CommandView[] = [{ targetId: 'd2', kind: 'rtl', createdMs: 500 }];
    const raised = book.observe(1000, [drone('d1', { mode: 'LAND' }), drone('d2', { mode: 'RTL' })], [], cmds);
    expect(raised.map((a) => [a.kind, a.subject, a.detail['mode']])).toEqual([['failsafe_mode', 'd1', 'LAND']]);
    // An old command does not explain a later mode change.
    book.observe(2000, [drone('d2', { mode: 'AUTO' })], [], cmds);
    expect(book.observe(200_000, [drone('d2', { mode: 'RTL' })], [], cmds).map((a) => a.subject)).toEqual(['d2']);
  });

  it('does not raise again an alarm this user already acknowledged (a reload)', () => {
    const book = new AlertBook(200, new Set(['a1']));
    expect(book.observe(0, [], [alarm('a1'), alarm('a2')], []).map((a) => a.subject)).toEqual(['a2']);
    expect(book.list().find((a) => a.subject === 'a1')?.acked).toBe(true);
  });

  it('one condition seen by our rule and by the server\'s vehicle alarm is one alert', () => {
    const book = new AlertBook();
    book.observe(0, [drone('d1'), drone('d2')], [], []);
    expect(book.observe(1000, [drone('d1', { batteryPct: 22 }), drone('d2')], [], []).map((a) => a.kind)).toEqual(['battery_low']);
    // The server's own alarm for the same drone and condition follows: not a second alert.
    expect(book.observe(2000, [drone('d1', { batteryPct: 22 }), drone('d2')], [alarm('v1', { type: 'low_battery', droneId: 'd1' })], [])).toEqual([]);
    // The server first, then our rule: still one.
    expect(book.observe(3000, [drone('d1', { batteryPct: 22 }), drone('d2')], [alarm('v2', { type: 'link_lost', droneId: 'd2' })], []).map((a) => a.kind)).toEqual(['alarm']);
    expect(book.observe(4000, [drone('d1', { batteryPct: 22 }), drone('d2', { link: 'lost' })], [], [])).toEqual([]);
    // Other conditions of the same drone still count.
    expect(book.observe(5000, [], [alarm('v3', { type: 'fence_breach', droneId: 'd2' })], []).map((a) => a.subject)).toEqual(['v3']);
  });

  it('acknowledging clears the unacknowledged count', () => {
    const book = new AlertBook();
    book.observe(0, [], [alarm('a1'), alarm('a2')], []);
    expect(book.unacked()).toHaveLength(2);
    book.ack(book.list()[0]!.id);
    expect(book.unacked()).toHaveLength(1);
    book.ackAll();
    expect(book.unacked()).toHaveLength(0);
  });
});
