import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../control/api/app.ts';
import { AuditLog } from '../../control/api/audit-log.ts';
import { EventHub } from '../../control/api/event-hub.ts';
import { SessionStore } from '../../control/api/sessions.ts';
import { WarningLibrary } from '../../control/api/warning-library.ts';
import type { DroneRequest } from '../../control/commands/drone-commands.ts';
import { MqttBus } from '../../control/mqtt/bus.ts';
import { startControlService, type ControlService } from '../../control/service.ts';
import { systemClock } from '../../control/timeouts.ts';
import { parseDeviceTopic } from '../../protocol/index.ts';
import type { Site } from '../../site/index.ts';
import { attachSimDrone, type SimDroneHandle, type SimDroneOptions } from '../../simulators/drone/index.ts';
import { webMapPlugin, type WebMapOptions } from '../../web-map/server/plugin.ts';
import { demoSite, startBroker, type TestBroker } from './broker.ts';
import { duplexPair } from './sim-drone.ts';

export interface StackOptions {
  site?: Site;
  /** Simulated MAVLink drones for these site drone ids (default: all); [] for none. */
  simDroneIds?: string[];
  sim?: Partial<Omit<SimDroneOptions, 'drone'>>;
  web?: WebMapOptions;
  /** SSE flush interval (default 100 ms as in production). */
  liveFlushMs?: number;
}

export interface Stack {
  /** http://127.0.0.1:PORT — the console at `/`, the API at `/api`. */
  url: string;
  site: Site;
  broker: TestBroker;
  bus: MqttBus;
  control: ControlService;
  hub: EventHub;
  app: FastifyInstance;
  sims: Map<string, SimDroneHandle>;
  /** Issues a drone request as `issuer` through the ledger and waits for its end state. */
  command(droneId: string, req: DroneRequest, issuer?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * The whole console stack in one process on port 0: broker, simulated Copters on
 * in-memory MAVLink pairs, control service part 1 (links, gateway, ledger) on the
 * broker, the control HTTP API, and the web map on the same fastify server.
 *
 * Until the control service publishes into the API's live hub itself, this helper
 * bridges it the way the service will: device telemetry and status from the broker,
 * ledger changes from the ledger. Always `close()` it.
 */
export async function startStack(o: StackOptions = {}): Promise<Stack> {
  const site = o.site ?? demoSite().site;
  const secrets = demoSite().secrets;
  const dataDir = mkdtempSync(join(tmpdir(), 'rw-stack-'));
  const closers: (() => Promise<void> | void)[] = [() => rmSync(dataDir, { recursive: true, force: true })];
  const close = async () => {
    for (const c of closers.reverse()) await Promise.resolve(c()).catch(() => undefined);
  };
  try {
    const broker = await startBroker({ site });
    closers.push(() => broker.close());
    const bus = await MqttBus.connect({ url: broker.url, username: 'control', password: secrets.services['control']!, clientSuffix: 'stack' });
    closers.push(() => bus.close());

    const simIds = new Set(o.simDroneIds ?? site.drones.map((d) => d.id));
    const sims = new Map<string, SimDroneHandle>();
    const ends = new Map<string, Duplex>();
    for (const d of site.drones) {
      const [ground, air] = duplexPair();
      ends.set(d.mavlink.url, ground);
      if (simIds.has(d.id)) sims.set(d.id, attachSimDrone(air, { prearmDelayS: 0, ...o.sim, drone: d }));
    }
    closers.push(async () => void (await Promise.all([...sims.values()].map((s) => s.close()))));
    const control = await startControlService({ site, bus, dataDir, openStream: async (url) => ends.get(url)! });
    closers.push(() => control.close());

    const hub = new EventHub(o.liveFlushMs ?? 100);
    closers.push(() => hub.close());
    await bus.subscribe('ringwatch/v1/+/+/+', (topic, payload) => {
      const t = parseDeviceTopic(topic);
      if (!t) return;
      let data: Record<string, unknown>;
      try {
        data = JSON.parse(payload.toString()) as Record<string, unknown>;
      } catch {
        return;
      }
      if (t.kind === 'drone' && t.channel === 'telemetry') hub.publish({ type: 'telemetry', data: { droneId: t.deviceId, ...data } });
      else if (t.channel === 'status') {
        hub.publish({ type: 'status', data: { kind: t.kind, deviceId: t.deviceId, state: data['state'] } });
        if (t.kind === 'drone') hub.publish({ type: 'link', data: { droneId: t.deviceId, state: data['state'] === 'online' ? 'ok' : 'lost' } });
      } else if (t.kind === 'sensor' && t.channel === 'event') hub.publish({ type: 'sensor_event', data: { deviceId: t.deviceId, ...data } });
      else if (t.kind === 'speaker' && t.channel === 'telemetry') hub.publish({ type: 'speaker', data: { deviceId: t.deviceId, ...data } });
    });
    control.ledger.on('change', (rec) => hub.publish({ type: 'ledger', data: rec }));

    const audit = await AuditLog.open({ dataDir, clock: systemClock });
    closers.push(() => audit.close());
    const app = await buildApi({ site, clock: systemClock, sessions: new SessionStore(site.users, systemClock), audit, warnings: new WarningLibrary(site.warnings, dataDir), hub });
    await app.register(webMapPlugin(o.web));
    await app.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => app.close());
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;

    return {
      url: `http://127.0.0.1:${port}`,
      site,
      broker,
      bus,
      control,
      hub,
      app,
      sims,
      async command(droneId, req, issuer = 'test') {
        return (await control.drones.issue(droneId, req, issuer).done).state;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
