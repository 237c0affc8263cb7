import type { DroneEvent, Severity } from '../../protocol/index.ts';

/** MAV_SEVERITY (0 emergency … 7 debug) → protocol Severity. */
export function severityFromMav(sev: number): Severity {
  if (sev <= 2) return 'critical';
  if (sev === 3) return 'high';
  if (sev === 4) return 'medium';
  if (sev === 5) return 'low';
  return 'info';
}

/** Failsafe words ArduPilot puts in STATUSTEXT, so they surface as `failsafe` events. */
const FAILSAFE = /failsafe/i;
// ArduCopter 4.7 (ArduCopter/fence.cpp): "Polygon fence breached" ("Max Alt and Polygon
// fences breached"), later "Fence breach cleared"; the simulator: "Fence Breached: ...".
// PX4: "Geofence violation" / "Geofence breached". A clearance is no breach.
const FENCE = /fences? breach(ed)?|geofence (breach|violation)/i;
const FENCE_CLEARED = /cleared/i;
// ArduPilot: "Battery 1 is low 10.50V used 2000 mAh"; PX4: "Low battery level! Return advised", "Critical battery level!".
const LOW_BATTERY = /battery (low|critical)|low battery|battery \d* ?is (low|critical)|critical battery/i;

/** Classifies a STATUSTEXT into the protocol's event types. Pure. */
export function statusTextEvent(id: string, tsMs: number, severity: number, text: string): DroneEvent {
  let type: DroneEvent['type'] = 'statustext';
  if (FENCE.test(text) && !FENCE_CLEARED.test(text)) type = 'fence_breach';
  else if (LOW_BATTERY.test(text)) type = 'low_battery';
  else if (FAILSAFE.test(text)) type = 'failsafe';
  return { id, tsMs, type, severity: severityFromMav(severity), text: text.slice(0, 200) };
}

/** How long and how many event ids are remembered; a replay or resend comes within minutes. */
export interface EventIdWindow {
  windowMs: number;
  maxIds: number;
}

export const DEFAULT_EVENT_ID_WINDOW: EventIdWindow = { windowMs: 60 * 60_000, maxIds: 10_000 };

/**
 * Device events already acted on, by `deviceId/eventId`: a bounded, time-windowed set.
 * A device may resend an event (QoS 1 redelivery after a reconnect) and a broker may
 * replay one (a retained event, before the broker refused to retain them): either way
 * the same id must not raise an alarm or dispatch a drone twice. Ids are per device, so
 * two sensors with the same counter do not shadow each other. Pure: the clock is
 * injected, and `entries()`/`restore()` let an adapter keep it across restarts.
 */
export class RecentEventIds {
  /** Insertion order is time order, so expiry and eviction take from the front. */
  private readonly seenAtMs = new Map<string, number>();
  duplicates = 0;

  constructor(
    private readonly nowMs: () => number,
    private readonly window: EventIdWindow = DEFAULT_EVENT_ID_WINDOW,
  ) {}

  /** True the first time (deviceId, eventId) is seen within the window; false for a repeat (counted). */
  firstSighting(deviceId: string, eventId: string): boolean {
    const now = this.nowMs();
    this.expire(now);
    const key = `${deviceId}/${eventId}`;
    if (this.seenAtMs.has(key)) {
      this.duplicates++;
      return false;
    }
    this.seenAtMs.set(key, now);
    if (this.seenAtMs.size > this.window.maxIds) this.seenAtMs.delete(this.seenAtMs.keys().next().value!);
    return true;
  }

  /** The remembered keys with when they were first seen, oldest first. */
  entries(): [string, number][] {
    this.expire(this.nowMs());
    return [...this.seenAtMs];
  }

  /** Loads remembered keys (e.g. after a restart); expired ones are dropped, order is by time. */
  restore(entries: Iterable<readonly [string, number]>): void {
    const sorted = [...entries, ...this.seenAtMs].sort((a, b) => a[1] - b[1]);
    this.seenAtMs.clear();
    for (const [key, atMs] of sorted) if (!this.seenAtMs.has(key)) this.seenAtMs.set(key, atMs);
    while (this.seenAtMs.size > this.window.maxIds) this.seenAtMs.delete(this.seenAtMs.keys().next().value!);
    this.expire(this.nowMs());
  }

  get size(): number {
    return this.seenAtMs.size;
  }

  private expire(now: number): void {
    for (const [key, atMs] of this.seenAtMs) {
      if (now - atMs <= this.window.windowMs) break;
      this.seenAtMs.delete(key);
    }
  }
}
