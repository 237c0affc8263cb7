/**
 * Health verdicts for /health: pure functions of what each part reports, so the rules
 * are a table test, not a guess at run time.
 *
 * `down`: the part cannot do its job (control cannot reach the broker it publishes to).
 * `degraded`: it works with something missing (a drone's link lost, history not stored).
 * Flying never waits for history, so telemetry is at worst `degraded`.
 */
export type PartStatus = 'ok' | 'degraded' | 'down';

export interface PartHealth {
  status: PartStatus;
  /** One sentence per problem, for the engineer on duty. */
  reasons: string[];
}

export interface DroneLinkView {
  droneId: string;
  online: boolean;
  /** Undefined: never heard since control started. */
  lastHeartbeatAgeMs: number | undefined;
}

export interface ControlHealthInput {
  drones: readonly DroneLinkView[];
  /** Undefined: control runs without a broker (`--mqtt none`). */
  brokerConnected: boolean | undefined;
  /** Device commands held while the broker is away. */
  heldCommands: number;
}

export interface ControlHealth extends PartHealth {
  dronesOnline: number;
  drones: number;
  /**
   * Drones not heard since control started. Not a fault by itself (a drone switched off
   * in its hangar is normal); a drone that was heard and went silent is.
   */
  notHeard: string[];
}

/** Control's own verdict: its broker link and every drone's MAVLink link. */
export function controlHealth(i: ControlHealthInput): ControlHealth {
  const reasons: string[] = [];
  let status: PartStatus = 'ok';
  const worse = (s: PartStatus) => (status = worst(status, s));
  if (i.brokerConnected === false) {
    worse('down');
    reasons.push(`broker unreachable: drone status and telemetry not published, ${i.heldCommands} device command(s) held until it is back`);
  }
  const notHeard: string[] = [];
  for (const d of i.drones) {
    if (d.online) continue;
    if (d.lastHeartbeatAgeMs === undefined) {
      notHeard.push(d.droneId);
      continue;
    }
    worse('degraded');
    reasons.push(`${d.droneId}: MAVLink link lost, last heartbeat ${Math.round(d.lastHeartbeatAgeMs / 1000)} s ago`);
  }
  return { status, reasons, dronesOnline: i.drones.filter((d) => d.online).length, drones: i.drones.length, notHeard };
}

/** The worse of two verdicts. */
export function worst(a: PartStatus, b: PartStatus): PartStatus {
  const rank: Record<PartStatus, number> = { ok: 0, degraded: 1, down: 2 };
  return rank[b] > rank[a] ? b : a;
}

/**
 * The stack's verdict from its parts: the worst of them, with every part's reasons
 * prefixed by its name so one list says where to look.
 */
export function overallHealth(parts: Readonly<Record<string, PartHealth>>): PartHealth {
  let status: PartStatus = 'ok';
  const reasons: string[] = [];
  for (const [name, p] of Object.entries(parts)) {
    status = worst(status, p.status);
    for (const r of p.reasons) reasons.push(`${name}: ${r}`);
  }
  return { status, reasons };
}
