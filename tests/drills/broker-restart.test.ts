import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { findFreePort } from '../../util/free-port.ts';
import { demoSite } from '../helpers/broker.ts';
import { startSimFleet, type SimFleet } from '../../simulators/fleet.ts';
import { MqttBus } from '../../control/mqtt/bus.ts';
import { startControlService } from '../../control/service.ts';
import { startControlApp } from '../../control/start-control-app.ts';
import { mavlinkSigningKeys } from '../../site/mavlink-keys.ts';
import type { Site } from '../../site/load.ts';
import type { DeliverySnapshot } from '../../control/broadcast/delivery.ts';
import { controlObservability } from '../../control/observability/metrics.ts';
import { runCli, until, type CliProcess } from './drill-helpers.ts';

/**
 * Drill: kill -9 of the broker process (`ringwatch broker`, its own process) with control,
 * eight simulated drones and fourteen speakers connected to it, then a restart on the same
 * port. Counted: every drone's retained status is back (aedes keeps retained messages in
 * memory, so the restarted broker starts with none: control must publish them again), and
 * a broadcast issued while the broker was dead reaches every speaker after the restart,
 * within its validity, instead of being reported no_answer.
 */

const closers: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) {
    try {
      await c();
    } catch {
      // keep closing the rest
    }
  }
});

function startBrokerProcess(port: number): CliProcess {
  // The broker flag given here so the process we hold is the one serving (no re-exec).
  return runCli(['broker', '--site', 'sites/demo.yaml', '--mqtt-port', String(port), '--no-ws', '--metrics-every', '0', '--metrics-port', '0'], {
    nodeFlags: ['--max-semi-space-size=32'],
  });
}

/** Drones whose retained status a newly connected client is given, within `windowMs`. */
async function retainedDroneStatuses(url: string, password: string, windowMs: number): Promise<Map<string, string>> {
  const c = await mqtt.connectAsync(url, { username: 'telemetry', password, clientId: `telemetry:drill-${Date.now()}`, reconnectPeriod: 0 });
  const got = new Map<string, string>();
  try {
    c.on('message', (topic, payload, packet) => {
      if (!packet.retain) return;
      got.set(topic.split('/')[3]!, (JSON.parse(payload.toString()) as { state: string }).state);
    });
    await c.subscribeAsync('ringwatch/v1/drone/+/status', { qos: 1 });
    await new Promise((r) => setTimeout(r, windowMs));
  } finally {
    await c.endAsync(true);
  }
  return got;
}

describe('drill: broker killed with -9 and restarted', () => {
  it('gets every drone status retained again and delivers a broadcast issued during the outage', async () => {
    const { site: base, secrets } = demoSite();
    const port = await findFreePort();
    const url = `mqtt://127.0.0.1:${port}`;
    let broker = startBrokerProcess(port);
    closers.push(() => broker.stop('SIGKILL', 5_000));
    await broker.waitFor(/broker listening/, 60_000);
    const brokerMetricsUrl = (await broker.waitFor(/broker metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/, 10_000))[1]!;

    const fleet: SimFleet = await startSimFleet({ site: base, secrets, mqttUrl: url, speed: 1, droneUdpPorts: 'any', drones: 'all', speakers: 'all', sensors: 'none' });
    closers.push(() => fleet.close());
    const site: Site = { ...base, drones: base.drones.map((d) => ({ ...d, mavlink: { ...d.mavlink, url: `udpout://127.0.0.1:${fleet.drones.get(d.id)!.udpPort}` } })) };
    const dataDir = mkdtempSync(join(tmpdir(), 'rw-drill-broker-'));
    closers.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const bus = await MqttBus.connect({ url, username: 'control', password: secrets.services['control']!, clientSuffix: `drill-${process.pid}` });
    closers.push(() => bus.client.endAsync(true));
    const control = await startControlService({ site, bus, dataDir, signingKeys: mavlinkSigningKeys(site.drones, secrets) });
    closers.push(() => control.close());
    const app = await startControlApp({ site, control, bus, dataDir, listen: { host: '127.0.0.1', port: 0 }, speed: 1 });
    closers.push(() => app.close());
    const broadcasts = app.ops.broadcasts!;
    const observed = controlObservability({ control, bus, ops: { alarms: app.ops.alarms, broadcasts, time: app.time } });
    closers.push(() => observed.close());
    const drones = site.drones.map((d) => d.id);
    const telemetrySecret = secrets.services['telemetry']!;

    // Every drone online and its status retained at the broker.
    await until(() => [...control.vehicles.values()].every((v) => v.online), 'every drone online over MAVLink', 60_000);
    await until(async () => [...(await retainedDroneStatuses(url, telemetrySecret, 500)).values()].filter((s) => s === 'online').length === drones.length, 'every drone status retained', 30_000);
    const speakerIds = [...fleet.speakers.keys()];
    // The broker's own metrics port counts its clients: every speaker, control.
    const brokerText = await (await fetch(brokerMetricsUrl)).text();
    expect(brokerText).toContain(`ringwatch_broker_clients{identity="speaker"} ${speakerIds.length}`);
    expect(brokerText).toContain('ringwatch_broker_clients{identity="control"} 1');
    expect(observed.health().status).toBe('ok');

    // kill -9: no DISCONNECT, no will handling at the broker, retained state gone with it.
    const killed = await broker.stop('SIGKILL', 5_000);
    expect(killed.signal).toBe('SIGKILL');
    await until(() => !bus.connected, 'control to notice the broker is gone', 30_000);
    expect(observed.health()).toMatchObject({ status: 'down', reasons: [expect.stringMatching(/^broker unreachable/)] });

    // A broadcast while the broker is dead, held past the ledger's 3 s ack timeout.
    const rec = broadcasts.send({ target: { kind: 'devices', deviceIds: speakerIds }, source: { kind: 'tts', text: 'Drill: please leave the area.', lang: 'en' }, volumePct: 50, loop: false, priority: 40 }, 'drill');
    const outageMs = 5_000;
    await new Promise((r) => setTimeout(r, outageMs));
    expect(rec.report.snapshot().counts.no_answer).toBe(0);

    broker = startBrokerProcess(port);
    await broker.waitFor(/broker listening/, 60_000);
    const restartedAtMs = Date.now();

    // Every drone's status retained again, without any drone changing state.
    let statuses = new Map<string, string>();
    await until(async () => {
      statuses = await retainedDroneStatuses(url, telemetrySecret, 500);
      return drones.every((d) => statuses.get(d) === 'online');
    }, 'every drone status retained after the restart', 30_000);
    expect(statuses.size).toBe(drones.length);
    expect(bus.counters.reconnects).toBeGreaterThanOrEqual(1);
    expect(observed.health().status).toBe('ok');
    const controlText = await observed.registry.metrics();
    expect(controlText).toMatch(/ringwatch_control_retained_republished_total [1-9]/);

    // The broadcast reached every speaker after the restart, inside its validity.
    let snap: DeliverySnapshot = rec.report.snapshot();
    await until(() => {
      snap = rec.report.snapshot();
      return snap.speakers.every((s) => s.atMs.accepted !== undefined) || snap.done;
    }, 'every speaker to accept the broadcast', rec.expiresAtMs - Date.now() + 10_000);
    for (const s of snap.speakers) {
      expect(s.state, `${s.speakerId}: ${s.reason ?? ''}`).not.toBe('no_answer');
      expect(s.atMs.accepted, s.speakerId).toBeGreaterThanOrEqual(restartedAtMs - 1_000);
      expect(s.atMs.accepted!, s.speakerId).toBeLessThan(rec.expiresAtMs);
    }
    expect(await observed.registry.metrics()).toContain(`ringwatch_control_device_commands_held_total ${speakerIds.length}`);
    const attempts = snap.speakers.map((s) => s.attempts);
    console.log(
      `broker restart drill: ${statuses.size}/${drones.length} drone statuses retained again; ` +
        `${snap.speakers.filter((s) => s.atMs.accepted !== undefined).length}/${snap.speakers.length} speakers accepted the outage broadcast ` +
        `(${attempts.filter((a) => a > 1).length} after a retry), last ${Math.max(...snap.speakers.map((s) => s.atMs.accepted! - restartedAtMs))} ms after the restart; ` +
        `device commands held ${control.devices?.counters.held ?? 0}`,
    );
  }, 240_000);
});
