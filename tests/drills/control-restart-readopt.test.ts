import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttBus } from '../../control/mqtt/bus.ts';
import { startControlService, type ControlService } from '../../control/service.ts';
import { startControlApp, type ControlApp } from '../../control/start-control-app.ts';
import type { RingPatrolState } from '../../control/ops/patrol-service.ts';
import type { Site } from '../../site/load.ts';
import { mavlinkSigningKeys } from '../../site/mavlink-keys.ts';
import { startSimFleet, type SimFleet } from '../../simulators/fleet.ts';
import { demoSite, startBroker, type TestBroker } from '../helpers/broker.ts';
import { eventually } from '../helpers/wait.ts';

/**
 * Issue 15: "a control restart mid-flight must re-adopt vehicles in the air: read back
 * their missions, match them to the running patrol, and carry on, instead of forgetting
 * them". Control is dropped with drones flying their patrol missions — nothing is sent to
 * the vehicles, as after a kill -9 — and started again on the same data directory against
 * the same still-flying simulators. Counted: every airborne drone re-adopted, not one
 * command to them, the patrol as it was, and a dispatch still served.
 */
const SPEED = 20;
const { site: base, secrets } = demoSite();
const DRONES = ['drone-1', 'drone-2', 'drone-3', 'drone-4', 'drone-5', 'drone-6'];
const FLIGHT_KINDS = new Set(['plan_upload', 'fence_enable', 'set_mode', 'arm', 'takeoff', 'mission_start', 'rtl', 'land', 'goto']);

let broker: TestBroker;
let fleet: SimFleet;
let site: Site;
let dataDir: string;

interface RunningControl {
  control: ControlService;
  app: ControlApp;
  bus: MqttBus;
}

async function startControl(run: number): Promise<RunningControl> {
  const bus = await MqttBus.connect({ url: broker.url, username: 'control', password: secrets.services['control']!, clientSuffix: `readopt-${process.pid}-${run}` });
  const control = await startControlService({ site, bus, dataDir, signingKeys: mavlinkSigningKeys(site.drones, secrets) });
  const app = await startControlApp({
    site,
    control,
    bus,
    dataDir,
    listen: { host: '127.0.0.1', port: 0 },
    speed: SPEED,
    ops: { planOptions: { turnaroundS: 30, horizonS: 1200 } },
  });
  return { control, app, bus };
}

/** Drops control without a word to the vehicles: the links close, nothing is commanded. */
async function dropControl(c: RunningControl): Promise<void> {
  await c.app.close();
  await c.control.close();
  await c.bus.client.endAsync();
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'rw-readopt-'));
  // Long endurance: the planned turn home stays well after the restart.
  const withDrones = { ...base, drones: base.drones.map((d) => ({ ...d, enduranceS: 1800 })) };
  broker = await startBroker({ site: withDrones, secrets });
  fleet = await startSimFleet({ site: withDrones, secrets, mqttUrl: broker.url, speed: SPEED, droneUdpPorts: 'any', drones: DRONES, speakers: 'none', sensors: 'none' });
  site = {
    ...withDrones,
    drones: withDrones.drones.filter((d) => fleet.drones.has(d.id)).map((d) => ({ ...d, mavlink: { ...d.mavlink, url: `udpout://127.0.0.1:${fleet.drones.get(d.id)!.udpPort}` } })),
  };
}, 60_000);

afterAll(async () => {
  await fleet?.close();
  await broker?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('drill: control dropped and restarted with drones in the air', () => {
  it('re-adopts every airborne drone without a command to it, keeps the patrol, and still dispatches', async () => {
    const first = await startControl(1);
    const sortiesOf = (rings: RingPatrolState[]) => rings.flatMap((r) => r.sorties.map((s) => ({ ...s, ringId: r.ringId })));
    const state1 = () => sortiesOf(first.app.ops.patrols.state());
    await eventually('drones reporting', () => site.drones.every((d) => first.app.ops.fleet.telemetry(d.id)) || undefined, 30_000);
    // Every ring: drones on several patrols at once.
    first.app.ops.patrols.start();
    const flyingNow = () => state1().filter((s) => s.status === 'flying');
    // Every sortie due at the start is up and flying its mission in AUTO.
    const due = state1().filter((s) => s.launchAtMs <= first.app.time.nowMs() + 1000).map((s) => s.droneId);
    expect(due.length).toBeGreaterThan(0);
    await eventually(
      'the first sorties airborne in AUTO',
      () => {
        const failed = state1().find((s) => s.status === 'failed');
        if (failed) return Promise.reject(new Error(`${failed.droneId}: ${failed.failure}`));
        return due.every((id) => {
          const sim = fleet.drones.get(id)!.state();
          return flyingNow().some((s) => s.droneId === id) && sim.armed && sim.mode === 'AUTO' && sim.altRelM > 5;
        });
      },
      90_000,
    );
    const beforeRings = structuredClone(first.app.ops.patrols.state());
    const before = sortiesOf(beforeRings);
    const airborne = DRONES.filter((id) => fleet.drones.get(id)!.state().armed && fleet.drones.get(id)!.state().altRelM > 2);
    expect(airborne.sort()).toEqual([...due].sort());
    const commandsBefore = new Map(DRONES.map((id) => [id, first.control.ledger.list({ targetId: id }).length]));
    expect(statSync(join(dataDir, 'patrols.json')).mode & 0o777).toBe(0o600);

    await dropControl(first);
    const restartedAt = Date.now();
    const second = await startControl(2);
    try {
      const ops = second.app.ops;
      // Re-adopted: each airborne drone's mission read back and matched to its sortie.
      await eventually('every airborne drone re-adopted', () => airborne.every((id) => second.app.readopter.outcomes.get(id)?.startsWith('re-adopted')), 60_000);
      const readoptMs = Date.now() - restartedAt;
      const afterRings = ops.patrols.state();
      expect(afterRings.map((r) => [r.ringId, r.active, r.plan])).toEqual(beforeRings.map((r) => [r.ringId, r.active, r.plan]));
      const after = sortiesOf(afterRings);
      for (const id of airborne) {
        const was = before.find((s) => s.droneId === id && s.status === 'flying')!;
        const now = after.find((s) => s.ringId === was.ringId && s.droneId === id && s.slot === was.slot && s.launchAtMs === was.launchAtMs)!;
        expect(now.status, id).toBe('flying');
        expect(now.commandIds).toEqual(was.commandIds);
        expect(ops.fleet.task(id)).toEqual({ kind: 'patrol', ringId: was.ringId });
        // Still flying its mission, nothing changed on board.
        const sim = fleet.drones.get(id)!.state();
        expect(sim.mode).toBe('AUTO');
        expect(sim.armed).toBe(true);
      }
      // The schedule is the one planned before: same drones, slots and times.
      expect(after.map((s) => [s.ringId, s.droneId, s.slot, s.launchAtMs])).toEqual(before.map((s) => [s.ringId, s.droneId, s.slot, s.launchAtMs]));
      // Not one command to an airborne drone since the restart: no upload, no arm, no take-off, no RTL.
      for (const id of airborne) {
        const records = second.control.ledger.list({ targetId: id });
        const added = records.slice(commandsBefore.get(id)!);
        expect(added.filter((r) => FLIGHT_KINDS.has(r.kind)).map((r) => r.kind), id).toEqual([]);
      }
      // No alarm says a drone was not re-adopted.
      expect(ops.alarms.list().filter((a) => a.source.kind === 'vehicle' && /not re-adopted/.test(a.source.text))).toEqual([]);

      // Dispatch still works after the restart: an operator's click gets an alarm with a responder.
      const login = await second.app.api.inject({ method: 'POST', url: '/api/login', payload: { username: 'operator', password: secrets.users!['operator']! } });
      const token = (login.json() as { token: string }).token;
      const shape = site.core.shape;
      const point = shape.type === 'circle' ? shape.center : shape.points[0]!;
      const r = await second.app.api.inject({ method: 'POST', url: '/api/dispatch', headers: { authorization: `Bearer ${token}` }, payload: { latDeg: point.latDeg, lonDeg: point.lonDeg, playWarning: false, confirm: true } });
      expect(r.statusCode, r.body).toBe(202);
      const alarm = r.json() as { id: string; responder?: { droneId: string } };
      expect(alarm.responder?.droneId, r.body).toBeDefined();
      console.info(`drill control restart: ${airborne.length} of ${airborne.length} airborne drones re-adopted ${readoptMs} ms after the restart (wall); 0 flight commands to them; dispatch answered with ${alarm.responder?.droneId}`);
    } finally {
      await dropControl(second);
    }
  }, 240_000);
});
