import { common } from 'node-mavlink';
import { distanceNE, type LatLon } from './geo.ts';
import type { Body, Nav, Pos3 } from './kinematics.ts';
import { GLOBAL_FRAMES } from '../../../protocol/mission-item.ts';
import { MissionType, type MissionStore, type StoredItem } from './mission-store.ts';
import { Rtl, WP_RADIUS_M, type RtlHost } from './rtl.ts';

const Cmd = common.MavCmd;
const F = common.MavFrame;
/** Bound on DO commands run back to back, so a DO_JUMP loop without NAV items cannot hang the tick. */
const MAX_DO_CHAIN = 64;

export interface MissionHost extends RtlHost {
  readonly body: Body;
  readonly home: Pos3;
  text(severity: number, text: string): void;
  itemReached(seq: number): void;
  setWpSpeed(mps: number): void;
  setHome(p: Pos3): void;
  setFenceEnabled(on: boolean): void;
  /** Mission ended or landed: Copter disarms on the ground, otherwise holds position in AUTO. */
  missionFinished(): void;
}

type Phase = 'navigate' | 'hold' | 'circle' | 'wait' | 'rtl' | 'land' | 'takeoff';

/** Runs the stored mission in AUTO: one NAV command at a time, DO commands between them. */
export class MissionExecutor {
  currentSeq = 0;
  state: 'idle' | 'running' | 'complete' = 'idle';
  private item: StoredItem | undefined;
  private phase: Phase = 'navigate';
  private untilMs = 0;
  private rtl: Rtl | undefined;
  private circle: { turnsDeg: number } | undefined;
  private jumpsLeft = new Map<number, number>();

  constructor(
    private readonly host: MissionHost,
    private readonly store: MissionStore,
    private readonly setNav: (n: Nav) => void,
  ) {}

  private get items(): readonly StoredItem[] {
    return this.store.items(MissionType.MISSION);
  }

  get total(): number {
    return this.store.count(MissionType.MISSION);
  }

  /** Whether the first NAV command is a takeoff (Copter refuses AUTO on the ground otherwise). */
  /** Index of the first item a mission runs (after ArduPilot's home at 0). */
  get firstSeq(): number {
    return this.store.firstSeq;
  }

  startsWithTakeoff(): boolean {
    for (let i = this.firstSeq; i < this.items.length; i++) {
      const c = this.items[i]!.command;
      if (isNav(c)) return c === Cmd.NAV_TAKEOFF;
    }
    return false;
  }

  hasNavItems(): boolean {
    return this.items.slice(this.firstSeq).some((i) => isNav(i.command));
  }

  /** MISSION_SET_CURRENT / DO_SET_MISSION_CURRENT. Returns false for a seq out of range. */
  setCurrent(seq: number, running: boolean, nowMs: number): boolean {
    if (seq < 0 || seq >= this.total) return false;
    this.currentSeq = Math.max(this.firstSeq, seq);
    if (running) this.begin(this.currentSeq, nowMs);
    return true;
  }

  /** Starts or resumes at the current item (Copter's AP_Mission::start_or_resume). */
  start(nowMs: number, fromSeq?: number): void {
    if (fromSeq !== undefined && fromSeq >= this.firstSeq) this.currentSeq = fromSeq;
    if (this.state === 'complete' || this.currentSeq < this.firstSeq || this.currentSeq >= this.items.length) {
      this.currentSeq = this.firstSeq;
      this.jumpsLeft.clear();
    }
    this.begin(this.currentSeq, nowMs);
  }

  /** After a reboot: nothing running, pointer back to the start. */
  reset(): void {
    this.state = 'idle';
    this.currentSeq = 0;
    this.item = undefined;
    this.rtl = undefined;
    this.circle = undefined;
    this.jumpsLeft.clear();
  }

  stop(): void {
    if (this.state === 'running') this.state = 'idle';
    this.rtl = undefined;
  }

  /** A new mission was uploaded while running: restart the current item from the new list. */
  reload(nowMs: number): void {
    this.jumpsLeft.clear();
    if (this.state === 'running') this.start(nowMs, Math.min(this.currentSeq, this.items.length - 1));
    else if (this.currentSeq >= this.total) this.currentSeq = 0;
  }

  private begin(seq: number, nowMs: number): void {
    this.state = 'running';
    for (let chain = 0; chain < MAX_DO_CHAIN; chain++) {
      const item = this.items[seq];
      if (!item) return this.finish();
      this.currentSeq = seq;
      if (isNav(item.command)) return this.startNav(item, nowMs);
      seq = this.runDo(item, seq);
    }
    this.host.text(common.MavSeverity.WARNING, 'Mission: too many DO commands in a row');
    this.finish();
  }

  private finish(): void {
    this.state = 'complete';
    this.item = undefined;
    this.rtl = undefined;
    this.host.text(common.MavSeverity.INFO, 'Mission complete');
    this.host.missionFinished();
  }

  /** Executes a DO command and returns the next seq to run. */
  private runDo(item: StoredItem, seq: number): number {
    switch (item.command) {
      case Cmd.DO_JUMP: {
        const target = Math.round(item.param1);
        const repeat = Math.round(item.param2);
        if (repeat < 0) return target; // -1: jump forever
        const left = this.jumpsLeft.get(seq) ?? repeat;
        if (left > 0) {
          this.jumpsLeft.set(seq, left - 1);
          return target;
        }
        return seq + 1;
      }
      case Cmd.DO_CHANGE_SPEED:
        if (item.param2 > 0) this.host.setWpSpeed(item.param2);
        return seq + 1;
      case Cmd.DO_SET_HOME:
        this.host.setHome(item.param1 === 1 ? { ...this.host.body } : this.position(item));
        return seq + 1;
      case Cmd.DO_FENCE_ENABLE:
        this.host.setFenceEnabled(item.param1 !== 0);
        return seq + 1;
      default:
        return seq + 1; // cameras, servos, ROI: nothing to simulate
    }
  }

  private startNav(item: StoredItem, nowMs: number): void {
    this.item = item;
    this.rtl = undefined;
    this.circle = undefined;
    this.host.text(common.MavSeverity.INFO, `Mission: ${item.seq} ${navName(item.command)}`);
    const b = this.host.body;
    switch (item.command) {
      case Cmd.NAV_TAKEOFF:
        this.phase = 'takeoff';
        this.setNav({ kind: 'goto', takeoff: true, target: { latDeg: b.latDeg, lonDeg: b.lonDeg, altAmslM: this.altAmsl(item) } });
        break;
      case Cmd.NAV_RETURN_TO_LAUNCH:
        this.phase = 'rtl';
        this.rtl = new Rtl(this.host);
        break;
      case Cmd.NAV_LAND: {
        this.phase = 'land';
        const at: LatLon = item.x === 0 && item.y === 0 ? { latDeg: b.latDeg, lonDeg: b.lonDeg } : this.position(item);
        this.setNav({ kind: 'land', at });
        break;
      }
      case Cmd.NAV_DELAY:
        this.phase = 'wait';
        this.untilMs = nowMs + Math.max(0, item.param1) * 1000;
        this.setNav({ kind: 'goto', target: { latDeg: b.latDeg, lonDeg: b.lonDeg, altAmslM: b.altAmslM } });
        break;
      default:
        this.phase = 'navigate';
        this.setNav({ kind: 'goto', target: this.position(item) });
    }
  }

  update(nowMs: number): void {
    const item = this.item;
    if (this.state !== 'running' || !item) return;
    const b = this.host.body;
    switch (this.phase) {
      case 'takeoff':
        if (b.altAmslM >= this.altAmsl(item) - 0.5) this.complete(nowMs);
        return;
      case 'rtl':
        this.rtl!.update(nowMs);
        if (this.rtl!.stage === 'done') this.complete(nowMs);
        return;
      case 'land':
        if (b.landed) this.complete(nowMs);
        return;
      case 'wait':
        if (nowMs >= this.untilMs) this.complete(nowMs);
        return;
      case 'navigate': {
        const target = this.position(item);
        if (distanceNE(b, target) > WP_RADIUS_M || Math.abs(b.altAmslM - target.altAmslM) > 1) return;
        return this.arrived(item, target, nowMs);
      }
      case 'hold':
        if (nowMs >= this.untilMs) this.complete(nowMs);
        return;
      case 'circle':
        return; // progress is checked after each physics step (afterStep)
    }
  }

  private arrived(item: StoredItem, target: Pos3, nowMs: number): void {
    switch (item.command) {
      case Cmd.NAV_WAYPOINT:
        if (item.param1 > 0) {
          this.phase = 'hold';
          this.untilMs = nowMs + item.param1 * 1000;
        } else this.complete(nowMs);
        return;
      case Cmd.NAV_LOITER_TIME:
        this.phase = 'hold';
        this.untilMs = nowMs + Math.max(0, item.param1) * 1000;
        return;
      case Cmd.NAV_LOITER_TURNS: {
        const radiusM = Math.max(1, Math.abs(item.param3) || 10);
        const rate = circleRate(item);
        const nav: Nav = { kind: 'circle', center: target, altAmslM: target.altAmslM, radiusM, rateDegS: rate, angleDeg: 0 };
        this.phase = 'circle';
        this.circle = { turnsDeg: Math.max(0, item.param1) * 360 };
        this.circleNav = nav;
        this.setNav(nav);
        return;
      }
      case Cmd.NAV_LOITER_UNLIM:
        this.phase = 'hold';
        this.untilMs = Infinity;
        return;
      default:
        this.complete(nowMs);
    }
  }

  private circleNav: Extract<Nav, { kind: 'circle' }> | undefined;

  /** Called every tick after the physics step; finishes LOITER_TURNS when the turns are flown. */
  afterStep(nowMs: number): void {
    if (this.phase !== 'circle' || !this.circle || !this.circleNav || this.state !== 'running') return;
    if (Math.abs(this.circleNav.angleDeg) >= this.circle.turnsDeg) this.complete(nowMs);
  }

  private complete(nowMs: number): void {
    const item = this.item!;
    this.host.itemReached(item.seq);
    this.host.text(common.MavSeverity.INFO, `Reached command #${item.seq}`);
    if (item.command === Cmd.NAV_LAND || (item.command === Cmd.NAV_RETURN_TO_LAUNCH && this.host.body.landed)) {
      this.item = undefined;
      this.currentSeq = Math.min(item.seq + 1, this.total - 1);
      this.state = 'complete';
      this.host.missionFinished();
      return;
    }
    this.begin(item.seq + 1, nowMs);
  }

  private position(item: StoredItem): Pos3 {
    const b = this.host.body;
    if (!GLOBAL_FRAMES.has(item.frame) || (item.x === 0 && item.y === 0)) {
      return { latDeg: b.latDeg, lonDeg: b.lonDeg, altAmslM: this.altAmsl(item) };
    }
    return { latDeg: item.x / 1e7, lonDeg: item.y / 1e7, altAmslM: this.altAmsl(item) };
  }

  /** Mission altitudes: GLOBAL frames are AMSL; relative and terrain frames (flat terrain) are above home. */
  private altAmsl(item: StoredItem): number {
    if (item.frame === F.GLOBAL || item.frame === F.GLOBAL_INT) return item.z;
    if (item.z === 0 && item.command !== Cmd.NAV_TAKEOFF) return this.host.body.altAmslM;
    return this.host.home.altAmslM + item.z;
  }
}

/** Copter circles at CIRCLE_RATE 20 deg/s; a negative radius (param3) turns counter-clockwise. */
function circleRate(item: StoredItem): number {
  return item.param3 < 0 ? -20 : 20;
}

export function isNav(cmd: number): boolean {
  return cmd < Cmd.NAV_LAST; // MAVLink numbers NAV commands below NAV_LAST (95)
}

function navName(cmd: number): string {
  switch (cmd) {
    case Cmd.NAV_TAKEOFF: return 'Takeoff';
    case Cmd.NAV_WAYPOINT: return 'WP';
    case Cmd.NAV_LAND: return 'Land';
    case Cmd.NAV_RETURN_TO_LAUNCH: return 'RTL';
    case Cmd.NAV_LOITER_TIME: return 'LoitTime';
    case Cmd.NAV_LOITER_TURNS: return 'LoitTurns';
    case Cmd.NAV_LOITER_UNLIM: return 'LoitUnlim';
    default: return `Cmd ${cmd}`;
  }
}
