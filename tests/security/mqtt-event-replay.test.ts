import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AlarmBook } from '../../control/alarms/alarm-book.ts';
import { EventIdFile } from '../../control/gateway/event-id-file.ts';
import { RecentEventIds } from '../../control/gateway/events.ts';
import { LocalFrame } from '../../control/geo/local-frame.ts';
import type { Bus } from '../../control/mqtt/bus.ts';
import { AchievedSpeed } from '../../control/ops/achieved-speed.ts';
import { DispatchService } from '../../control/ops/dispatch-service.ts';
import { FleetView } from '../../control/ops/fleet-view.ts';
import { loadSite } from '../../site/load.ts';
import { FakeCommands, ManualTime, asVehicles, fakeVehicle, flush, report } from '../control-ops/fakes.ts';

/**
 * Issue 12 item 4 (control side): a sensor event replayed by the broker (it was retained)
 * dispatched a drone again. Control drops an event id it has already acted on, within a
 * bounded time window, across restarts too (issue 14 item 2). The broker side (only
 * `status` is retained) is tests/security/mqtt-retained.test.ts.
 */
const site = loadSite('sites/demo.yaml');
const frame = new LocalFrame(site.core.shape.type === 'circle' ? site.core.shape.center : site.core.shape.points[0]!);
const T0 = Date.UTC(2026, 10, 30, 4, 0, 0);
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A DispatchService over fakes, fed sensor events through a fake bus as the broker would deliver them. */
async function dispatchOverFakeBus(time: ManualTime, eventIds?: { firstSighting(deviceId: string, eventId: string): boolean }) {
  const vehicles = site.drones.map((d) => fakeVehicle(d.id, d.dock, time));
  const fleet = new FleetView(site, asVehicles(vehicles), time);
  const alarms = new AlarmBook(site, time);
  const cmds = new FakeCommands();
  cmds.answer = (i) => {
    if (i.req.action === 'takeoff') report(vehicles.find((v) => v.droneId === i.droneId)!, { armed: true, altRelM: 30, mode: 'GUIDED' });
    return { state: 'succeeded' };
  };
  const handlers: ((topic: string, payload: Buffer) => void)[] = [];
  const bus: Bus = { publish: () => undefined, subscribe: async (_f, fn) => void handlers.push(fn) };
  const dispatch = new DispatchService({ site, alarms, fleet, drones: cmds.asCommands(), frame, time, speeds: new AchievedSpeed(), warnNearbySpeakers: false, bus, ...(eventIds ? { eventIds } : {}) });
  await dispatch.start();
  const deliver = async (deviceId: string, ev: object) => {
    for (const h of handlers) h(`ringwatch/v1/sensor/${deviceId}/event`, Buffer.from(JSON.stringify(ev)));
    await flush();
  };
  return { alarms, cmds, deliver };
}

const panic = { id: 'ev-7', tsMs: T0, type: 'perimeter_intrusion', severity: 'high', checkpointId: 'cp-1' };

describe('a replayed sensor event', () => {
  it('raises no second alarm and dispatches no second drone, even after the first alarm was resolved', async () => {
    const time = new ManualTime(T0);
    const { alarms, cmds, deliver } = await dispatchOverFakeBus(time);
    await deliver('cp-1-perimeter', panic);
    expect(alarms.list()).toHaveLength(1);
    const commandsAfterFirst = cmds.issued.length;
    expect(commandsAfterFirst).toBeGreaterThan(0);
    alarms.resolve(alarms.list()[0]!.id, 'operator');

    await time.advance(10 * 60_000);
    await deliver('cp-1-perimeter', panic); // the broker's replay, or the device's resend
    expect(alarms.list()).toHaveLength(1);
    expect(cmds.issued.length).toBe(commandsAfterFirst);

    // A new event (new id) from the same sensor still raises an alarm.
    await deliver('cp-1-perimeter', { ...panic, id: 'ev-8' });
    expect(alarms.list()).toHaveLength(2);
  });

  it('is still recognised after control restarts (ids kept in a file)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ringwatch-event-ids-'));
    const file = join(dir, 'control', 'event-ids.json');
    const time = new ManualTime(T0);
    const persisted = () => {
      const ids = new RecentEventIds(() => time.nowMs());
      const store = new EventIdFile(file, ids);
      store.load();
      return { ids, store, gate: { firstSighting: (d: string, e: string) => ids.firstSighting(d, e) && (store.changed(), true) } };
    };
    const before = persisted();
    const first = await dispatchOverFakeBus(time, before.gate);
    await first.deliver('cp-1-perimeter', panic);
    expect(first.alarms.list()).toHaveLength(1);
    before.store.flush(); // what operations' close() does
    expect(statSync(file).mode & 0o777).toBe(0o600);

    await time.advance(60_000);
    const after = persisted();
    const second = await dispatchOverFakeBus(time, after.gate);
    await second.deliver('cp-1-perimeter', panic);
    expect(second.alarms.list()).toHaveLength(0);
    expect(after.ids.duplicates).toBe(1);
  });
});

describe('RecentEventIds (pure)', () => {
  it('is per device, forgets after the window and stays within its bound', () => {
    let now = 0;
    const ids = new RecentEventIds(() => now, { windowMs: 1_000, maxIds: 3 });
    expect(ids.firstSighting('a', '1')).toBe(true);
    expect(ids.firstSighting('a', '1')).toBe(false);
    expect(ids.firstSighting('b', '1')).toBe(true);
    now = 1_001;
    expect(ids.firstSighting('a', '1')).toBe(true); // outside the window: a new sighting
    for (const e of ['2', '3', '4']) ids.firstSighting('a', e);
    expect(ids.size).toBe(3);
    expect(ids.duplicates).toBe(1);
  });

  it('restores in time order and drops what has expired', () => {
    let now = 10_000;
    const ids = new RecentEventIds(() => now, { windowMs: 5_000, maxIds: 10 });
    ids.restore([['a/2', 9_000], ['a/old', 1_000], ['a/1', 8_000]]);
    expect(ids.entries()).toEqual([['a/1', 8_000], ['a/2', 9_000]]);
    now = 13_500;
    expect(ids.entries()).toEqual([['a/2', 9_000]]);
  });

  it('an unreadable file is reported, not fatal', () => {
    dir = mkdtempSync(join(tmpdir(), 'ringwatch-event-ids-'));
    writeFileSync(join(dir, 'bad.json'), '{not json');
    const r = new EventIdFile(join(dir, 'bad.json'), new RecentEventIds(() => 0)).load();
    expect(r.restored).toBe(0);
    expect(r.problem).toMatch(/bad\.json/);
    expect(new EventIdFile(join(dir, 'missing.json'), new RecentEventIds(() => 0)).load()).toEqual({ restored: 0 });
  });
});
