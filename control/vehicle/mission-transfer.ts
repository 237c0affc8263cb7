import { common, type MavLinkData } from 'node-mavlink';
import type { ControlTimeouts } from '../timeouts.ts';
import { mapMissionResult, type TransferStatus } from './result.ts';
import {
  fromMissionItem,
  MISSION_TYPE_CODE,
  toMissionItemInt,
  type MissionType,
  type PlanItem,
} from './plan-item.ts';

export type TransferTimeouts = Pick<ControlTimeouts, 'missionAckMs' | 'missionItemMs' | 'missionRetries'>;

export interface TransferResult {
  status: TransferStatus;
  message?: string;
  /** Downloaded items (download only). */
  items?: PlanItem[];
  /** Resends made over the whole transfer (a measure of link quality). */
  resends: number;
  /** True when the vehicle asked with legacy MISSION_REQUEST at least once. */
  legacyRequests: boolean;
  /** Upload: the vehicle asked for every item (so only its final MISSION_ACK may be missing). */
  allItemsSent: boolean;
}

export interface TransferIo {
  send(msg: MavLinkData): void;
  readonly systemId: number;
  readonly componentId: number;
}

type Phase = 'idle' | 'await_request' | 'await_count' | 'await_item' | 'done';

/**
 * The MAVLink mission protocol, one transfer at a time (QGroundControl's PlanManager):
 *
 * upload:   MISSION_COUNT → (MISSION_REQUEST[_INT] n → MISSION_ITEM_INT n)* → MISSION_ACK
 * download: MISSION_REQUEST_LIST → MISSION_COUNT → (MISSION_REQUEST_INT n → MISSION_ITEM_INT n)* → MISSION_ACK
 *
 * Every step waits a named timeout (ack 1500 ms; 250 ms per requested item on download)
 * and resends up to
 * `missionRetries` times; the retry count resets whenever the vehicle makes progress.
 * It knows no sockets: messages come in through `onMessage`, go out through `io.send`.
 */
export class MissionTransfer {
  private phase: Phase = 'idle';
  private timer: NodeJS.Timeout | undefined;
  private retries = 0;
  private retryLimit = 0;
  private resends = 0;
  private legacy = false;
  private guessedFor = -1;
  /** Upload: highest item seq sent so far, requested or guessed. */
  private highestSent = -1;
  /** INVALID_SEQUENCE acks seen during an upload (tolerated, see onAck). */
  sequenceAcks = 0;
  /** Upload: highest seq the vehicle asked for; download: next seq we need. */
  private cursor = -1;
  private lastSent: (() => void) | undefined;
  private received: (PlanItem | undefined)[] = [];
  private resolve: ((r: TransferResult) => void) | undefined;
  readonly done: Promise<TransferResult>;

  constructor(
    private readonly io: TransferIo,
    private readonly t: TransferTimeouts,
    readonly direction: 'upload' | 'download',
    readonly missionType: MissionType,
    private readonly items: PlanItem[] = [],
  ) {
    this.done = new Promise((r) => (this.resolve = r));
  }

  start(): Promise<TransferResult> {
    if (this.phase !== 'idle') return this.done;
    if (this.direction === 'upload') {
      this.phase = 'await_request';
      this.step(() => this.sendCount(), this.t.missionAckMs);
    } else {
      this.phase = 'await_count';
      this.step(() => this.sendRequestList(), this.t.missionAckMs);
    }
    return this.done;
  }

  /** Feeds one inbound message; returns true when it belonged to this transfer. */
  onMessage(msg: MavLinkData): boolean {
    if (this.phase === 'done' || this.phase === 'idle') return false;
    const typed = msg as MavLinkData & { missionType?: number };
    if (typed.missionType !== undefined && typed.missionType !== MISSION_TYPE_CODE[this.missionType]) return false;
    if (msg instanceof common.MissionRequestInt || msg instanceof common.MissionRequest) {
      return this.onRequest(msg.seq, msg instanceof common.MissionRequest);
    }
    if (msg instanceof common.MissionAck) return this.onAck(msg.type);
    if (msg instanceof common.MissionCount) return this.onCount(msg.count);
    if (msg instanceof common.MissionItemInt) return this.onItem(msg, false);
    if (msg instanceof common.MissionItem) return this.onItem(msg, true);
    return false;
  }

  cancel(status: 'cancelled' | 'link_lost' = 'cancelled', message = 'cancelled by request'): void {
    if (this.phase === 'done') return;
    // Tell the vehicle to drop its half of the transfer (MAV_MISSION_OPERATION_CANCELLED).
    if (status === 'cancelled') this.sendAck(common.MavMissionResult.OPERATION_CANCELLED);
    this.finish({ status, message });
  }

  // upload ------------------------------------------------------------------

  private onRequest(seq: number, legacy: boolean): boolean {
    if (this.direction !== 'upload' || this.phase !== 'await_request') return false;
    if (seq >= this.items.length) {
      this.sendAck(common.MavMissionResult.INVALID_SEQUENCE);
      this.finish({ status: 'item_mismatch', message: `vehicle asked for item ${seq} of ${this.items.length}` });
      return true;
    }
    if (legacy) this.legacy = true;
    if (seq > this.cursor) {
      this.cursor = seq;
      this.retries = 0;
    }
    this.sendItem(seq);
    return true;
  }

  private sendItem(seq: number): void {
    const item = this.items[seq]!;
    // Always MISSION_ITEM_INT, whichever request came: ArduPilot and PX4 accept it for
    // MISSION_REQUEST too, and ArduPilot warns "got MISSION_ITEM; GCS should send
    // MISSION_ITEM_INT" at a float item (whose lat/lon also lose ~1 m in float32).
    const send = () => {
      this.highestSent = Math.max(this.highestSent, seq);
      this.io.send(toMissionItemInt(item, seq, this.missionType, this.io));
    };
    // The vehicle drives an upload (ArduPilot re-requests about every second), so we allow
    // the ack timeout × retries of silence before failing; meanwhile resending the item
    // every item timeout recovers a lost item sooner. A duplicate only earns an
    // INVALID_SEQUENCE ack, tolerated below.
    const resendsAllowed = this.t.missionRetries * Math.max(1, Math.ceil(this.t.missionAckMs / this.t.missionItemMs));
    this.step(send, this.t.missionItemMs, resendsAllowed);
  }

  private onAck(type: number): boolean {
    if (this.direction === 'upload' && this.phase === 'await_request') {
      // ArduPilot answers an item it did not ask for with INVALID_SEQUENCE and keeps the
      // upload open: not fatal. Usually it means our resend of item n crossed its request
      // for n+1, which was lost; so send n+1 once, speculatively, instead of idling until
      // its re-request a second later. The ack does not say which item it refused, so the
      // cursor moves only on real requests, and only one guess is made per cursor.
      if (type === common.MavMissionResult.INVALID_SEQUENCE) {
        this.sequenceAcks++;
        const next = this.cursor + 1;
        if (this.cursor >= 0 && next < this.items.length && this.guessedFor !== this.cursor) {
          this.guessedFor = this.cursor;
          // Resent on timeout like any item: if it was the last one, the vehicle re-acks it.
          this.sendItem(next);
        }
        return true;
      }
      const status = mapMissionResult(type);
      // Accepted is believable only once every item went out (a guessed last item counts).
      if (status === 'success' && this.highestSent < this.items.length - 1) {
        this.finish({ status: 'error', message: `vehicle accepted after ${this.highestSent + 1} of ${this.items.length} items` });
      } else this.finish({ status, message: status === 'success' ? undefined : `MISSION_ACK ${type}` });
      return true;
    }
    if (this.direction === 'download' && type !== common.MavMissionResult.ACCEPTED) {
      this.finish({ status: mapMissionResult(type), message: `MISSION_ACK ${type}` });
      return true;
    }
    return false;
  }

  private sendCount(): void {
    const m = new common.MissionCount();
    m.targetSystem = this.io.systemId;
    m.targetComponent = this.io.componentId;
    m.count = this.items.length;
    m.missionType = MISSION_TYPE_CODE[this.missionType];
    m.opaqueId = 0;
    this.io.send(m);
  }

  // download ----------------------------------------------------------------

  private onCount(count: number): boolean {
    if (this.direction !== 'download' || this.phase !== 'await_count') return this.phase === 'await_item';
    this.received = new Array<PlanItem | undefined>(count).fill(undefined);
    if (count === 0) {
      this.sendAck(common.MavMissionResult.ACCEPTED);
      this.finish({ status: 'success', items: [] });
      return true;
    }
    this.phase = 'await_item';
    this.requestItem(0);
    return true;
  }

  private onItem(m: common.MissionItemInt | common.MissionItem, legacy: boolean): boolean {
    if (this.direction !== 'download' || this.phase !== 'await_item') return false;
    if (m.seq !== this.cursor) return true; // a duplicate of an earlier answer: ours already
    if (legacy) this.legacy = true;
    this.received[m.seq] = fromMissionItem(m, legacy);
    if (m.seq + 1 < this.received.length) {
      this.requestItem(m.seq + 1);
    } else {
      this.sendAck(common.MavMissionResult.ACCEPTED);
      this.finish({ status: 'success', items: this.received as PlanItem[] });
    }
    return true;
  }

  private requestItem(seq: number): void {
    this.cursor = seq;
    this.retries = 0;
    this.step(() => {
      const r = new common.MissionRequestInt();
      r.targetSystem = this.io.systemId;
      r.targetComponent = this.io.componentId;
      r.seq = seq;
      r.missionType = MISSION_TYPE_CODE[this.missionType];
      this.io.send(r);
    }, this.t.missionItemMs);
  }

  private sendRequestList(): void {
    const m = new common.MissionRequestList();
    m.targetSystem = this.io.systemId;
    m.targetComponent = this.io.componentId;
    m.missionType = MISSION_TYPE_CODE[this.missionType];
    this.io.send(m);
  }

  // shared ------------------------------------------------------------------

  private sendAck(type: number): void {
    const a = new common.MissionAck();
    a.targetSystem = this.io.systemId;
    a.targetComponent = this.io.componentId;
    a.type = type;
    a.missionType = MISSION_TYPE_CODE[this.missionType];
    a.opaqueId = 0;
    this.io.send(a);
  }

  /** Sends now and resends on each timeout until the retry budget is spent. */
  private step(send: () => void, timeoutMs: number, retries = this.t.missionRetries): void {
    this.lastSent = send;
    this.retryLimit = retries;
    send();
    this.armTimer(timeoutMs);
  }

  private armTimer(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.phase === 'done') return;
      if (++this.retries > this.retryLimit) {
        const waiting = this.phase === 'await_item' ? 'item_timeout' : 'ack_timeout';
        this.finish({ status: waiting, message: `no answer in ${this.phase} after ${this.retryLimit} resends` });
        return;
      }
      this.resends++;
      this.lastSent?.();
      this.armTimer(ms);
    }, ms);
  }

  private finish(r: Omit<TransferResult, 'resends' | 'legacyRequests' | 'allItemsSent'>): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    if (this.timer) clearTimeout(this.timer);
    const allItemsSent = this.direction === 'upload' && this.highestSent === this.items.length - 1;
    this.resolve?.({ ...r, resends: this.resends, legacyRequests: this.legacy, allItemsSent });
  }
}
