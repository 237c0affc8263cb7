import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Site } from '../../site/load.ts';
import type { SecretsFile } from '../../site/secrets-file.ts';
import { startSimFleet, type SimFleet, type SimFleetOptions } from '../../simulators/fleet.ts';
import { EventRequest, FaultRequest } from '../../simulators/fleet/faults.ts';
import { MqttBus } from '../../control/mqtt/bus.ts';
import { startControlService, type ControlService } from '../../control/service.ts';
import type { ControlTimeouts } from '../../control/timeouts.ts';
import type { Operations, OperationsOptions } from '../../control/ops/operations.ts';
import type { OpsTime } from '../../control/ops/sim-time.ts';
import type { EventHub } from '../../control/live/event-hub.ts';
import { startControlApp } from '../../control/start-control-app.ts';
import { startBroker, demoSite, type TestBroker } from './broker.ts';
import { mavlinkSigningKeys } from '../../site/mavlink-keys.ts';

export interface ControlStackOptions {
  /** Time acceleration for the simulators and the operations layer (default 10). */
  speed?: number;
  site?: Site;
  secrets?: SecretsFile;
  drones?: SimFleetOptions['drones'];
  speakers?: SimFleetOptions['speakers'];
  sensors?: SimFleetOptions['sensors'];
  timeouts?: Partial<ControlTimeouts>;
  ops?: Partial<Pick<OperationsOptions, 'alarmRules' | 'planOptions'>>;
}

export interface ControlStack {
  broker: TestBroker;
  fleet: SimFleet;
  /** The site as the control service sees it: drones point at their simulators' ports. */
  site: Site;
  secrets: SecretsFile;
  control: ControlService;
  /** Control's own connection to the broker (a test may cut it to see what the engineer sees). */
  bus: MqttBus;
  ops: Operations;
  hub: EventHub;
  time: OpsTime;
  api: FastifyInstance;
  /** http://127.0.0.1:PORT of the API. */
  apiUrl: string;
  dataDir: string;
  /** Logs a demo user in; returns a bearer token. */
  login(username: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * The control plane on loopback for integration tests: a real broker, the simulator
 * fleet (drones on their own UDP ports, speakers, sensors), the control service (links,
 * ledger, gateway), operations (patrols, alarms, broadcasts) and the HTTP API on port 0.
 */
export async function startControlStack(o: ControlStackOptions = {}): Promise<ControlStack> {
  const speed = o.speed ?? 10;
  const base = o.site ?? demoSite().site;
  const secrets = o.secrets ?? demoSite().secrets;
  const dataDir = mkdtempSync(join(tmpdir(), 'rw-stack-'));
  const closers: (() => Promise<void> | void)[] = [() => rmSync(dataDir, { recursive: true, force: true })];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) {
      try {
        await c();
      } catch {
        // keep closing the rest
      }
    }
  };
  try {
    const broker = await startBroker({ site: base, secrets });
    closers.push(() => broker.close());
    const fleet = await startSimFleet({
      site: base,
      secrets,
      mqttUrl: broker.url,
      speed,
      droneUdpPorts: 'any',
      drones: o.drones ?? 'all',
      speakers: o.speakers ?? 'all',
      sensors: o.sensors ?? 'none',
    });
    closers.push(() => fleet.close());
    const site: Site = {
      ...base,
      drones: base.drones
        .filter((d) => fleet.drones.has(d.id))
        .map((d) => ({ ...d, mavlink: { ...d.mavlink, url: `udpout://127.0.0.1:${fleet.drones.get(d.id)!.udpPort}` } })),
    };
    const bus = await MqttBus.connect({ url: broker.url, username: 'control', password: secrets.services['control']!, clientSuffix: `stack-${process.pid}-${Date.now()}` });
    closers.push(() => bus.client.endAsync());
    // The fleet signs with the drones' keys from the secrets (the demo runs signed); so do we.
    const signingKeys = mavlinkSigningKeys(site.drones, secrets);
    const control = await startControlService({ site, bus, dataDir, signingKeys, ...(o.timeouts ? { timeouts: o.timeouts } : {}) });
    closers.push(() => control.close());
    const app = await startControlApp({
      site,
      control,
      bus,
      dataDir,
      listen: { host: '127.0.0.1', port: 0 },
      speed,
      sim: { injectFault: (r) => fleet.injectFault(r as FaultRequest), faultSchema: FaultRequest, triggerEvent: (r) => fleet.triggerEvent(r as EventRequest), eventSchema: EventRequest },
      ...(o.ops ? { ops: o.ops } : {}),
    });
    closers.push(() => app.close());
    const { ops, hub, time, api } = app;
    const apiUrl = app.url;
    const login = async (username: string) => {
      const r = await api.inject({ method: 'POST', url: '/api/login', payload: { username, password: secrets.users![username]! } });
      if (r.statusCode !== 200) throw new Error(`login ${username}: ${r.statusCode} ${r.body}`);
      return (r.json() as { token: string }).token;
    };
    return { broker, fleet, site, secrets, control, bus, ops, hub, time, api, apiUrl, dataDir, login, close };
  } catch (err) {
    await close();
    throw err;
  }
}

export { eventually } from './wait.ts';
