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

/** Words for ids and codes in a history line, in the console's language. */
export interface Wording {
  t: (key: string, params?: Record<string, string | number>) => string;
  ring(id: string): string;
  device(id: string): string;
  /** Translation of `${prefix}.${code}` if the table has it, else the code itself. */
  word(prefix: string, code: string): string;
}

/** The identity wording: codes as they are (tests, logs). */
export const RAW_WORDING: Wording = {
  t: (key, params) => `${key}${params ? ` ${JSON.stringify(params)}` : ''}`,
  ring: (id) => id,
  device: (id) => id,
  word: (_p, code) => code,
};

/** One line per past event for the slider's list, in the user's language. Pure. */
export function describeEvent(e: HistEvent, w: Wording): string {
  const r = e.record ?? {};
  const target = (r['target'] as { id?: string } | undefined)?.id;
  if (e.group === 'ledger') return w.t('hist.line.ledger', { kind: w.word('kind', String(r['kind'] ?? '?')), state: w.word('ledger', String(r['state'] ?? '?')), target: target ? w.device(target) : '?' });
  if (e.group === 'audit') return w.t('hist.line.audit', { user: String(r['username'] ?? '?'), action: String(r['action'] ?? '?'), outcome: w.word('audit', String(r['outcome'] ?? '')) });
  if (e.group === 'broadcasts') {
    const counts = (r['counts'] ?? {}) as Record<string, number>;
    const answered = Object.entries(counts).filter(([k]) => k !== 'pending').reduce((s, [, n]) => s + n, 0);
    return w.t('hist.line.broadcast', { state: w.word('bc.state', String(r['state'] ?? '?')), issuer: String(r['issuer'] ?? '?'), answered, total: answered + (counts['pending'] ?? 0) });
  }
  if (e.group === 'alarms') {
    const resp = r['responder'] as { droneId?: string; timeToSceneS?: number } | undefined;
    const line = w.t('hist.line.alarm', { ring: w.ring(String(r['ringId'] ?? '?')), state: w.word('alarm', String(r['state'] ?? '?')) });
    return resp?.droneId ? line + w.t('hist.line.responder', { drone: w.device(resp.droneId), seconds: resp.timeToSceneS !== undefined ? Math.round(resp.timeToSceneS) : '?' }) : line;
  }
  return w.t('hist.line.event', { device: w.device(e.deviceId ?? '?'), type: w.word('alarmType', e.type ?? '?'), severity: w.word('sev', e.severity ?? '?') });
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
