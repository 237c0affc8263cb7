import { Duplex, PassThrough } from 'node:stream';
import { common, type MavLinkData } from 'node-mavlink';
import { MavlinkLink, type MavlinkMessage } from '../../mavlink/link.ts';
import { UdpDuplex } from '../../mavlink/transports/udp.ts';
import { loadSite } from '../../site/load.ts';
import type { Drone } from '../../site/schema.ts';
import { attachSimDrone, startSimDrone, type SimDroneHandle, type SimDroneOptions } from '../../simulators/drone/index.ts';

export const DEMO_SITE = new URL('../../sites/demo.yaml', import.meta.url).pathname;

/** The demo site's drone entries (drone-1..8). */
export function demoDrones(): Drone[] {
  return loadSite(DEMO_SITE).drones;
}

export interface SimDroneFleet {
  drones: SimDroneHandle[];
  close(): Promise<void>;
}

/**
 * Starts sim drones on port 0 (UDP, plus TCP when `tcp` is set) from the demo site's
 * drones, or the ones given. Defaults suit tests: no boot-time arming delay.
 */
export async function startSimDrones(
  opts: { drones?: Drone[]; count?: number; tcp?: boolean } & Partial<Omit<SimDroneOptions, 'drone' | 'udpPort' | 'tcpPort'>> = {},
): Promise<SimDroneFleet> {
  const { drones: given, count, tcp, ...rest } = opts;
  const list = (given ?? demoDrones()).slice(0, count ?? undefined);
  const drones: SimDroneHandle[] = [];
  try {
    for (const drone of list) {
      drones.push(await startSimDrone({ prearmDelayS: 0, ...rest, drone, udpPort: 0, tcpPort: tcp ? 0 : undefined }));
    }
  } catch (err) {
    await Promise.all(drones.map((d) => d.close()));
    throw err;
  }
  return { drones, close: async () => void (await Promise.all(drones.map((d) => d.close()))) };
}

/** Two Duplex ends joined back to back. */
export function duplexPair(): [Duplex, Duplex] {
  const aToB = new PassThrough();
  const bToA = new PassThrough();
  return [Duplex.from({ readable: bToA, writable: aToB }), Duplex.from({ readable: aToB, writable: bToA })];
}

/**
 * A minimal ground station for tests: sends as sysid 255/190, records everything,
 * and waits for messages by predicate with a named timeout (no sleeps).
 */
export class TestGcs {
  readonly received: MavlinkMessage[] = [];
  private waiters = new Set<{ pred: (m: MavlinkMessage) => boolean; resolve: (m: MavlinkMessage) => void }>();

  constructor(readonly link: MavlinkLink, readonly targetSystem: number) {
    link.on('message', (m) => {
      this.received.push(m);
      for (const w of this.waiters) {
        if (w.pred(m)) {
          this.waiters.delete(w);
          w.resolve(m);
        }
      }
    });
  }

  /** A GCS over UDP to a sim drone's port. */
  static async udp(drone: SimDroneHandle): Promise<TestGcs> {
    const stream = await UdpDuplex.open({ bindPort: 0, remote: { host: '127.0.0.1', port: drone.udpPort! } });
    return new TestGcs(new MavlinkLink(stream, { systemId: 255, componentId: 190 }), drone.systemId);
  }

  /** A vehicle attached to an in-memory pair, and a GCS on the other end. */
  static inMemory(opts: Omit<SimDroneOptions, 'udpPort' | 'tcpPort'>): { gcs: TestGcs; drone: SimDroneHandle } {
    const [a, b] = duplexPair();
    const drone = attachSimDrone(b, opts);
    return { gcs: new TestGcs(new MavlinkLink(a, { systemId: 255, componentId: 190 }), drone.systemId), drone };
  }

  send(msg: MavLinkData): void {
    this.link.send(msg);
  }

  /** Resolves with the next message (from now on) matching; rejects after `timeoutMs`. */
  next<T extends MavLinkData>(
    cls: { MSG_ID: number; new (): T },
    pred: (d: T) => boolean = () => true,
    timeoutMs = 3000,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const w = {
        pred: (m: MavlinkMessage) => m.msgid === cls.MSG_ID && pred(m.data as T),
        resolve: (m: MavlinkMessage) => {
          clearTimeout(timer);
          resolve(m.data as T);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`no ${cls.name} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(w);
    });
  }

  /** Sends COMMAND_LONG and resolves with its COMMAND_ACK. */
  async command(command: number, params: number[] = [], timeoutMs = 3000): Promise<common.CommandAck> {
    const ack = this.next(common.CommandAck, (a) => a.command === command, timeoutMs);
    this.send(commandLong(this.targetSystem, command, params));
    return ack;
  }

  texts(): string[] {
    return this.received.filter((m) => m.msgid === common.StatusText.MSG_ID).map((m) => (m.data as common.StatusText).text);
  }

  close(): void {
    this.link.close();
  }
}

export function commandLong(targetSystem: number, command: number, params: number[] = []): common.CommandLong {
  const c = new common.CommandLong();
  c.targetSystem = targetSystem;
  c.targetComponent = 1;
  c.command = command;
  c.confirmation = 0;
  const p = [...params, 0, 0, 0, 0, 0, 0, 0];
  c._param1 = p[0]!;
  c._param2 = p[1]!;
  c._param3 = p[2]!;
  c._param4 = p[3]!;
  c._param5 = p[4]!;
  c._param6 = p[5]!;
  c._param7 = p[6]!;
  return c;
}
