import type { Duplex } from 'node:stream';
import { openGroundStream, parseEndpoint, type RejectCounts } from '../mavlink/index.ts';
import { LinkThread, type LinkThreadStats } from '../mavlink/link-thread/link-thread.ts';
import type { Site } from '../site/index.ts';
import { ControlError } from './errors.ts';
import { DroneCommands } from './commands/drone-commands.ts';
import { TelemetryGateway } from './gateway/telemetry-gateway.ts';
import { JsonlLedgerStore } from './ledger/jsonl-store.ts';
import { Ledger, type LedgerSink } from './ledger/ledger.ts';
import { MqttLedgerSink } from './ledger/mqtt-sink.ts';
import { GroundLink, linkThreadEndpoint, type GroundLinkVehicle } from './mavlink/ground-link.ts';
import type { Bus } from './mqtt/bus.ts';
import { DeviceCommands } from './mqtt/device-commands.ts';
import { InboundRouter } from './mqtt/inbound-router.ts';
import { DEFAULT_TIMEOUTS, systemClock, type Clock, type ControlTimeouts } from './timeouts.ts';
import type { StreamRates } from './vehicle/streams.ts';
import type { Vehicle } from './vehicle/vehicle.ts';

export interface ControlServiceOptions {
  site: Pick<Site, 'drones'>;
  /** The broker connection (control identity). Without it: links, vehicle API and ledger only. */
  bus?: Bus;
  /** Ledger JSONL goes here; without it the ledger is kept in memory (and on MQTT). */
  dataDir?: string;
  timeouts?: Partial<ControlTimeouts>;
  clock?: Clock;
  /** MQTT telemetry rate per drone, Hz (default 2). */
  telemetryRateHz?: number;
  streamRates?: StreamRates;
  /** Opens the ground side of an endpoint; tests substitute in-memory pairs. Given: no link thread. */
  openStream?: (url: string) => Promise<Duplex>;
  /**
   * Run the endpoints' sockets, gates and GCS heartbeats in their own worker thread, so
   * nothing the main thread does (a heavy API request) delays a heartbeat or starves the
   * links (issue 15). Default true; false opens them on the main thread as before.
   */
  linkThread?: boolean;
  /** MAVLink 2 signing keys by drone id (site/mavlink-keys.ts reads them from the secrets file). */
  signingKeys?: ReadonlyMap<string, Buffer>;
  /** Refused MAVLink frames are logged here, rate-limited per source (default stderr). */
  log?: (line: string) => void;
}

export interface ControlService {
  readonly vehicles: ReadonlyMap<string, Vehicle>;
  readonly links: ReadonlyMap<string, GroundLink>;
  readonly ledger: Ledger;
  readonly drones: DroneCommands;
  /** Present when a bus was given. */
  readonly devices: DeviceCommands | undefined;
  readonly gateway: TelemetryGateway | undefined;
  /** The one way device MQTT comes in (present when a bus was given): register handlers on (kind, channel). */
  readonly inbound: InboundRouter | undefined;
  vehicle(droneId: string): Vehicle;
  stats(): ControlStats;
  /** The link thread's event-loop delay and utilisation, restarts and endpoints (undefined: links on the main thread). */
  linkThreadStats(): LinkThreadStats | undefined;
  close(): Promise<void>;
}

export interface ControlStats {
  links: { url: string; rxPackets: number; txPackets: number; badFrames: number; unknownSystem: number; rejected: RejectCounts; vehicles: number; online: number }[];
  ledgerRefusedTransitions: number;
}

/** Endpoints opened together in the link thread. */
const OPEN_BATCH = 50;

/**
 * Starts the control service's part 1: one GroundLink per distinct endpoint of the site's
 * drones (many vehicles may share one), the telemetry gateway and the command ledger.
 */
export async function startControlService(o: ControlServiceOptions): Promise<ControlService> {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...o.timeouts };
  const clock = o.clock ?? systemClock;
  const sinks: LedgerSink[] = [];
  if (o.dataDir) sinks.push(new JsonlLedgerStore(o.dataDir));
  if (o.bus) sinks.push(new MqttLedgerSink(o.bus));
  const ledger = new Ledger(clock, sinks);
  if (o.dataDir) ledger.restore(JsonlLedgerStore.read(o.dataDir).records);
  const gateway = o.bus ? new TelemetryGateway({ bus: o.bus, clock, telemetryRateHz: o.telemetryRateHz ?? 2 }) : undefined;
  const vehicles = new Map<string, Vehicle>();
  // Our MAVLink drones' telemetry and status reach operations in-process from the gateway;
  // the broker's copy of them is skipped unparsed rather than validated a second time.
  const inbound = o.bus
    ? new InboundRouter(o.bus, { inProcess: (t) => t.kind === 'drone' && gateway?.handsOver(t.deviceId, t.channel) === true, ...(o.log ? { log: o.log } : {}) })
    : undefined;
  const devices = o.bus && inbound ? new DeviceCommands(o.bus, ledger, clock, timeouts, { inbound }) : undefined;
  await devices?.start();

  const byUrl = new Map<string, Site['drones']>();
  for (const d of o.site.drones) {
    try {
      parseEndpoint(d.mavlink.url);
    } catch (err) {
      throw new ControlError('CTL_ERR_BAD_ENDPOINT', `${d.id}: ${(err as Error).message}`);
    }
    // Fail closed: a drone whose site entry asks for signing never runs unsigned.
    if (d.mavlink.signing && !o.signingKeys?.has(d.id)) throw new Error(`${d.id}: the site asks for MAVLink signing (key "${d.mavlink.signing.keyId}") but no key was given`);
    const list = byUrl.get(d.mavlink.url) ?? [];
    list.push(d);
    byUrl.set(d.mavlink.url, list);
  }

  const links = new Map<string, GroundLink>();
  let thread: LinkThread | undefined;
  try {
    if (!o.openStream && o.linkThread !== false && byUrl.size > 0) thread = await LinkThread.start({ ...(o.log ? { log: o.log } : {}) });
    const endpoints = [...byUrl].map(([url, drones]) => ({
      url,
      vehicles: drones.map((d): GroundLinkVehicle => ({ droneId: d.id, systemId: d.mavlink.systemId, autopilot: d.mavlink.autopilot, signingKey: o.signingKeys?.get(d.id) })),
    }));
    // Through the link thread endpoints open OPEN_BATCH at a time: one at a time, a thousand
    // round trips to the thread were most of the start-up. A failure closes the thread, and with it the others.
    const threaded: Duplex[] = [];
    for (let k = 0; thread && k < endpoints.length; k += OPEN_BATCH) {
      const batch = endpoints.slice(k, k + OPEN_BATCH).map((e) => thread!.open(linkThreadEndpoint({ endpointUrl: e.url, vehicles: e.vehicles, timeouts })));
      const settled = await Promise.allSettled(batch);
      for (const r of settled) if (r.status === 'fulfilled') threaded.push(r.value);
      const failed = settled.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
    for (const [k, { url, vehicles: linkVehicles }] of endpoints.entries()) {
      const stream = thread ? threaded[k]! : o.openStream ? await o.openStream(url) : await openGroundStream(parseEndpoint(url));
      const gl = new GroundLink(stream, {
        endpointUrl: url,
        vehicles: linkVehicles,
        timeouts,
        clock,
        streamRates: o.streamRates,
        ...(o.log ? { log: o.log } : {}),
      });
      links.set(url, gl);
      for (const v of gl.vehicles.values()) {
        vehicles.set(v.droneId, v);
        gateway?.add(v);
      }
    }
  } catch (err) {
    for (const gl of links.values()) gl.close();
    gateway?.close();
    await thread?.close();
    throw err;
  }

  const drones = new DroneCommands(ledger, vehicles);
  let closed = false;
  return {
    vehicles,
    links,
    ledger,
    drones,
    devices,
    gateway,
    inbound,
    vehicle(droneId) {
      const v = vehicles.get(droneId);
      if (!v) throw new ControlError('CTL_ERR_UNKNOWN_DRONE', droneId);
      return v;
    },
    stats() {
      return {
        links: [...links.values()].map((gl) => ({
          url: gl.opts.endpointUrl,
          rxPackets: gl.link.counters.rxPackets,
          txPackets: gl.link.counters.txPackets + gl.threadHeartbeatsSent,
          badFrames: gl.badFrames,
          unknownSystem: gl.counters.unknownSystem,
          rejected: { ...gl.link.counters.rejected },
          vehicles: gl.vehicles.size,
          online: [...gl.vehicles.values()].filter((v) => v.online).length,
        })),
        ledgerRefusedTransitions: ledger.refusedTransitions,
      };
    },
    linkThreadStats() {
      return thread?.stats();
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const gl of links.values()) gl.close();
      gateway?.close();
      devices?.close();
      await thread?.close();
      await ledger.close();
    },
  };
}
