import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimDrone, type SimDroneHandle } from '../../../simulators/drone/index.ts';
import { startControlService, type ControlService } from '../../../control/service.ts';
import { startOperations, type Operations } from '../../../control/ops/operations.ts';
import { WarningLibrary } from '../../../control/ops/warning-library.ts';
import { opsTime } from '../../../control/ops/sim-time.ts';
import { EventHub, type LiveEvent } from '../../../control/live/event-hub.ts';
import type { Bus } from '../../../control/mqtt/bus.ts';
import { FAST_TIMEOUTS } from '../../../control/timeouts.ts';
import { mavlinkSigningKeys } from '../../../site/mavlink-keys.ts';
import { deviceTopic } from '../../../protocol/index.ts';
import { demoSite } from '../../helpers/broker.ts';
import { until } from '../../helpers/wait.ts';

/** MQTT `+` only, as the inbound router subscribes. */
const filterRe = (filter: string) => new RegExp(`^${filter.split('/').map((p) => (p === '+' ? '[^/]+' : p)).join('/')}$`);
const DRONE_STATUS = /^ringwatch\/v1\/drone\/[^/]+\/status$/;

/**
 * The control identity's broker, reduced to what matters here: what control publishes
 * comes back to its matching subscriptions (a tick later, as from a broker), except the
 * drones' `status`, which is held back until `release()`: the broker's copy blocked.
 */
class HoldingBus implements Bus {
  readonly held: { topic: string; payload: Buffer }[] = [];
  private holding = true;
  private readonly subs: { re: RegExp; fn: (topic: string, payload: Buffer) => void }[] = [];

  publish(topic: string, payload: string): void {
    const p = Buffer.from(payload);
    if (this.holding && DRONE_STATUS.test(topic)) this.held.push({ topic, payload: p });
    else this.deliver(topic, p);
  }

  async subscribe(filter: string, fn: (topic: string, payload: Buffer) => void): Promise<void> {
    this.subs.push({ re: filterRe(filter), fn });
  }

  /** A device's own publish, as the broker would forward it. */
  deliver(topic: string, payload: Buffer): void {
    setImmediate(() => {
      for (const s of this.subs) if (s.re.test(topic)) s.fn(topic, payload);
    });
  }

  release(): void {
    this.holding = false;
    for (const m of this.held.splice(0)) this.deliver(m.topic, m.payload);
  }
}

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

describe('control’s own drone status', () => {
  it('reaches presence and the live hub in-process, with the broker’s copy held back; the copy is then skipped unparsed', async () => {
    const { site: demo, secrets } = demoSite();
    const base = demo.drones[0]!;
    const signingKeys = mavlinkSigningKeys([base], secrets);
    const signingKey = signingKeys.get(base.id);
    const sim: SimDroneHandle = await startSimDrone({ speed: 10, prearmDelayS: 0, gpsNoiseM: 0, drone: base, udpPort: 0, ...(signingKey ? { signingKey } : {}) });
    let simClosed = false;
    closers.push(() => (simClosed ? undefined : sim.close()));
    const site = { ...demo, drones: [{ ...base, mavlink: { ...base.mavlink, url: `udpout://127.0.0.1:${sim.udpPort}` } }] };
    const bus = new HoldingBus();
    const control: ControlService = await startControlService({ site, bus, timeouts: FAST_TIMEOUTS, telemetryRateHz: 10, signingKeys });
    closers.push(() => control.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'rw-own-status-'));
    closers.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const hub = new EventHub(10);
    const statuses: string[] = [];
    hub.subscribe((batch: LiveEvent[]) => {
      for (const e of batch) if (e.type === 'status' && e.data.deviceId === base.id) statuses.push(e.data.state);
    });
    const ops: Operations = await startOperations({ site, control, bus, warnings: new WarningLibrary(site.warnings, dataDir), hub, time: opsTime(1), tickMs: 250 });
    closers.push(() => ops.close());
    const presence = () => ops.presence.list().find((d) => d.id === base.id)!;

    // Up: the drone's heartbeat makes it online for operations, though no status came back from the broker.
    await until(() => presence().state === 'online', 'drone online in presence', 20_000);
    await until(() => statuses.includes('online') || undefined, 'online on the live hub', 5000);
    expect(bus.held.length).toBeGreaterThanOrEqual(1);
    expect(control.inbound!.counters.ownSkipped).toBe(0);

    // Down: a link loss is seen the same way.
    await sim.close();
    simClosed = true;
    await until(() => presence().state === 'offline', 'drone offline in presence after the link loss', 20_000);
    expect(presence().reason).toBe('mavlink_link_lost');
    await until(() => statuses.at(-1) === 'offline' || undefined, 'offline on the live hub', 5000);

    // The broker's copies, once they come, are control's own: skipped before parsing, no second status.
    const before = statuses.length;
    const dispatched = control.inbound!.counters.dispatched;
    const n = bus.held.length;
    bus.release();
    await until(() => control.inbound!.counters.ownSkipped === n || undefined, 'every held copy skipped', 5000);
    expect(control.inbound!.counters.dispatched).toBe(dispatched);
    await new Promise((r) => setTimeout(r, 100));
    expect(statuses).toHaveLength(before);

    // Another device's status still comes from the broker, validated.
    const speaker = site.speakers[0]!;
    bus.deliver(deviceTopic('speaker', speaker.id, 'status'), Buffer.from(JSON.stringify({ tsMs: Date.now(), state: 'online' })));
    await until(() => ops.presence.list().find((d) => d.id === speaker.id)?.state === 'online', 'speaker online from the broker', 5000);
  }, 60_000);
});
