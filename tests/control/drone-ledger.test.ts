import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LEDGER_TOPIC } from '../../control/ledger/mqtt-sink.ts';
import { waypoint } from '../../control/vehicle/plan-item.ts';
import { collect, connectAs } from '../helpers/broker.ts';
import { startRig, waitFor, type Rig } from './helpers/rig.ts';

let rig: Rig | undefined;
let dir: string | undefined;
afterEach(async () => {
  await rig?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  rig = dir = undefined;
});

async function ready(opts: Parameters<typeof startRig>[0] = {}) {
  dir = mkdtempSync(join(tmpdir(), 'control-ledger-'));
  rig = await startRig({ dataDir: dir, ...opts });
  const v = rig.svc.vehicle('drone-1');
  await waitFor(() => v.online && v.telemetry() !== undefined, 5000, 'online');
  return { v, sim: rig.sims[0]!, drones: rig.svc.drones, ledger: rig.svc.ledger };
}

const states = (r: { transitions: { state: string }[] }) => r.transitions.map((t) => t.state);

describe('command ledger for MAVLink drones (simulated Copter)', () => {
  it('success: queued → sent → acked → succeeded, stored as JSONL and published on MQTT', async () => {
    const { drones, ledger } = await ready({ broker: true });
    const watcher = await connectAs(rig!.broker!, 'telemetry', { clientId: 'telemetry:l' });
    try {
      const got = collect(watcher);
      await watcher.subscribeAsync(LEDGER_TOPIC, { qos: 1 });
      const seen: string[] = [];
      ledger.on('change', (rec) => seen.push(rec.state));
      const { id, done } = drones.issue('drone-1', { action: 'set_mode', mode: 'GUIDED' }, 'op1');
      // Nothing past `sent` is told before the drone answers.
      expect(ledger.get(id)!.state).toBe('sent');
      const rec = await done;
      expect(states(rec)).toEqual(['queued', 'sent', 'acked', 'succeeded']);
      expect(seen).toEqual(['queued', 'sent', 'acked', 'succeeded']);
      expect(rec).toMatchObject({ issuer: 'op1', target: { kind: 'drone', id: 'drone-1' }, kind: 'set_mode', via: 'mavlink' });
      await expect.poll(() => got.length).toBe(4);
      expect(got.map((m) => (JSON.parse(m.payload) as { state: string }).state)).toEqual(['queued', 'sent', 'acked', 'succeeded']);
      await rig!.svc.close();
      const lines = readFileSync(join(dir!, 'ledger.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; state: string });
      expect(lines.filter((l) => l.id === id).map((l) => l.state)).toEqual(['queued', 'sent', 'acked', 'succeeded']);
    } finally {
      await watcher.endAsync();
    }
  });

  it('go-to on a disarmed drone: failed at once with the reason, nothing sent (never "succeeded")', async () => {
    const { drones } = await ready();
    const rec = await drones.issue('drone-1', { action: 'goto', latDeg: 30.27, lonDeg: 120.065, altitudeRelM: 20 }, 'op1').done;
    expect(states(rec)).toEqual(['queued', 'failed']);
    expect(rec.transitions.at(-1)!.detail).toMatch(/^denied: go-to refused: vehicle is disarmed/);
  });

  it('arming refused for the position estimate: failed, detail names the PreArm reason', async () => {
    const { drones } = await ready({ sim: { prearmDelayS: 600 }, timeouts: { armReadyBudgetMs: 300, armRetryIntervalMs: 100 } });
    await drones.issue('drone-1', { action: 'set_mode', mode: 'GUIDED' }, 'op1').done;
    const rec = await drones.issue('drone-1', { action: 'arm' }, 'op1').done;
    expect(rec.state).toBe('failed');
    // The last reason of a boot the budget did not cover, in the autopilot's words.
    expect(rec.transitions.at(-1)!.detail).toMatch(/not ready after \d+ s: (Pre)?Arm: /);
    expect(rec.transitions.filter((t) => t.state === 'sent' && t.detail).length).toBeGreaterThan(0);
  });

  it('timeout: timed_out after the retries when no ack comes back', async () => {
    const { drones, sim } = await ready();
    sim.injectFault({ kind: 'ack_drop', pct: 100 });
    const rec = await drones.issue('drone-1', { action: 'set_speed', speedMps: 6 }, 'op1').done;
    expect(states(rec)).toEqual(['queued', 'sent', 'timed_out']);
  });

  it('cancel: cancelled, and the late ack does not move it', async () => {
    const { drones, sim, ledger } = await ready();
    sim.injectFault({ kind: 'ack_delay', delayMs: 3000 });
    const { id, done } = drones.issue('drone-1', { action: 'set_mode', mode: 'LOITER' }, 'op1');
    ledger.cancel(id);
    const rec = await done;
    expect(states(rec)).toEqual(['queued', 'sent', 'cancelled']);
    await new Promise((r) => setTimeout(r, 400));
    expect(ledger.get(id)!.state).toBe('cancelled');
  });

  it('unknown drone: failed without sending anything', async () => {
    const { drones } = await ready();
    const rec = await drones.issue('drone-9', { action: 'rtl' }, 'op1').done;
    expect(states(rec)).toEqual(['queued', 'failed']);
    expect(rec.transitions.at(-1)!.detail).toMatch(/no_vehicle/);
  });

  it('mission upload: succeeded only after read-back; a patrol may start only then', async () => {
    const { drones, v } = await ready();
    expect((await v.action.startMission()).status).toBe('denied');
    const items = [waypoint({ latDeg: 30.2712, lonDeg: 120.0651, altRelM: 35 }), waypoint({ latDeg: 30.2718, lonDeg: 120.0662, altRelM: 40 })];
    const rec = await drones.issue('drone-1', { action: 'plan_upload', missionType: 'mission', items }, 'op1').done;
    expect(states(rec)).toEqual(['queued', 'sent', 'acked', 'succeeded']);
    expect(rec.payload).toMatchObject({ missionType: 'mission', itemCount: 2 });
    expect(v.mission.verified).toBe(true);
  });

  it('mission upload refused by the vehicle: failed with its reason', async () => {
    const { drones, sim } = await ready();
    sim.injectFault({ kind: 'mission_reject', result: 'no_space' });
    const rec = await drones.issue('drone-1', { action: 'plan_upload', missionType: 'mission', items: [waypoint({ latDeg: 30.271, lonDeg: 120.065, altRelM: 30 })] }, 'op1').done;
    expect(rec.state).toBe('failed');
    expect(rec.transitions.at(-1)!.detail).toMatch(/no_space/);
  });
});
