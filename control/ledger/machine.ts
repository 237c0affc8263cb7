/**
 * The command ledger's state machine: pure, clock injected, no I/O.
 * queued → sent → acked → in_progress → succeeded | failed | timed_out | cancelled.
 * Only device confirmations (COMMAND_ACK, MISSION_ACK, an MQTT ack) may move a record to
 * acked/in_progress/succeeded; the callers enforce that by construction (see ledger.ts).
 */
export const LEDGER_STATES = ['queued', 'sent', 'acked', 'in_progress', 'succeeded', 'failed', 'timed_out', 'cancelled'] as const;
export type LedgerState = (typeof LEDGER_STATES)[number];

export const TERMINAL_STATES: ReadonlySet<LedgerState> = new Set(['succeeded', 'failed', 'timed_out', 'cancelled']);

/**
 * Allowed moves. in_progress → in_progress records progress updates; sent → sent records
 * why a command is still being retried (an arm refused during boot: "PreArm: Need
 * Position Estimate; retrying"), so the record never sits as a bare "sent".
 */
const NEXT: Record<LedgerState, readonly LedgerState[]> = {
  queued: ['sent', 'failed', 'cancelled'],
  sent: ['sent', 'acked', 'in_progress', 'succeeded', 'failed', 'timed_out', 'cancelled'],
  acked: ['in_progress', 'succeeded', 'failed', 'timed_out', 'cancelled'],
  in_progress: ['in_progress', 'succeeded', 'failed', 'timed_out', 'cancelled'],
  succeeded: [],
  failed: [],
  timed_out: [],
  cancelled: [],
};

export function canTransition(from: LedgerState, to: LedgerState): boolean {
  return NEXT[from].includes(to);
}

export interface LedgerTarget {
  kind: 'drone' | 'speaker' | 'sensor';
  id: string;
}

export interface LedgerTransition {
  state: LedgerState;
  tsMs: number;
  /** Why: the device's answer ("MAV_RESULT DENIED", "PreArm: ..."), or our timeout. */
  detail?: string;
  progressPct?: number;
  /** On the way to an outcome (a go-to): metres left and seconds to go at the speed really flown. */
  distanceLeftM?: number;
  etaS?: number;
}

/**
 * The record as an operator reads it (issue 14 item 3): `pending` until the device
 * answers, `accepted` once it said yes and the outcome is being checked, then `achieved`
 * only when the vehicle did it (at the point, at altitude, verified by read-back),
 * otherwise `failed`, `timed_out` or `cancelled`.
 */
export type LedgerOutcome = 'pending' | 'accepted' | 'achieved' | 'failed' | 'timed_out' | 'cancelled';

export function outcomeOf(state: LedgerState): LedgerOutcome {
  switch (state) {
    case 'queued':
    case 'sent':
      return 'pending';
    case 'acked':
    case 'in_progress':
      return 'accepted';
    case 'succeeded':
      return 'achieved';
    default:
      return state;
  }
}

export interface LedgerRecord {
  id: string;
  issuer: string;
  target: LedgerTarget;
  /** What was asked: `arm`, `goto`, `mission_upload`, `play`, ... */
  kind: string;
  /** Over which path: a MAVLink link or the device's MQTT `cmd` channel. */
  via: 'mavlink' | 'mqtt';
  payload: Record<string, unknown>;
  state: LedgerState;
  /** `state` in the operator's words (outcomeOf). */
  outcome?: LedgerOutcome;
  createdMs: number;
  updatedMs: number;
  transitions: LedgerTransition[];
  /** What the device confirmed doing, where it differs from what was asked (a go-to's commanded speed). */
  result?: Record<string, number | string | boolean>;
}

/** What an issuer says about a new command; the ledger adds its state and times. */
export type NewRecord = Pick<LedgerRecord, 'id' | 'issuer' | 'target' | 'kind' | 'via' | 'payload'>;

export function createRecord(r: NewRecord, nowMs: number): LedgerRecord {
  return { ...r, state: 'queued', outcome: 'pending', createdMs: nowMs, updatedMs: nowMs, transitions: [{ state: 'queued', tsMs: nowMs }] };
}

export type TransitionOutcome =
  | { ok: true; record: LedgerRecord; change: LedgerTransition }
  | { ok: false; reason: string };

/** Returns a new record in the next state, or why the move is refused. Never mutates. */
export function transition(
  record: LedgerRecord,
  to: LedgerState,
  nowMs: number,
  extra: { detail?: string; progressPct?: number; distanceLeftM?: number; etaS?: number; result?: LedgerRecord['result'] } = {},
): TransitionOutcome {
  if (!canTransition(record.state, to)) {
    return { ok: false, reason: `${record.id}: ${record.state} → ${to} is not allowed` };
  }
  const change: LedgerTransition = { state: to, tsMs: nowMs };
  if (extra.detail !== undefined) change.detail = extra.detail;
  if (extra.progressPct !== undefined) change.progressPct = extra.progressPct;
  if (extra.distanceLeftM !== undefined) change.distanceLeftM = extra.distanceLeftM;
  if (extra.etaS !== undefined) change.etaS = extra.etaS;
  return {
    ok: true,
    change,
    record: {
      ...record,
      state: to,
      outcome: outcomeOf(to),
      updatedMs: nowMs,
      transitions: [...record.transitions, change],
      ...(extra.result ? { result: { ...record.result, ...extra.result } } : {}),
    },
  };
}
