/** The history panel's pure parts: no DOM, no Leaflet, so they are unit-tested in Node. */

export interface HistPosition {
  deviceId: string;
  tsMs: number;
  latDeg: number;
  lonDeg: number;
  altRelM?: number;
  headingDeg?: number;
}
/** A row of `GET /api/history/events`: telemetry events, and ledger/audit/alarm records with the record itself. */
export interface HistEvent {
  tsMs: number;
  group: string;
  id?: string;
  deviceId?: string;
  type?: string;
  severity?: string;
  record?: Record<string, unknown>;
}

/** One line per past event for the slider's list. Pure. */
export function describeEvent(e: HistEvent): string {
  const r = e.record ?? {};
  const target = (r['target'] as { id?: string } | undefined)?.id;
  if (e.group === 'ledger') return `${String(r['kind'] ?? '?')} → ${String(r['state'] ?? '?')}${target ? ` (${target})` : ''}`;
  if (e.group === 'audit') return `${String(r['username'] ?? '?')}: ${String(r['action'] ?? '?')} ${String(r['outcome'] ?? '')}`;
  if (e.group === 'broadcasts') {
    const counts = (r['counts'] ?? {}) as Record<string, number>;
    const answered = Object.entries(counts).filter(([k]) => k !== 'pending').reduce((s, [, n]) => s + n, 0);
    return `broadcast ${String(r['state'] ?? '?')} by ${String(r['issuer'] ?? '?')}: ${answered}/${answered + (counts['pending'] ?? 0)} answered`;
  }
  if (e.group === 'alarms') {
    const resp = r['responder'] as { droneId?: string; timeToSceneS?: number } | undefined;
    const scene = resp?.timeToSceneS !== undefined ? ` ${Math.round(resp.timeToSceneS)} s` : '';
    return `alarm ${String(r['ringId'] ?? '?')} ${String(r['state'] ?? '?')}${resp?.droneId ? ` → ${resp.droneId}${scene}` : ''}`;
  }
  return `${e.deviceId ?? ''} ${e.type ?? ''}${e.severity ? ` [${e.severity}]` : ''}`;
}

/** The last position of each device at or before `atMs` (positions sorted by time). Pure. */
export function positionsAt(sorted: readonly HistPosition[], atMs: number): Map<string, HistPosition> {
  const out = new Map<string, HistPosition>();
  for (const p of sorted) {
    if (p.tsMs > atMs) break;
    out.set(p.deviceId, p);
  }
  return out;
}
