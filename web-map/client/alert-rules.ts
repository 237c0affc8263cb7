/**
 * What deserves the operator's attention, derived from the live model: a new alarm, a
 * drone whose link was lost, a battery crossing the warning or critical level, a drone
 * that switched to a return or landing mode nobody commanded (an autopilot failsafe).
 * Pure: no DOM, the clock is passed in, so it is unit-tested in Node
 * (tests/web-map/alert-rules.test.ts).
 */

export type AlertKind = 'alarm' | 'link_lost' | 'battery_low' | 'battery_critical' | 'failsafe_mode';
export type AlertSeverity = 'warning' | 'critical';

export interface Alert {
  /** Stable per condition: the same condition raised again gets a new id (suffix = time). */
  id: string;
  kind: AlertKind;
  severity: AlertSeverity;
  /** Drone id or alarm id. */
  subject: string;
  atMs: number;
  /** Kind-specific figures for the message: battery percent, flight mode, alarm type. */
  detail: Record<string, string | number>;
  acked: boolean;
  /** Raised from what was already true when the console opened: listed, but no sound. */
  initial: boolean;
}

/** Battery levels (percent) the operator is told about; the autopilot's own failsafes sit below. */
export const BATTERY_WARNING_PCT = 25;
export const BATTERY_CRITICAL_PCT = 15;
/** A level re-arms only once the battery is this far above it (a swap, or noise settling). */
export const BATTERY_HYSTERESIS_PCT = 5;
/** A mode change within this long after a matching command of ours is not a failsafe. */
export const COMMANDED_MODE_WINDOW_MS = 120_000;

/** Modes an autopilot enters by itself on a failsafe (ArduPilot Copter and PX4 names). */
const FAILSAFE_MODES = new Set(['RTL', 'LAND', 'SMART_RTL', 'AUTO_RTL', 'AUTO.RTL', 'AUTO.LAND', 'QLAND', 'QRTL']);

export interface DroneView {
  id: string;
  link: 'ok' | 'lost' | 'never';
  batteryPct?: number;
  mode?: string;
}
export interface AlarmView {
  id: string;
  state: 'open' | 'acknowledged' | 'resolved';
  severity: string;
  raisedAtMs: number;
  type: string;
  /** For an alarm a drone raised itself (source kind 'vehicle'). */
  droneId?: string;
}

/** One condition seen twice (our rule on telemetry, the server's vehicle alarm) is one alert. */
const SAME_CONDITION_MS = 120_000;
const GROUP: Record<string, string> = { battery_low: 'battery', battery_critical: 'battery', low_battery: 'battery', link_lost: 'link', failsafe_mode: 'failsafe', failsafe: 'failsafe' };
/** Ledger records that explain a mode change: kind plus payload mode, per drone. */
export interface CommandView {
  targetId: string;
  kind: string;
  mode?: string;
  createdMs: number;
}

interface DroneMemory {
  link: DroneView['link'];
  mode?: string;
  batteryLevel: 0 | 1 | 2; // 0 fine, 1 warning raised, 2 critical raised
}

export class AlertBook {
  private readonly alerts = new Map<string, Alert>();
  private readonly seenAlarms = new Set<string>();
  private readonly drones = new Map<string, DroneMemory>();
  private primed = false;

  /**
   * @param ackedAlarms alarm ids this user already acknowledged (kept across reloads by the
   *   caller): an alarm still open on the server is listed again, but not as news.
   */
  constructor(
    private readonly maxAlerts = 200,
    private readonly ackedAlarms: ReadonlySet<string> = new Set(),
  ) {}

  /**
   * Compare the live model with what was seen last time; returns the alerts newly raised.
   * The first call only records the starting state, except open alarms and drones already
   * lost or low, which are listed (marked initial) so a fresh console shows them.
   */
  observe(nowMs: number, drones: Iterable<DroneView>, alarms: Iterable<AlarmView>, commands: readonly CommandView[]): Alert[] {
    const initial = !this.primed;
    this.primed = true;
    const raised: Alert[] = [];
    // `atMs` is when this console noticed: alarm and telemetry stamps may come from other
    // clocks (the control service's, the vehicle's) and would sort the list wrongly.
    const raise = (kind: AlertKind, severity: AlertSeverity, subject: string, detail: Alert['detail']) => {
      const acked = kind === 'alarm' && this.ackedAlarms.has(subject);
      const a: Alert = { id: `${kind}:${subject}:${nowMs}`, kind, severity, subject, atMs: nowMs, detail, acked, initial };
      this.alerts.set(a.id, a);
      if (!acked) raised.push(a);
    };

    // Is the same condition already up from the other source (server alarm vs our rule)?
    const fromAlarm = (group: string | undefined, droneId: string) =>
      group !== undefined && this.list().some((x) => !x.acked && x.atMs >= nowMs - SAME_CONDITION_MS && x.kind === 'alarm' && x.detail['droneId'] === droneId && GROUP[String(x.detail['type'])] === group);
    const fromRule = (group: string | undefined, droneId: string) =>
      group !== undefined && this.list().some((x) => !x.acked && x.atMs >= nowMs - SAME_CONDITION_MS && x.kind !== 'alarm' && x.subject === droneId && GROUP[x.kind] === group);
    for (const a of alarms) {
      if (this.seenAlarms.has(a.id)) continue;
      this.seenAlarms.add(a.id);
      if (a.state !== 'open') continue;
      if (a.droneId && fromRule(GROUP[a.type], a.droneId)) continue;
      raise('alarm', a.severity === 'high' || a.severity === 'critical' ? 'critical' : 'warning', a.id, { type: a.type, severity: a.severity, ...(a.droneId ? { droneId: a.droneId } : {}) });
    }

    for (const d of drones) {
      const mem = this.drones.get(d.id) ?? { link: 'never', batteryLevel: 0 };
      if (d.link === 'lost' && mem.link !== 'lost' && (mem.link === 'ok' || initial) && !fromAlarm('link', d.id)) raise('link_lost', 'critical', d.id, {});
      if (d.link === 'ok' && d.batteryPct !== undefined) {
        const pct = d.batteryPct;
        if (pct <= BATTERY_CRITICAL_PCT && mem.batteryLevel < 2) {
          raise('battery_critical', 'critical', d.id, { pct: Math.round(pct) });
          mem.batteryLevel = 2;
        } else if (pct <= BATTERY_WARNING_PCT && mem.batteryLevel < 1) {
          if (!fromAlarm('battery', d.id)) raise('battery_low', 'warning', d.id, { pct: Math.round(pct) });
          mem.batteryLevel = 1;
        } else if (pct > BATTERY_WARNING_PCT + BATTERY_HYSTERESIS_PCT) mem.batteryLevel = 0;
        else if (pct > BATTERY_CRITICAL_PCT + BATTERY_HYSTERESIS_PCT && mem.batteryLevel === 2) mem.batteryLevel = 1;
      }
      if (!initial && d.mode && mem.mode && d.mode !== mem.mode && FAILSAFE_MODES.has(d.mode) && !commanded(d.id, d.mode, nowMs, commands) && !fromAlarm('failsafe', d.id)) {
        raise('failsafe_mode', 'critical', d.id, { mode: d.mode });
      }
      if (d.link !== 'never') mem.link = d.link;
      if (d.mode) mem.mode = d.mode;
      this.drones.set(d.id, mem);
    }
    this.trim();
    return raised;
  }

  /** Newest first. */
  list(): Alert[] {
    return [...this.alerts.values()].sort((a, b) => b.atMs - a.atMs);
  }

  unacked(): Alert[] {
    return this.list().filter((a) => !a.acked);
  }

  ack(id: string): void {
    const a = this.alerts.get(id);
    if (a) a.acked = true;
  }

  ackAll(): void {
    for (const a of this.alerts.values()) a.acked = true;
  }

  private trim(): void {
    if (this.alerts.size <= this.maxAlerts) return;
    // Drop the oldest acknowledged ones first; never an unacknowledged critical.
    const old = this.list().reverse().filter((a) => a.acked);
    for (const a of old.slice(0, this.alerts.size - this.maxAlerts)) this.alerts.delete(a.id);
  }
}

/** Whether one of our commands (rtl, land, or a set_mode to that mode) explains the mode. */
function commanded(droneId: string, mode: string, nowMs: number, commands: readonly CommandView[]): boolean {
  const wantKind = mode.includes('LAND') ? 'land' : 'rtl';
  return commands.some((c) => c.targetId === droneId && nowMs - c.createdMs <= COMMANDED_MODE_WINDOW_MS && (c.kind === wantKind || (c.kind === 'set_mode' && c.mode === mode)));
}
