import { common, minimal } from 'node-mavlink';
import type { StreamGroup } from '../types.ts';

/** Messages the vehicle can stream, in a fixed order (index = slot in the rate tables). */
export const STREAMED = [
  minimal.Heartbeat.MSG_ID,
  common.SysStatus.MSG_ID,
  common.GpsRawInt.MSG_ID,
  common.MissionCurrent.MSG_ID,
  common.GlobalPositionInt.MSG_ID,
  common.Attitude.MSG_ID,
  common.VfrHud.MSG_ID,
  common.BatteryStatus.MSG_ID,
  common.HomePosition.MSG_ID,
  common.PositionTargetGlobalInt.MSG_ID,
] as const;
const SLOT = new Map<number, number>(STREAMED.map((id, i) => [id, i]));

/** ArduPilot's stream groups (GCS_MAVLink ap_message lists), restricted to what we simulate. */
const GROUPS: Record<StreamGroup, number[]> = {
  extendedStatus: [common.SysStatus.MSG_ID, common.GpsRawInt.MSG_ID, common.MissionCurrent.MSG_ID, common.PositionTargetGlobalInt.MSG_ID],
  position: [common.GlobalPositionInt.MSG_ID],
  extra1: [common.Attitude.MSG_ID],
  extra2: [common.VfrHud.MSG_ID],
  extra3: [common.BatteryStatus.MSG_ID],
};

/** MAV_DATA_STREAM ids → our groups (RAW_SENSORS, RC_CHANNELS, RAW_CONTROLLER carry nothing we simulate). */
const DATA_STREAM: Record<number, StreamGroup[]> = {
  0: ['extendedStatus', 'position', 'extra1', 'extra2', 'extra3'],
  2: ['extendedStatus'],
  6: ['position'],
  10: ['extra1'],
  11: ['extra2'],
  12: ['extra3'],
};

/** Streams this far behind are resynchronised instead of caught up. */
const MAX_BACKLOG_MS = 1000;

/** ArduPilot caps stream rates at 50 Hz (and at its main loop rate). */
const MAX_RATE_HZ = 50;

/** Per-channel stream schedule: each GCS link has its own rates, as each SERIALn has its SRn_ params. */
export class StreamTable {
  /** Interval per slot in simulated ms; 0 = off. */
  readonly intervalMs = new Float64Array(STREAMED.length);
  readonly nextDueMs = new Float64Array(STREAMED.length);
  /** This link's phase in [0, 1) of every interval. */
  private readonly phase: number;

  constructor(initialHz: Partial<Record<StreamGroup, number>> | undefined, jitter: () => number) {
    this.phase = jitter();
    this.intervalMs[0] = 1000; // HEARTBEAT at 1 Hz, always
    for (const [g, hz] of Object.entries(initialHz ?? {})) this.setGroup(g as StreamGroup, hz ?? 0, 0);
  }

  setGroup(group: StreamGroup, hz: number, nowMs: number): void {
    for (const id of GROUPS[group]) this.setRate(id, hz, nowMs);
  }

  /** REQUEST_DATA_STREAM; returns false for a stream id we do not know. */
  requestDataStream(streamId: number, hz: number, start: boolean, nowMs: number): boolean {
    const groups = DATA_STREAM[streamId];
    if (!groups) return streamId === 1 || streamId === 3 || streamId === 4;
    for (const g of groups) this.setGroup(g, start ? hz : 0, nowMs);
    return true;
  }

  setRate(msgId: number, hz: number, nowMs: number): void {
    const slot = SLOT.get(msgId);
    if (slot === undefined) return;
    const r = Math.min(MAX_RATE_HZ, Math.max(0, hz));
    this.setInterval(slot, r > 0 ? 1000 / r : 0, nowMs);
  }

  /**
   * SET_MESSAGE_INTERVAL semantics: interval in µs, -1 = disable, 0 = default rate.
   * Returns false when the message is not one we can stream (Copter answers DENIED).
   */
  setMessageInterval(msgId: number, intervalUs: number, nowMs: number, defaultMs: number): boolean {
    const slot = SLOT.get(msgId);
    if (slot === undefined) return false;
    const ms = intervalUs < 0 ? 0 : intervalUs === 0 ? defaultMs : Math.max(1000 / MAX_RATE_HZ, intervalUs / 1000);
    this.setInterval(slot, ms, nowMs);
    return true;
  }

  /** MESSAGE_INTERVAL's answer in µs (-1 = not streamed, as the spec says). */
  intervalUs(msgId: number): number | undefined {
    const slot = SLOT.get(msgId);
    if (slot === undefined) return undefined;
    const ms = this.intervalMs[slot]!;
    return ms > 0 ? Math.round(ms * 1000) : -1;
  }

  private setInterval(slot: number, ms: number, nowMs: number): void {
    this.intervalMs[slot] = ms;
    // One random phase per link: a thousand vehicles must not all send in the same tick,
    // while one vehicle's streams of equal rate fall due together and leave in one datagram.
    const offset = this.phase * ms;
    this.nextDueMs[slot] = ms > 0 ? Math.ceil((nowMs - offset) / ms) * ms + offset : 0;
  }

  /** Calls `emit(msgId)` for every slot due at `nowMs`; at most once per slot per call. */
  due(nowMs: number, emit: (msgId: number) => void): void {
    for (let i = 0; i < STREAMED.length; i++) {
      const iv = this.intervalMs[i]!;
      if (iv <= 0 || nowMs < this.nextDueMs[i]!) continue;
      let next = this.nextDueMs[i]! + iv;
      // After a short stall (a busy event loop) the missed sends follow one per tick, so the
      // rate holds; far behind (time acceleration beyond the tick rate), skip like a busy link.
      if (nowMs - next > MAX_BACKLOG_MS) next = nowMs + iv;
      this.nextDueMs[i] = next;
      emit(STREAMED[i]!);
    }
  }
}
