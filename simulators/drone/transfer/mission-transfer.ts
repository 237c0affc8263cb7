import { common } from 'node-mavlink';
import type { MavLinkData } from 'node-mavlink';
import { checkFenceList, checkItem, MissionType, type MissionStore, type StoredItem } from '../model/mission-store.ts';
import type { Personality } from '../model/personality/personality.ts';
import type { MissionTransferTimeouts } from '../types.ts';

const R = common.MavMissionResult;

export const DEFAULT_TRANSFER_TIMEOUTS: MissionTransferTimeouts = { requestResendMs: 1000, uploadTimeoutMs: 8000 };

/** Who is talking to us: the channel (link) and the GCS's system/component ids. */
export interface Peer {
  ch: number;
  sysid: number;
  compid: number;
}

export interface TransferPort {
  send(ch: number, msg: MavLinkData): void;
  text(severity: number, text: string): void;
  /** The home position, returned as mission item 0 on download. */
  home(): StoredItem;
  /** MISSION_ACK error forced by the mission-upload-rejection fault, if any. */
  rejection(missionType: number): number | undefined;
  /** Item rules, download encoding and warnings of the autopilot imitated. */
  personality: Personality;
}

interface Upload {
  peer: Peer;
  count: number;
  next: number;
  items: StoredItem[];
  lastRequestMs: number;
  lastReceiveMs: number;
  /** The float-MISSION_ITEM warning was sent for this upload. */
  warnedFloat: boolean;
}

/**
 * Vehicle side of the MAVLink mission protocol for the mission, fence and rally types,
 * after ArduPilot's MissionItemProtocol: one upload per type at a time, requests
 * re-sent after `requestResendMs`, the upload abandoned with OPERATION_CANCELLED after
 * `uploadTimeoutMs` of silence. Downloads are stateless (answer every request).
 */
export class MissionTransfer {
  private readonly uploads = new Map<number, Upload>();
  /** The last finished upload per type, to re-ack a repeated last item whose ACK was lost. */
  private readonly finished = new Map<number, { peer: Peer; count: number }>();
  /** ArduPilot warns about legacy MISSION_REQUEST downloads once per boot. */
  private warnedLegacyRequest = false;

  constructor(
    private readonly store: MissionStore,
    private readonly port: TransferPort,
    private readonly opts: { legacyRequests: boolean; timeouts: MissionTransferTimeouts },
  ) {}

  get busy(): boolean {
    return this.uploads.size > 0;
  }

  /** A reboot drops any upload half done (ArduPilot keeps it in RAM only). */
  reset(): void {
    this.uploads.clear();
    this.finished.clear();
    this.warnedLegacyRequest = false;
  }

  onCount(peer: Peer, count: number, type: number, nowMs: number): void {
    if (!isType(type)) return this.ack(peer, type, R.UNSUPPORTED);
    const other = this.uploads.get(type);
    if (other && (other.peer.ch !== peer.ch || other.peer.sysid !== peer.sysid)) {
      this.port.text(common.MavSeverity.WARNING, 'Mission upload already in progress');
      return this.ack(peer, type, R.DENIED);
    }
    const rejected = this.port.rejection(type);
    if (rejected !== undefined) return this.ack(peer, type, rejected);
    this.uploads.delete(type);
    if (count === 0) {
      this.store.clear(type);
      return this.ack(peer, type, R.ACCEPTED);
    }
    if (count > this.store.capacity) return this.ack(peer, type, R.NO_SPACE);
    const up: Upload = { peer, count, next: 0, items: [], lastRequestMs: nowMs, lastReceiveMs: nowMs, warnedFloat: false };
    this.uploads.set(type, up);
    this.request(up, type);
  }

  /** One uploaded item; `float` when it came as the legacy MISSION_ITEM. */
  onItem(peer: Peer, item: StoredItem, nowMs: number, float = false): void {
    const type = item.missionType;
    const up = this.uploads.get(type);
    if (!up || up.peer.sysid !== peer.sysid) {
      const done = this.finished.get(type);
      if (done && done.peer.sysid === peer.sysid && item.seq === done.count - 1) this.ack(peer, type, R.ACCEPTED);
      return;
    }
    up.lastReceiveMs = nowMs;
    const p = this.port.personality;
    if (float && p.floatItemWarning && !up.warnedFloat) {
      up.warnedFloat = true;
      this.port.text(common.MavSeverity.WARNING, p.floatItemWarning);
    }
    if (item.seq !== up.next) return this.ack(peer, type, R.INVALID_SEQUENCE);
    const bad = checkItem(item, p.missionHasHome);
    if (bad !== undefined) {
      this.uploads.delete(type);
      return this.ack(peer, type, bad);
    }
    const refused = p.checkMissionItem(item);
    if (refused) {
      this.uploads.delete(type);
      if (refused.text) this.port.text(common.MavSeverity.CRITICAL, refused.text);
      return this.ack(peer, type, refused.result);
    }
    up.items.push(item);
    up.next++;
    if (up.next < up.count) {
      up.lastRequestMs = nowMs;
      return this.request(up, type);
    }
    this.uploads.delete(type);
    if (type === MissionType.FENCE && !checkFenceList(up.items)) {
      this.port.text(common.MavSeverity.WARNING, 'Fence: invalid polygon or circle');
      return this.ack(peer, type, R.ERROR);
    }
    this.store.replace(type, up.items);
    this.finished.set(type, { peer, count: up.count });
    this.ack(peer, type, R.ACCEPTED);
  }

  onRequestList(peer: Peer, type: number): void {
    if (!isType(type)) return this.ack(peer, type, R.UNSUPPORTED);
    const m = new common.MissionCount();
    m.targetSystem = peer.sysid;
    m.targetComponent = peer.compid;
    m.count = this.store.count(type);
    m.missionType = type;
    this.port.send(peer.ch, m);
  }

  onRequest(peer: Peer, seq: number, type: number, legacy: boolean): void {
    if (!isType(type)) return this.ack(peer, type, R.UNSUPPORTED);
    if (seq >= this.store.count(type)) return this.ack(peer, type, R.INVALID_SEQUENCE);
    const p = this.port.personality;
    const home = type === MissionType.MISSION && seq === 0 && p.missionHasHome;
    const stored = home ? this.port.home() : this.store.items(type)[seq];
    if (!stored) return this.ack(peer, type, R.INVALID_SEQUENCE);
    if (legacy && p.legacyRequestWarning && !this.warnedLegacyRequest) {
      this.warnedLegacyRequest = true;
      this.port.text(common.MavSeverity.WARNING, p.legacyRequestWarning);
    }
    const reported = home ? stored : p.downloadItem(stored);
    this.port.send(peer.ch, legacy ? toMissionItem(reported, peer) : toMissionItemInt(reported, peer));
  }

  /** A GCS ack during our upload that is not ACCEPTED cancels it. */
  onAck(peer: Peer, type: number, result: number): void {
    const up = this.uploads.get(type);
    if (up && up.peer.sysid === peer.sysid && result !== R.ACCEPTED) this.uploads.delete(type);
  }

  onClearAll(peer: Peer, type: number): void {
    if (!isType(type)) return this.ack(peer, type, R.UNSUPPORTED);
    this.uploads.delete(type);
    this.store.clear(type);
    this.ack(peer, type, R.ACCEPTED);
  }

  update(nowMs: number): void {
    for (const [type, up] of this.uploads) {
      if (nowMs - up.lastReceiveMs > this.opts.timeouts.uploadTimeoutMs) {
        this.uploads.delete(type);
        this.port.text(common.MavSeverity.WARNING, 'Mission upload timeout');
        this.ack(up.peer, type, R.OPERATION_CANCELLED);
      } else if (nowMs - up.lastRequestMs > this.opts.timeouts.requestResendMs) {
        up.lastRequestMs = nowMs;
        this.request(up, type);
      }
    }
  }

  private request(up: Upload, type: number): void {
    const m = this.opts.legacyRequests ? new common.MissionRequest() : new common.MissionRequestInt();
    m.targetSystem = up.peer.sysid;
    m.targetComponent = up.peer.compid;
    m.seq = up.next;
    m.missionType = type;
    this.port.send(up.peer.ch, m);
  }

  private ack(peer: Peer, type: number, result: number): void {
    const m = new common.MissionAck();
    m.targetSystem = peer.sysid;
    m.targetComponent = peer.compid;
    m.type = result;
    m.missionType = type;
    this.port.send(peer.ch, m);
  }
}

function isType(t: number): boolean {
  return t === MissionType.MISSION || t === MissionType.FENCE || t === MissionType.RALLY;
}

function toMissionItemInt(s: StoredItem, peer: Peer): common.MissionItemInt {
  const m = new common.MissionItemInt();
  Object.assign(m, s);
  m.x = Math.round(s.x);
  m.y = Math.round(s.y);
  m.targetSystem = peer.sysid;
  m.targetComponent = peer.compid;
  return m;
}

function toMissionItem(s: StoredItem, peer: Peer): common.MissionItem {
  const m = new common.MissionItem();
  Object.assign(m, s);
  const global = s.frame !== common.MavFrame.MISSION;
  m.x = global ? s.x / 1e7 : s.x;
  m.y = global ? s.y / 1e7 : s.y;
  m.targetSystem = peer.sysid;
  m.targetComponent = peer.compid;
  return m;
}
