import { common } from 'node-mavlink';
import type { ControlTimeouts } from '../timeouts.ts';
import { MissionTransfer, type TransferResult } from './mission-transfer.ts';
import { encodeMission } from './autopilot-encoding.ts';
import { missionSeqOffset } from './mission-encoder.ts';
import { missionVerdict } from './mission-validity.ts';
import { firstMismatch } from './plan-compare.ts';
import type { MissionType, PlanItem } from './plan-item.ts';
import type { TransferStatus } from './result.ts';
import type { PlanContext } from './vehicle-context.ts';

/** Downloads tried when reading a plan back after upload. */
export const READ_BACK_ATTEMPTS = 3;
/** How often the mission's validity (MISSION_CURRENT, 1 Hz) is looked at. */
const MISSION_VALID_POLL_MS = 100;

export interface UploadResult {
  status: TransferStatus;
  message?: string;
  /** The plan read back after the upload matched what was sent. */
  verified: boolean;
  /** Index (in the caller's items) of the first item that differs on read-back. */
  mismatchAt?: number;
  resends: number;
  legacyRequests: boolean;
}

export interface TransferHooks {
  signal?: AbortSignal;
  onSent?(): void;
  /** The vehicle's MISSION_ACK accepted the upload (before read-back). */
  onAcked?(): void;
}

/**
 * Mission, geofence and rally capability over the mission protocol. The wire transfer is
 * MissionTransfer; this adds what a GCS must do around it: items are encoded for the
 * autopilot (autopilot-encoding.ts); ArduPilot's item 0 is home (sent as a placeholder,
 * dropped from the read-back; PX4 keeps home outside the mission); and every upload is read
 * back and compared by meaning (plan-compare.ts), so a patrol only starts on a plan the
 * vehicle really holds.
 */
export class PlanApi {
  /** The last upload was read back and matched (reset by any new upload). */
  verified = false;
  /** What the vehicle holds, as last uploaded and verified. */
  items: PlanItem[] = [];

  constructor(
    private readonly v: PlanContext,
    readonly type: MissionType,
    private readonly t: ControlTimeouts,
  ) {}

  /** ArduPilot keeps home as mission item 0 (mission-encoder.ts); fence and rally have no such item. */
  private get homeOffset(): number {
    return this.type === 'mission' ? missionSeqOffset(this.v.autopilot) : 0;
  }

  private homePlaceholder(): PlanItem {
    const s = this.v.telemetryState;
    return {
      command: common.MavCmd.NAV_WAYPOINT,
      frame: common.MavFrame.GLOBAL,
      param1: 0,
      param2: 0,
      param3: 0,
      param4: 0,
      x: s.latE7 ?? 0,
      y: s.lonE7 ?? 0,
      z: (s.altAmslMm ?? 0) / 1000,
      autocontinue: true,
    };
  }

  private transfer(direction: 'upload' | 'download', items: PlanItem[] = [], signal?: AbortSignal): Promise<TransferResult> {
    return this.v.runTransfer(() => {
      const tr = new MissionTransfer(this.v, this.t, direction, this.type, items);
      signal?.addEventListener('abort', () => tr.cancel(), { once: true });
      return tr;
    });
  }

  /** Uploads, then reads back and compares. `verified` is true only when both succeed. */
  async upload(planned: PlanItem[], hooks: TransferHooks = {}): Promise<UploadResult> {
    this.verified = false;
    const startedAtMs = this.v.clock.nowMs();
    // Every plan goes through the per-autopilot encoder, whoever built it.
    const items = encodeMission(this.v.autopilot, this.type, planned);
    const wire = this.homeOffset && items.length > 0 ? [this.homePlaceholder(), ...items] : items;
    hooks.onSent?.();
    const up = await this.transfer('upload', wire, hooks.signal);
    const countAtUpload = this.v.telemetryState.missionCurrent?.count ?? 0;
    const base = { resends: up.resends, legacyRequests: up.legacyRequests };
    // A lost final MISSION_ACK is common on a lossy link; the read-back settles it.
    if (up.status !== 'success' && !(up.status === 'ack_timeout' && up.allItemsSent)) return { ...base, status: up.status, message: up.message, verified: false };
    if (up.status === 'success') hooks.onAcked?.();
    // A read-back of 100 items over a 20%-loss link spends its item retries now and then;
    // a fresh download is cheap, so try up to `READ_BACK_ATTEMPTS` times.
    let back = await this.download(hooks.signal);
    for (let i = 1; i < READ_BACK_ATTEMPTS && (back.status === 'item_timeout' || back.status === 'ack_timeout'); i++) {
      back = await this.download(hooks.signal);
    }
    if (back.status !== 'success' || !back.items) {
      return { ...base, status: back.status, message: `read-back failed: ${back.message ?? back.status}`, verified: false };
    }
    const diff = firstMismatch(items, back.items);
    if (diff) {
      return { ...base, status: 'item_mismatch', message: `read-back differs at item ${diff.index}: ${diff.why}`, verified: false, mismatchAt: diff.index };
    }
    if (up.status !== 'success') hooks.onAcked?.();
    const resends = base.resends + back.resends;
    if (this.type === 'mission' && this.v.autopilot === 'px4' && items.length > 0) {
      const accepted = await this.awaitMissionValid(items.length, countAtUpload, startedAtMs, hooks.signal);
      if (accepted) return { ...base, resends, status: accepted.status, message: accepted.message, verified: false };
    }
    this.verified = true;
    this.items = items;
    return { ...base, resends, status: 'success', verified: true };
  }

  /**
   * PX4 stores any mission, then checks it (fence, home, take-off) and keeps an infeasible
   * one as "no valid mission": MISSION_START would be DENIED after the arm. Wait for
   * MISSION_CURRENT to say the mission is valid, within the arming budget (PX4 checks only
   * once home is valid, which takes a cold boot a few seconds); fail with PX4's reason.
   * Undefined when valid.
   */
  private async awaitMissionValid(itemCount: number, countAtUpload: number, startedAtMs: number, signal?: AbortSignal): Promise<{ status: 'invalid' | 'cancelled' | 'ack_timeout'; message: string } | undefined> {
    const deadline = this.v.clock.nowMs() + this.t.armReadyBudgetMs;
    for (;;) {
      const verdict = missionVerdict({ itemCount, countAtUpload, seen: this.v.telemetryState.missionCurrent, texts: this.v.statusTextsSince(startedAtMs) });
      if (verdict.kind === 'valid') return undefined;
      if (verdict.kind === 'invalid') return { status: 'invalid', message: `the vehicle stored the mission but will not fly it: ${verdict.reason}` };
      const why = verdict.why;
      if (signal?.aborted) return { status: 'cancelled', message: 'cancelled while waiting for the vehicle to accept the mission' };
      if (this.v.clock.nowMs() >= deadline) return { status: 'ack_timeout', message: `the vehicle did not report the mission valid within ${Math.round(this.t.armReadyBudgetMs / 1000)} s: ${why}` };
      await new Promise((r) => setTimeout(r, MISSION_VALID_POLL_MS));
    }
  }

  /** Downloads the vehicle's plan (without ArduPilot's home item). */
  async download(signal?: AbortSignal): Promise<TransferResult> {
    const r = await this.transfer('download', [], signal);
    if (r.status === 'success' && r.items && this.homeOffset) r.items = r.items.slice(this.homeOffset);
    return r;
  }

  /** Clears the plan (an upload of zero items, which every autopilot accepts). */
  async clear(signal?: AbortSignal): Promise<TransferResult> {
    this.verified = false;
    const r = await this.transfer('upload', [], signal);
    if (r.status === 'success') this.items = [];
    return r;
  }
}
