import { afterEach } from 'vitest';
import { duplexPair } from './duplex.ts';
import { common, type MavLinkData } from 'node-mavlink';
import { MavlinkLink, type MavlinkMessage } from '../../mavlink/link.ts';
import { UdpDuplex } from '../../mavlink/transports/udp.ts';
import { loadSite } from '../../site/load.ts';
import type { Drone } from '../../site/schema.ts';
import { attachSimDrone, SimVehicle, startSimDrone, type SimDroneHandle, type SimDroneOptions, type SimDroneState } from '../../simulators/drone/index.ts';
import type { VehicleOptions } from '../../simulators/drone/model/vehicle.ts';

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

export { duplexPair };

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

  /**
   * Sends COMMAND_INT (params as for COMMAND_LONG: param5/6 in degrees) and resolves with
   * its COMMAND_ACK. Frame GLOBAL_RELATIVE_ALT_INT unless given.
   */
  async commandInt(command: number, params: number[] = [], frame: number = common.MavFrame.GLOBAL_RELATIVE_ALT_INT, timeoutMs = 3000): Promise<common.CommandAck> {
    const ack = this.next(common.CommandAck, (a) => a.command === command, timeoutMs);
    this.send(commandInt(this.targetSystem, command, params, frame));
    return ack;
  }

  /** Sends COMMAND_LONG and resolves with its COMMAND_ACK. */
  async command(command: number, params: number[] = [], timeoutMs = 3000): Promise<common.CommandAck> {
    const ack = this.next(common.CommandAck, (a) => a.command === command, timeoutMs);
    this.send(commandLong(this.targetSystem, command, params));
    return ack;
  }

  /**
   * Uploads `items` of `missionType` the GCS way: MISSION_COUNT, answer each
   * MISSION_REQUEST_INT or MISSION_REQUEST (counting which style the vehicle used),
   * resolve with the final MISSION_ACK.
   */
  async upload(
    items: common.MissionItemInt[],
    missionType = 0,
    opts: { legacyItems?: boolean; timeoutMs?: number } = {},
  ): Promise<{ ack: common.MissionAck; requestsInt: number; requestsLegacy: number }> {
    let requestsInt = 0;
    let requestsLegacy = 0;
    const onMsg = (m: MavlinkMessage): void => {
      const isInt = m.msgid === common.MissionRequestInt.MSG_ID;
      if (!isInt && m.msgid !== common.MissionRequest.MSG_ID) return;
      const req = m.data as common.MissionRequestInt;
      if (req.missionType !== missionType) return;
      if (isInt) requestsInt++;
      else requestsLegacy++;
      const item = items[req.seq];
      if (item) this.send(opts.legacyItems ? toLegacy(item) : item);
    };
    this.link.on('message', onMsg);
    try {
      const ack = this.next(common.MissionAck, (a) => a.missionType === missionType, opts.timeoutMs ?? 5000);
      const count = missionCount(this.targetSystem, items.length, missionType);
      this.send(count);
      return { ack: await ack, requestsInt, requestsLegacy };
    } finally {
      this.link.off('message', onMsg);
    }
  }

  /** Downloads a list with MISSION_REQUEST_LIST and MISSION_REQUEST_INT (or legacy MISSION_REQUEST). */
  async download(missionType = 0, legacy = false): Promise<(common.MissionItemInt | common.MissionItem)[]> {
    const countP = this.next(common.MissionCount, (c) => c.missionType === missionType);
    const list = new common.MissionRequestList();
    list.targetSystem = this.targetSystem;
    list.targetComponent = 1;
    list.missionType = missionType;
    this.send(list);
    const { count } = await countP;
    const items: (common.MissionItemInt | common.MissionItem)[] = [];
    for (let seq = 0; seq < count; seq++) {
      const cls = legacy ? common.MissionItem : common.MissionItemInt;
      const got = this.next<common.MissionItemInt | common.MissionItem>(cls, (i) => i.seq === seq && i.missionType === missionType);
      const req = legacy ? new common.MissionRequest() : new common.MissionRequestInt();
      req.targetSystem = this.targetSystem;
      req.targetComponent = 1;
      req.seq = seq;
      req.missionType = missionType;
      this.send(req);
      items.push(await got);
    }
    const ack = new common.MissionAck();
    ack.targetSystem = this.targetSystem;
    ack.targetComponent = 1;
    ack.type = common.MavMissionResult.ACCEPTED;
    ack.missionType = missionType;
    this.send(ack);
    return items;
  }

  texts(): string[] {
    return this.received.filter((m) => m.msgid === common.StatusText.MSG_ID).map((m) => (m.data as common.StatusText).text);
  }

  close(): void {
    this.link.close();
  }
}

type InMemoryVehicle = { gcs: TestGcs; drone: SimDroneHandle };

export interface OpenInMemoryVehicle {
  (opts?: Partial<Omit<SimDroneOptions, 'drone'>>): InMemoryVehicle;
  /** Closes ground stations and drones the test wired by hand along with the rest. */
  adopt(...v: InMemoryVehicle[]): void;
}

/**
 * Registers an `afterEach` that closes every in-memory sim drone and ground station the
 * test opened, and returns the opener: `defaults`, then the test's own options on top.
 */
export function useInMemoryVehicles(defaults: Omit<SimDroneOptions, 'udpPort' | 'tcpPort'>): OpenInMemoryVehicle {
  const open: InMemoryVehicle[] = [];
  afterEach(async () => {
    for (const o of open.splice(0)) {
      o.gcs.close();
      await o.drone.close();
    }
  });
  const openVehicle = (opts: Partial<Omit<SimDroneOptions, 'drone'>> = {}): InMemoryVehicle => {
    const v = TestGcs.inMemory({ ...defaults, ...opts });
    open.push(v);
    return v;
  };
  return Object.assign(openVehicle, { adopt: (...v: InMemoryVehicle[]) => void open.push(...v) });
}

/** MISSION_COUNT to the autopilot (component 1) of `targetSystem`: the start of an upload. */
export function missionCount(targetSystem: number, count: number, missionType = 0): common.MissionCount {
  const m = new common.MissionCount();
  m.targetSystem = targetSystem;
  m.targetComponent = 1;
  m.count = count;
  m.missionType = missionType;
  return m;
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

/** COMMAND_INT from COMMAND_LONG-style params: param5/6 in degrees become degE7. */
export function commandInt(targetSystem: number, command: number, params: number[] = [], frame: number = common.MavFrame.GLOBAL_RELATIVE_ALT_INT): common.CommandInt {
  const c = new common.CommandInt();
  c.targetSystem = targetSystem;
  c.targetComponent = 1;
  c.command = command;
  c.frame = frame;
  const p = [...params, 0, 0, 0, 0, 0, 0, 0];
  c._param1 = p[0]!;
  c._param2 = p[1]!;
  c._param3 = p[2]!;
  c._param4 = p[3]!;
  c._param5 = Math.round(p[4]! * 1e7);
  c._param6 = Math.round(p[5]! * 1e7);
  c._param7 = p[6]!;
  return c;
}

export interface ItemSpec {
  latDeg?: number;
  lonDeg?: number;
  alt?: number;
  params?: [number?, number?, number?, number?];
  frame?: number;
  missionType?: number;
}

/** One MISSION_ITEM_INT (frame GLOBAL_RELATIVE_ALT_INT unless given). */
export function missionItem(seq: number, command: number, spec: ItemSpec = {}): common.MissionItemInt {
  const m = new common.MissionItemInt();
  m.targetSystem = 0;
  m.targetComponent = 1;
  m.seq = seq;
  m.frame = spec.frame ?? common.MavFrame.GLOBAL_RELATIVE_ALT_INT;
  m.command = command;
  m.current = 0;
  m.autocontinue = 1;
  const [p1 = 0, p2 = 0, p3 = 0, p4 = 0] = spec.params ?? [];
  m.param1 = p1;
  m.param2 = p2;
  m.param3 = p3;
  m.param4 = p4;
  m.x = Math.round((spec.latDeg ?? 0) * 1e7);
  m.y = Math.round((spec.lonDeg ?? 0) * 1e7);
  m.z = spec.alt ?? 0;
  m.missionType = spec.missionType ?? 0;
  return m;
}

function toLegacy(i: common.MissionItemInt): common.MissionItem {
  const m = new common.MissionItem();
  Object.assign(m, i);
  const global = i.frame !== common.MavFrame.MISSION;
  m.x = global ? i.x / 1e7 : i.x;
  m.y = global ? i.y / 1e7 : i.y;
  return m;
}

/** A point `northM`/`eastM` from `p` (flat earth; fine over test distances). */
export function offsetDeg(p: { latDeg: number; lonDeg: number }, northM: number, eastM: number): { latDeg: number; lonDeg: number } {
  return {
    latDeg: p.latDeg + northM / 111_320,
    lonDeg: p.lonDeg + eastM / (111_320 * Math.cos((p.latDeg * Math.PI) / 180)),
  };
}

/** A message the pure model sent, with the simulated time it left. */
export interface TimedMessage {
  atMs: number;
  data: MavLinkData;
}

/**
 * The pure vehicle model (no sockets, no timers) on a hand-driven clock, as a GCS sees
 * it: `send` delivers one MAVLink message, `run` advances simulated time in `stepMs`
 * steps, and `out` records every message the vehicle sent with its simulated time.
 */
export function simModel(opts: Partial<VehicleOptions> & { drone?: Drone; stepMs?: number } = {}) {
  const { drone: given, stepMs = 100, ...rest } = opts;
  const drone = given ?? demoDrones()[0]!;
  const v = new SimVehicle({ drone, ...rest });
  const ch = v.openChannel();
  let now = 0;
  const out: TimedMessage[] = [];
  // The vehicle refills one object per telemetry message id: keep a copy of each as sent.
  const collect = (): void => {
    for (const data of v.takeOutbox(ch)) {
      const copy = Object.assign(new (data.constructor as new () => MavLinkData)(), data);
      out.push({ atMs: now, data: copy });
    }
  };
  const send = (data: MavLinkData): void => {
    const msgid = (data.constructor as unknown as { MSG_ID: number }).MSG_ID;
    v.receive(ch, { sysid: 255, compid: 190, msgid, seq: 0, data } as MavlinkMessage, now);
    collect();
  };
  const cmd = (command: number, params: number[] = []): void => send(commandLong(v.systemId, command, params));
  /** COMMAND_INT with COMMAND_LONG-style params (degrees), GLOBAL_RELATIVE_ALT_INT unless given. */
  const cmdInt = (command: number, params: number[] = [], frame?: number): void => send(commandInt(v.systemId, command, params, frame));
  /** Advances `s` simulated seconds; `sample` sees the true state after every step. */
  const run = (s: number, sample?: (st: SimDroneState, tMs: number) => void): void => {
    const end = now + s * 1000;
    while (now < end - 1e-9) {
      now = Math.min(end, now + stepMs);
      v.advance(now);
      collect();
      sample?.(v.state(), now);
    }
  };
  const of = <T extends MavLinkData>(cls: { MSG_ID: number; new (): T }): (TimedMessage & { data: T })[] =>
    out.filter((m): m is TimedMessage & { data: T } => m.data instanceof cls);
  const acks = (command?: number) => of(common.CommandAck).filter((a) => command === undefined || a.data.command === command);
  const texts = () => of(common.StatusText);
  return { v, drone, send, cmd, cmdInt, run, out, of, acks, texts, nowMs: () => now };
}
