import { common, minimal, type MavLinkData } from 'node-mavlink';
import type { MavlinkMessage } from '../../../mavlink/link.ts';
import { dispatch } from '../handlers/index.ts';
import { DEFAULT_TRANSFER_TIMEOUTS, MissionTransfer, type Peer } from '../transfer/mission-transfer.ts';
import type { DroneFault, SimDroneOptions, SimDroneState } from '../types.ts';
import { Autopilot } from './autopilot.ts';
import { FaultState } from './faults.ts';
import { GpsSensor } from './gps.ts';
import { MissionStore, type StoredItem } from './mission-store.ts';
import { Rng } from './rng.ts';
import { StreamTable } from './streams.ts';
import { buildMessage, homePosition } from './telemetry.ts';
import { personalityFor, type Personality } from './personality/index.ts';
import { Wind } from './wind.ts';

/** PX4's STATUSTEXT stream skips log messages older than this (MavlinkStreamStatustext). */
const STALE_TEXT_MS = 5000;
/** A Copter on a flight controller is silent this long while it reboots. */
const REBOOT_SILENCE_MS = 3000;

interface Channel {
  streams: StreamTable;
  outbox: MavLinkData[];
}

export type VehicleOptions = Omit<SimDroneOptions, 'udpPort' | 'tcpPort' | 'speed'>;

/**
 * One simulated Copter with no sockets: messages in through `receive`, time in through
 * `advance`, messages out through `takeOutbox`, per channel (one channel per GCS link,
 * as ArduPilot has one per serial port). All times are simulated ms since boot.
 */
export class SimVehicle {
  readonly systemId: number;
  readonly id: string;
  readonly ap: Autopilot;
  readonly store: MissionStore;
  readonly faults = new FaultState();
  readonly rng: Rng;
  /** Packet-loss draws have their own stream, so they do not shift with the physics. */
  private readonly linkRng: Rng;
  readonly gps: GpsSensor;
  readonly transfer: MissionTransfer;
  private readonly channels = new Map<number, Channel>();
  private nextChannel = 0;
  private delayed: { dueMs: number; ch: number; msg: MavLinkData }[] = [];
  private rebootAtMs: number | undefined;
  /** While rebooting the vehicle neither hears nor says anything. */
  private silentUntilMs = -1;
  private bannerPending = false;
  readonly personality: Personality;
  /** STATUSTEXTs raised while a command runs: they leave after its COMMAND_ACK, as on the real autopilots. */
  private heldTexts: { severity: number; text: string }[] | undefined;
  private delayedTexts: { dueMs: number; severity: number; text: string }[] = [];
  private statusTextId = 0;
  /** First message heard from any GCS since boot (PX4 holds texts until it counts a GCS as connected). */
  private gcsHeardAtMs: number | undefined;
  /** Reused telemetry objects, one per message id: refilled each time it is due. */
  private readonly built = new Map<number, MavLinkData>();
  /** Messages built in the current advance (shared by every channel due at once). */
  private readonly builtAt = new Map<number, number>();
  private dueChannel: Channel | undefined;
  private readonly emitDue = (id: number): void => {
    const c = this.dueChannel!;
    let m = this.built.get(id);
    if (this.builtAt.get(id) !== this.ap.nowMs || !m) {
      m = buildMessage(id, this, m);
      if (!m) return;
      if (id !== common.HomePosition.MSG_ID) this.built.set(id, m);
      this.builtAt.set(id, this.ap.nowMs);
    }
    c.outbox.push(m);
  };

  constructor(readonly opts: VehicleOptions) {
    const d = opts.drone;
    this.systemId = d.mavlink.systemId;
    this.id = d.id;
    this.rng = new Rng(opts.seed ?? d.mavlink.systemId * 7919);
    this.linkRng = new Rng((opts.seed ?? d.mavlink.systemId * 7919) ^ 0x5bd1e995);
    const p = (this.personality = personalityFor(opts.autopilot ?? d.mavlink.autopilot));
    this.store = new MissionStore(opts.maxMissionItems ?? 700, p.missionHasHome);
    this.gps = new GpsSensor(opts.gpsNoiseM ?? 0.6);
    const prearmDelayS = opts.prearmDelayS ?? p.defaults.prearmDelayS;
    this.ap = new Autopilot(
      {
        personality: p,
        home: { latDeg: d.dock.latDeg, lonDeg: d.dock.lonDeg, altAmslM: d.dock.altitudeAmslM },
        wpSpeedMps: opts.wpSpeedMps ?? p.defaults.wpSpeedMps,
        cruiseSpeedMps: d.cruiseSpeedMps,
        maxSpeedMps: d.maxSpeedMps,
        batteryEnduranceS: batteryEndurance(opts.batteryEnduranceS, p, d.enduranceS),
        prearmDelayS,
        sensorChecksS: opts.sensorChecksS,
        // A shorter boot shortens the wait for the fix in proportion, unless given.
        gpsFixDelayS: Math.min(opts.gpsFixDelayS ?? p.defaults.gpsFixDelayS * Math.min(1, prearmDelayS / p.defaults.prearmDelayS), prearmDelayS),
        rtlAltM: opts.rtlAltM ?? p.defaults.rtlAltM,
        lowBatteryPct: opts.lowBatteryPct ?? 20,
        criticalBatteryPct: opts.criticalBatteryPct ?? 10,
        initialBatteryPct: opts.initialBatteryPct ?? 100,
        dockChargePctPerMin: opts.dockChargePctPerMin ?? 0,
        autoDisarmS: opts.autoDisarmS ?? 10,
        wind: new Wind(opts.wind),
      },
      this.store,
      this.faults,
      this.rng,
      {
        text: (sev, text) => this.text(sev, text),
        itemReached: (seq) => {
          const m = new common.MissionItemReached();
          m.seq = seq;
          this.broadcast(m);
        },
        homeChanged: () => this.broadcast(homePosition(this.ap)),
      },
    );
    this.gps.update(this.ap.body, 0, false, this.rng, !this.ap.gpsFixed());
    this.transfer = new MissionTransfer(
      this.store,
      {
        send: (ch, msg) => this.send(ch, msg),
        text: (sev, text) => this.text(sev, text),
        home: () => this.homeItem(),
        rejection: (type) => this.faults.uploadRejection(type),
        personality: p,
      },
      {
        legacyRequests: (opts.missionRequestStyle ?? p.defaultRequestStyle) === 'legacy',
        timeouts: { ...DEFAULT_TRANSFER_TIMEOUTS, ...opts.missionTimeouts },
      },
    );
  }

  get nowMs(): number {
    return this.ap.nowMs;
  }

  openChannel(): number {
    const ch = this.nextChannel++;
    this.channels.set(ch, { streams: new StreamTable(this.opts.initialStreamRatesHz, () => this.rng.next()), outbox: [] });
    return ch;
  }

  closeChannel(ch: number): void {
    this.channels.delete(ch);
  }

  streams(ch: number): StreamTable | undefined {
    return this.channels.get(ch)?.streams;
  }

  /** One inbound message at `nowMs`; lost on a faulty link, ignored when addressed to another system. */
  receive(ch: number, msg: MavlinkMessage, nowMs: number): void {
    this.advance(nowMs);
    if (nowMs < this.silentUntilMs) return;
    if (!this.channels.has(ch) || !this.faults.passes(nowMs, this.linkRng)) return;
    this.gcsHeardAtMs ??= nowMs;
    const target = (msg.data as { targetSystem?: number }).targetSystem;
    if (target !== undefined && target !== 0 && target !== this.systemId) return;
    dispatch(this, { ch, sysid: msg.sysid, compid: msg.compid }, msg);
  }

  /** Runs physics, failsafes, transfer timeouts, held-back acks and due streams up to `nowMs`. */
  advance(nowMs: number): void {
    if (nowMs <= this.ap.nowMs) return;
    const dtS = (nowMs - this.ap.nowMs) / 1000;
    this.ap.advance(nowMs);
    if (this.rebootAtMs !== undefined && nowMs >= this.rebootAtMs) this.reboot(nowMs);
    if (this.bannerPending && nowMs >= this.silentUntilMs) {
      this.bannerPending = false;
      // What the autopilot prints on boot, and what a GCS sees first after a reboot.
      for (const line of this.personality.banner) this.text(common.MavSeverity.INFO, line);
    }
    this.gps.update(this.ap.body, dtS, this.faults.gpsLost(nowMs), this.rng, !this.ap.gpsFixed());
    if (this.delayedTexts.length > 0) this.releaseTexts(nowMs);
    if (this.pendingTexts.length > 0) this.flushPendingTexts(nowMs);
    this.transfer.update(nowMs);
    if (this.delayed.length > 0) {
      const still = [];
      for (const d of this.delayed) {
        if (d.dueMs <= nowMs) this.channels.get(d.ch)?.outbox.push(d.msg);
        else still.push(d);
      }
      this.delayed = still;
    }
    for (const c of this.channels.values()) {
      this.dueChannel = c;
      c.streams.due(nowMs, this.emitDue);
    }
    this.dueChannel = undefined;
  }

  /** Messages to write on a channel; packet loss and link loss apply here (outbound). */
  takeOutbox(ch: number): MavLinkData[] {
    const c = this.channels.get(ch);
    if (!c || c.outbox.length === 0) return [];
    const out = c.outbox;
    c.outbox = [];
    const now = this.ap.nowMs;
    if (now < this.faults.linkLossUntilMs || now < this.silentUntilMs) return [];
    if (this.faults.packetLossPct <= 0) return out;
    return out.filter(() => !this.linkRng.chance(this.faults.packetLossPct));
  }

  send(ch: number, msg: MavLinkData): void {
    this.channels.get(ch)?.outbox.push(msg);
  }

  broadcast(msg: MavLinkData): void {
    for (const c of this.channels.values()) c.outbox.push(msg);
  }

  /** COMMAND_ACK to the requester, through the ack-delay and ack-drop faults. */
  commandAck(peer: Peer, command: number, result: number, resultParam2 = 0): void {
    const m = new common.CommandAck();
    m.command = command;
    m.result = result;
    m.resultParam2 = resultParam2;
    m.targetSystem = peer.sysid;
    m.targetComponent = peer.compid;
    if (this.faults.ackDropPct > 0 && this.linkRng.chance(this.faults.ackDropPct)) return;
    if (this.faults.ackDelayMs > 0) this.delayed.push({ dueMs: this.ap.nowMs + this.faults.ackDelayMs, ch: peer.ch, msg: m });
    else this.send(peer.ch, m);
  }

  /** MAV_CMD_PREFLIGHT_REBOOT_SHUTDOWN: the ack goes out first, the reboot starts on the next advance. */
  scheduleReboot(): void {
    this.rebootAtMs = this.ap.nowMs;
  }

  private reboot(nowMs: number): void {
    this.rebootAtMs = undefined;
    this.silentUntilMs = nowMs + REBOOT_SILENCE_MS;
    this.bannerPending = true;
    this.ap.rebootAt(this.silentUntilMs);
    this.transfer.reset();
    this.delayed = [];
    this.delayedTexts = [];
    this.pendingTexts = [];
    this.gcsHeardAtMs = undefined;
    this.built.clear();
    this.builtAt.clear();
    for (const c of this.channels.values()) {
      c.streams = new StreamTable(this.opts.initialStreamRatesHz, () => this.rng.next());
      c.outbox = [];
    }
  }

  /** A STATUSTEXT to every GCS (held back while a command runs, so it follows the command's ack). */
  text(severity: number, text: string): void {
    if (this.heldTexts) {
      this.heldTexts.push({ severity, text });
      return;
    }
    const afterGcs = this.personality.textsAfterGcsMs;
    if (afterGcs !== undefined) {
      const now = this.ap.nowMs;
      const flowsAtMs = this.gcsHeardAtMs === undefined ? Infinity : this.gcsHeardAtMs + afterGcs;
      if (now < flowsAtMs) {
        this.pendingTexts.push({ atMs: now, severity, text });
        return;
      }
    }
    for (const m of this.personality.statusTexts(severity, text, () => { const id = this.statusTextId; this.statusTextId = (id + 1) & 0xffff; return id; })) this.broadcast(m);
  }

  /**
   * Runs one command: STATUSTEXTs it raises (refusal reasons) leave `reasonDelayMs` after
   * its COMMAND_ACK (ArduPilot: a few ms, from its text queue; PX4: ~880 ms), never before.
   */
  withCommandTexts(run: () => void): void {
    const outer = this.heldTexts;
    const held: { severity: number; text: string }[] = [];
    this.heldTexts = held;
    try {
      run();
    } finally {
      this.heldTexts = outer;
    }
    if (held.length === 0) return;
    const dueMs = this.ap.nowMs + this.faults.ackDelayMs + this.personality.reasonDelayMs;
    for (const t of held) this.delayedTexts.push({ dueMs, ...t });
  }

  /** Texts raised before PX4's STATUSTEXT stream flows: sent once it does, unless older than 5 s (PX4 drops stale ones). */
  private pendingTexts: { atMs: number; severity: number; text: string }[] = [];

  private flushPendingTexts(nowMs: number): void {
    const afterGcs = this.personality.textsAfterGcsMs;
    if (afterGcs === undefined || this.gcsHeardAtMs === undefined || nowMs < this.gcsHeardAtMs + afterGcs) return;
    const pending = this.pendingTexts;
    this.pendingTexts = [];
    for (const t of pending) if (nowMs - t.atMs < STALE_TEXT_MS) this.text(t.severity, t.text);
  }

  private releaseTexts(nowMs: number): void {
    const due = this.delayedTexts.filter((t) => t.dueMs <= nowMs);
    if (due.length === 0) return;
    this.delayedTexts = this.delayedTexts.filter((t) => t.dueMs > nowMs);
    for (const t of due) this.text(t.severity, t.text);
  }

  injectFault(f: DroneFault): void {
    this.faults.apply(f, this.ap.nowMs);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  state(): SimDroneState {
    const b = this.ap.body;
    return {
      latDeg: b.latDeg,
      lonDeg: b.lonDeg,
      altRelM: b.altAmslM - this.ap.home.altAmslM,
      altAmslM: b.altAmslM,
      headingDeg: b.headingDeg,
      groundSpeedMps: Math.hypot(b.vn, b.ve),
      batteryPct: this.ap.battery.pct,
      mode: this.personality.modeLabel(this.ap.mode),
      armed: this.ap.armed,
      missionSeq: this.ap.mission.currentSeq,
      gpsFix: this.gps.fixType,
    };
  }

  private homeItem(): StoredItem {
    // Before the EKF origin is set, ArduCopter reads its home back as 0,0,0 (SITL, measured here).
    const h = this.ap.homeSet() ? this.ap.home : { latDeg: 0, lonDeg: 0, altAmslM: 0 };
    return {
      seq: 0, frame: common.MavFrame.GLOBAL, command: common.MavCmd.NAV_WAYPOINT, current: 0, autocontinue: 1,
      param1: 0, param2: 0, param3: 0, param4: 0, x: Math.round(h.latDeg * 1e7), y: Math.round(h.lonDeg * 1e7), z: h.altAmslM,
      missionType: 0,
    };
  }

  /** One message now, outside the streams (REQUEST_MESSAGE). */
  buildOnce(msgId: number): MavLinkData | undefined {
    return buildMessage(msgId, this);
  }
}

export { minimal };

/** Battery endurance at cruise power: an explicit option, 'site' (the site's enduranceS), or the personality's SITL-calibrated default. */
function batteryEndurance(opt: number | 'site' | undefined, p: Personality, siteS: number): number {
  if (typeof opt === 'number') return opt;
  if (opt === 'site') return siteS;
  return p.defaults.batteryEnduranceS ?? siteS;
}
