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
const FENCE = /fence (breach|breached)/i;
const LOW_BATTERY = /battery (low|critical)|low battery/i;

/** Classifies a STATUSTEXT into the protocol's event types. Pure. */
export function statusTextEvent(id: string, tsMs: number, severity: number, text: string): DroneEvent {
  let type: DroneEvent['type'] = 'statustext';
  if (FENCE.test(text)) type = 'fence_breach';
  else if (LOW_BATTERY.test(text)) type = 'low_battery';
  else if (FAILSAFE.test(text)) type = 'failsafe';
  return { id, tsMs, type, severity: severityFromMav(severity), text: text.slice(0, 200) };
}
