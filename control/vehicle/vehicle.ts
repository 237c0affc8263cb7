import { EventEmitter } from 'node:events';
import type { common, MavLinkData } from 'node-mavlink';
import type { Clock, ControlTimeouts } from '../timeouts.ts';
import { CommandSender } from './command-sender.ts';
import { MissionTransfer } from './mission-transfer.ts';
import { SeqGapMeter, normaliseTelemetry, type TelemetryState } from './telemetry-state.ts';
import type { Autopilot } from './modes.ts';
import type { DroneTelemetry } from '../../protocol/index.ts';
import { ActionApi } from './action.ts';
import { PlanApi } from './plan-api.ts';
import { StreamRequester, type StreamRates } from './streams.ts';
import { StatusTextAssembler } from '../mavlink/statustext-chunks.ts';

export interface VehicleStatusText {
  severity: number;
  text: string;
  tsMs: number;
}

export interface VehicleEvents {
  /** First heartbeat ever, or the first after a link loss. */
  link_regained: [];
  online: [];
  link_lost: [];
  statustext: [VehicleStatusText];
  mission_item_reached: [number];
  /** GLOBAL_POSITION_INT, after telemetryState took it in (emitted only while someone listens). */
  position: [common.GlobalPositionInt];
  /** POSITION_TARGET_GLOBAL_INT: the guided target the vehicle says it flies to. */
  position_target: [common.PositionTargetGlobalInt];
}

export interface VehicleOptions {
  droneId: string;
  systemId: number;
  /** From the site file; refined by the HEARTBEAT's autopilot field. */
  autopilot?: Autopilot;
  endpointUrl: string;
  timeouts: ControlTimeouts;
  clock: Clock;
  streamRates?: StreamRates;
  /** Writes one message to this vehicle's link (the link's single sender). */
  send(msg: MavLinkData): void;
}

/**
 * One vehicle behind a link: telemetry state, heartbeat tracking and the capability
 * objects (MAVSDK style): `action`, `mission`, `geofence`, `rally`, `streams`.
 * It knows no sockets; the link's router feeds it and `send` goes back out.
 */
export class Vehicle extends EventEmitter<VehicleEvents> {
  readonly droneId: string;
  readonly systemId: number;
  readonly endpointUrl: string;
  autopilot: Autopilot;
  /** The autopilot's component id, learned from its HEARTBEAT (1 by default). */
  componentId = 1;
  readonly telemetryState: TelemetryState = {};
  readonly linkMeter = new SeqGapMeter();
  lastHeartbeatMs: number | undefined;
  online = false;
  linkLostCount = 0;
  readonly statusTexts: VehicleStatusText[] = [];
  readonly commands: CommandSender;
  readonly action: ActionApi;
  readonly mission: PlanApi;
  readonly geofence: PlanApi;
  readonly rally: PlanApi;
  readonly streams: StreamRequester;
  private readonly statusTextChunks: StatusTextAssembler;
  /** The one mission-protocol transfer in flight (the protocol allows one at a time). */
  transfer: MissionTransfer | undefined;
  private transferQueue: Promise<unknown> = Promise.resolve();

  constructor(readonly opts: VehicleOptions) {
    super();
    this.droneId = opts.droneId;
    this.systemId = opts.systemId;
    this.endpointUrl = opts.endpointUrl;
    this.autopilot = opts.autopilot ?? 'ardupilot';
    this.commands = new CommandSender(this, opts.timeouts);
    this.action = new ActionApi(this, opts.timeouts);
    this.mission = new PlanApi(this, 'mission', opts.timeouts);
    this.geofence = new PlanApi(this, 'fence', opts.timeouts);
    this.rally = new PlanApi(this, 'rally', opts.timeouts);
    this.streams = new StreamRequester(this, opts.streamRates);
    this.statusTextChunks = new StatusTextAssembler((sev, whole) => {
      const text = whole.replace(/ +/g, ' ').trim();
      if (text) this.statusText(sev, text);
    }, opts.timeouts.statusTextChunkMs);
  }

  get timeouts(): ControlTimeouts {
    return this.opts.timeouts;
  }

  get clock(): Clock {
    return this.opts.clock;
  }

  send(msg: MavLinkData): void {
    this.opts.send(msg);
  }

  /** Called by the heartbeat handler. Emits online / link_regained as the link comes up. */
  heartbeatSeen(nowMs: number): void {
    this.lastHeartbeatMs = nowMs;
    if (!this.online) {
      this.online = true;
      this.emit(this.linkLostCount === 0 ? 'online' : 'link_regained');
      this.streams.request();
    }
  }

  /** Called by the link's sweep; declares the link lost after `linkLostMs` of silence. */
  checkLink(nowMs: number): void {
    if (!this.online || this.lastHeartbeatMs === undefined) return;
    if (nowMs - this.lastHeartbeatMs < this.opts.timeouts.linkLostMs) {
      this.streams.check(nowMs, Math.max(5000, this.opts.timeouts.linkLostMs));
      return;
    }
    this.online = false;
    this.linkLostCount++;
    this.linkMeter.reset();
    this.commands.failAll('link_lost', `no heartbeat for ${this.opts.timeouts.linkLostMs} ms`);
    // A mission transfer in flight keeps going: its own timeouts tolerate longer silence
    // than three lost heartbeats on a lossy radio, and it fails by itself if the link is gone.
    this.emit('link_lost');
  }

  /** One STATUSTEXT message as received; chunked texts are reassembled first. */
  statusTextChunk(severity: number, text: string, id: number | undefined, chunkSeq: number | undefined): void {
    this.statusTextChunks.push(severity, text, id, chunkSeq);
  }

  /** A whole autopilot text: kept for refusal reasons, emitted as an event. */
  statusText(severity: number, text: string): void {
    const st = { severity, text, tsMs: this.clock.nowMs() };
    this.statusTexts.push(st);
    if (this.statusTexts.length > 20) this.statusTexts.shift();
    this.emit('statustext', st);
    this.commands.onStatusText();
  }

  /** The autopilot's texts received at or after `tsMs`, oldest first. */
  statusTextsSince(tsMs: number): VehicleStatusText[] {
    return this.statusTexts.filter((s) => s.tsMs >= tsMs);
  }

  /** Runs one mission-protocol transfer after any in flight (never two at once). */
  runTransfer(make: () => MissionTransfer): ReturnType<MissionTransfer['start']> {
    const run = this.transferQueue.then(async () => {
      const t = make();
      this.transfer = t;
      try {
        if (!this.online) return { status: 'link_lost' as const, message: 'vehicle offline', resends: 0, legacyRequests: false, allItemsSent: false };
        return await t.start();
      } finally {
        this.transfer = undefined;
      }
    });
    this.transferQueue = run.catch(() => undefined);
    return run;
  }

  telemetry(nowMs = this.clock.nowMs()): DroneTelemetry | undefined {
    return normaliseTelemetry(this.telemetryState, this.autopilot, nowMs, this.linkMeter.qualityPct);
  }

  close(): void {
    this.commands.close('control service closing');
    this.transfer?.cancel('cancelled', 'control service closing');
    this.streams.close();
    this.statusTextChunks.close();
  }
}
