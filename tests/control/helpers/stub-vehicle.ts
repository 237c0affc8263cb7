import type { Duplex } from 'node:stream';
import { mulberry32 } from '../../../util/mulberry32.ts';
import { common, minimal, type MavLinkData } from 'node-mavlink';
import { MavlinkLink, type MavlinkMessage } from '../../../mavlink/index.ts';

export { duplexPair } from '../../helpers/duplex.ts';

const FRAME_FREE = new Set<number>([common.MavCmd.DO_CHANGE_SPEED, common.MavCmd.DO_JUMP, common.MavCmd.NAV_RETURN_TO_LAUNCH]);

/** ArduCopter's AP_Mission round trip, as observed on SITL 4.7-dev. */
function asArduCopterReturnsIt(m: common.MissionItemInt): void {
  if (FRAME_FREE.has(m.command)) {
    m.frame = common.MavFrame.GLOBAL;
    m.x = 0;
    m.y = 0;
    m.z = 0;
    if (m.command === common.MavCmd.NAV_RETURN_TO_LAUNCH) m.param1 = m.param2 = m.param3 = m.param4 = 0;
    m.param4 = 0;
    return;
  }
  m.frame = common.MavFrame.GLOBAL_RELATIVE_ALT;
  m.param1 = Math.trunc(m.param1);
  m.param2 = m.param3 = m.param4 = 0;
}

/** Deterministic PRNG so lossy tests fail the same way every run. */
export const rng = mulberry32;

/**
 * The vehicle half of the mission protocol and nothing else: enough to test the ground
 * transfer state machine below the simulator. Drops `lossPct` of frames each way.
 */
export class StubVehicle {
  readonly link: MavlinkLink;
  readonly store = new Map<number, (common.MissionItemInt | common.MissionItem)[]>();
  lossPct = 0;
  legacy = false;
  /** Answer every MISSION_COUNT with this MISSION_ACK result instead of requesting items. */
  rejectWith: number | undefined;
  /** Stop answering entirely (a vehicle gone silent). */
  silent = false;
  /** Upload requests for these seqs are lost once each (deterministic loss for one step). */
  readonly loseRequestFor = new Set<number>();
  /** Every message received (after loss), for assertions. */
  readonly received: MavLinkData[] = [];
  /** COMMAND_ACK results to send per MAV_CMD, each `afterMs` (default 20) after the command; unlisted commands get no ack. */
  readonly commandReplies = new Map<number, { result: number; progress?: number; afterMs?: number }[]>();
  autopilot: number = minimal.MavAutopilot.ARDUPILOTMEGA;
  /** Report a SET_POSITION_TARGET_GLOBAL_INT back as POSITION_TARGET_GLOBAL_INT (ArduPilot in GUIDED). */
  echoPositionTarget = false;
  customMode = 0;
  armed = false;
  /** Called for every COMMAND_LONG / COMMAND_INT, after any scripted `commandReplies`: script an autopilot's answer. */
  onCommand: ((cmd: common.CommandLong | common.CommandInt, reply: (result: number) => void) => void) | undefined;
  /** What GLOBAL_POSITION_INT / GPS_RAW_INT / SYS_STATUS report while `streamTelemetry()` runs. */
  readonly state = { latE7: 302700000, lonE7: 1200650000, altAmslM: 12, relAltM: 0, vxCmps: 0, vyCmps: 0, gpsFix: 3 };
  private telemetryTimer: NodeJS.Timeout | undefined;
  /**
   * How stored mission items come back on download: verbatim, or re-encoded as ArduCopter
   * 4.7 does (positional items in GLOBAL_RELATIVE_ALT, DO_* and RTL in frame 0, unused
   * params zeroed, hold time in whole seconds).
   */
  readBack: 'verbatim' | 'ardupilot' = 'verbatim';
  /** PX4: refuse DO_CHANGE_SPEED / DO_JUMP / NAV_RETURN_TO_LAUNCH unless in MAV_FRAME_MISSION (MISSION_ACK 3). */
  px4MissionFrames = false;
  private upload: { type: number; count: number; next: number; items: (common.MissionItemInt | common.MissionItem)[]; timer?: NodeJS.Timeout } | undefined;
  private readonly random: () => number;
  private readonly hbTimer: NodeJS.Timeout;

  constructor(
    stream: Duplex,
    readonly systemId: number,
    seed = 1,
    public requestResendMs = 40,
  ) {
    this.random = rng(seed);
    this.link = new MavlinkLink(stream, { systemId, componentId: 1 });
    this.link.on('message', (m) => {
      if (this.silent || this.random() * 100 < this.lossPct) return;
      this.onMessage(m);
    });
    // Heartbeats keep flowing (and skip the loss) so link tracking stays out of these tests.
    this.hbTimer = setInterval(() => this.heartbeat(), 100);
  }

  /** Streams position, GPS and battery from `state` every `periodMs` (an autopilot asked for streams). */
  streamTelemetry(periodMs = 50): void {
    clearInterval(this.telemetryTimer);
    this.telemetryTimer = setInterval(() => this.sendTelemetry(), periodMs);
    this.sendTelemetry();
  }

  sendTelemetry(): void {
    const st = this.state;
    const g = new common.GlobalPositionInt();
    Object.assign(g, { timeBootMs: 0, lat: st.latE7, lon: st.lonE7, alt: Math.round(st.altAmslM * 1000), relativeAlt: Math.round(st.relAltM * 1000) });
    Object.assign(g, { vx: st.vxCmps, vy: st.vyCmps, vz: 0, hdg: 0 });
    this.link.send(g);
    const gps = new common.GpsRawInt();
    Object.assign(gps, { timeUsec: 0n, fixType: st.gpsFix, lat: st.latE7, lon: st.lonE7, alt: 0, eph: 100, epv: 100, vel: 0, cog: 0, satellitesVisible: 12 });
    this.link.send(gps);
    const sys = new common.SysStatus();
    Object.assign(sys, { voltageBattery: 16000, currentBattery: -1, batteryRemaining: 90 });
    this.link.send(sys);
  }

  /** A STATUSTEXT; `id`/`chunkSeq` for one chunk of a long text. */
  text(severity: number, text: string, id = 0, chunkSeq = 0): void {
    const t = new common.StatusText();
    t.severity = severity;
    t.text = text;
    t.id = id;
    t.chunkSeq = chunkSeq;
    this.link.send(t);
  }

  /** A long text the way PX4 sends it: 50-character chunks under one id. */
  chunkedText(severity: number, text: string, id: number): void {
    for (let i = 0, seq = 0; i === 0 || i < text.length; i += 50, seq++) this.text(severity, text.slice(i, i + 50), id, seq);
  }

  homePosition(altAmslM: number): void {
    const h = new common.HomePosition();
    Object.assign(h, { latitude: this.state.latE7, longitude: this.state.lonE7, altitude: Math.round(altAmslM * 1000), x: 0, y: 0, z: 0 });
    Object.assign(h, { q: [1, 0, 0, 0], approachX: 0, approachY: 0, approachZ: 0 });
    this.link.send(h);
  }

  send(msg: MavLinkData): void {
    if (this.silent || this.random() * 100 < this.lossPct) return;
    this.link.send(msg);
  }

  heartbeat(customMode = this.customMode, armed = this.armed): void {
    const hb = new minimal.Heartbeat();
    hb.type = minimal.MavType.QUADROTOR;
    hb.autopilot = this.autopilot;
    hb.baseMode = (minimal.MavModeFlag.CUSTOM_MODE_ENABLED | (armed ? minimal.MavModeFlag.SAFETY_ARMED : 0)) as minimal.MavModeFlag;
    hb.customMode = customMode;
    hb.systemStatus = minimal.MavState.STANDBY;
    hb.mavlinkVersion = 3;
    this.link.send(hb);
    if (this.autopilot === minimal.MavAutopilot.PX4) this.missionCurrent();
  }

  /** PX4 sends MISSION_CURRENT at 1 Hz with its mission's state (a scripted PX4 finds every mission valid). */
  missionCurrent(): void {
    const n = this.store.get(common.MavMissionType.MISSION)?.length ?? 0;
    const c = new common.MissionCurrent();
    Object.assign(c, { seq: 0, total: n > 0 ? n : 65535, missionState: n > 0 ? common.MissionState.NOT_STARTED : common.MissionState.NO_MISSION, missionMode: 0 });
    this.link.send(c);
  }

  private onMessage(m: MavlinkMessage): void {
    const d = m.data;
    // On a shared link every vehicle hears every frame: answer only what is ours.
    const target = (d as { targetSystem?: number }).targetSystem;
    if (target !== undefined && target !== 0 && target !== this.systemId) return;
    this.received.push(d);
    if (d instanceof common.SetPositionTargetGlobalInt && this.echoPositionTarget) {
      const t = new common.PositionTargetGlobalInt();
      Object.assign(t, { timeBootMs: 0, coordinateFrame: d.coordinateFrame, typeMask: d.typeMask, latInt: d.latInt, lonInt: d.lonInt, alt: d.alt });
      Object.assign(t, { vx: 0, vy: 0, vz: 0, afx: 0, afy: 0, afz: 0, yaw: 0, yawRate: 0 });
      this.send(t);
      return;
    }
    if (d instanceof common.CommandLong || d instanceof common.CommandInt) {
      const replies = this.commandReplies.get(d.command) ?? [];
      replies.forEach((r) =>
        setTimeout(() => {
          const a = new common.CommandAck();
          a.command = d.command;
          a.result = r.result;
          a.progress = r.progress ?? 0;
          a.targetSystem = m.sysid;
          a.targetComponent = m.compid;
          this.send(a);
        }, r.afterMs ?? 20),
      );
      this.onCommand?.(d, (result) => {
        const a = new common.CommandAck();
        a.command = d.command;
        a.result = result;
        a.progress = 0;
        a.targetSystem = m.sysid;
        a.targetComponent = m.compid;
        this.send(a);
      });
      return;
    }
    if (d instanceof common.MissionCount) {
      if (this.rejectWith !== undefined) return this.ack(d.missionType, this.rejectWith);
      if (this.upload && this.upload.type === d.missionType && this.upload.next === 0) return this.request();
      if (this.upload?.timer) clearTimeout(this.upload.timer);
      this.upload = { type: d.missionType, count: d.count, next: 0, items: [] };
      if (d.count === 0) {
        this.store.set(d.missionType, []);
        this.upload = undefined;
        return this.ack(d.missionType, 0);
      }
      return this.request();
    }
    if ((d instanceof common.MissionItemInt || d instanceof common.MissionItem) && this.upload && d.missionType === this.upload.type) {
      // ArduPilot: an item it did not ask for earns INVALID_SEQUENCE; the upload stays open.
      if (d.seq !== this.upload.next) return this.ack(d.missionType, common.MavMissionResult.INVALID_SEQUENCE);
      if (this.px4MissionFrames && FRAME_FREE.has(d.command) && d.frame !== common.MavFrame.MISSION) {
        clearTimeout(this.upload.timer);
        const type = this.upload.type;
        this.upload = undefined;
        return this.ack(type, common.MavMissionResult.UNSUPPORTED);
      }
      this.upload.items.push(d);
      this.upload.next++;
      if (this.upload.next < this.upload.count) return this.request();
      clearTimeout(this.upload.timer);
      this.store.set(this.upload.type, this.upload.items);
      const type = this.upload.type;
      this.upload = undefined;
      return this.ack(type, 0);
    }
    if ((d instanceof common.MissionItemInt || d instanceof common.MissionItem) && !this.upload && this.store.has(d.missionType)) {
      return this.ack(d.missionType, 0); // the GCS missed our final ack and resent the last item
    }
    if (d instanceof common.MissionRequestList) {
      const c = new common.MissionCount();
      c.targetSystem = m.sysid;
      c.targetComponent = m.compid;
      c.count = this.store.get(d.missionType)?.length ?? 0;
      c.missionType = d.missionType;
      return this.send(c);
    }
    if (d instanceof common.MissionRequestInt || d instanceof common.MissionRequest) {
      const item = this.store.get(d.missionType)?.[d.seq];
      if (!item) return this.ack(d.missionType, common.MavMissionResult.INVALID_SEQUENCE);
      const out = new common.MissionItemInt();
      Object.assign(out, item);
      if (item instanceof common.MissionItem) {
        out.x = Math.round(item.x * 1e7);
        out.y = Math.round(item.y * 1e7);
      }
      out.targetSystem = m.sysid;
      out.targetComponent = m.compid;
      if (this.readBack === 'ardupilot' && d.missionType === common.MavMissionType.MISSION && d.seq > 0) asArduCopterReturnsIt(out);
      return this.send(out);
    }
  }

  private request(): void {
    const u = this.upload;
    if (!u) return;
    const r = this.legacy ? new common.MissionRequest() : new common.MissionRequestInt();
    r.targetSystem = 255;
    r.targetComponent = 190;
    r.seq = u.next;
    r.missionType = u.type;
    if (this.loseRequestFor.delete(u.next)) {
      // lost on the way, like a radio drop
    } else this.send(r);
    clearTimeout(u.timer);
    u.timer = setTimeout(() => this.request(), this.requestResendMs);
  }

  private ack(type: number, result: number): void {
    const a = new common.MissionAck();
    a.targetSystem = 255;
    a.targetComponent = 190;
    a.type = result;
    a.missionType = type;
    this.send(a);
  }

  close(): void {
    if (this.upload?.timer) clearTimeout(this.upload.timer);
    clearInterval(this.hbTimer);
    clearInterval(this.telemetryTimer);
    this.link.close();
  }
}
