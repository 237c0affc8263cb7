import type { LedgerRecord, LedgerTransition } from '../ledger/machine.ts';

/** Per-speaker delivery states, as the chief's report shows them. */
export type DeliveryState =
  | 'pending'
  | 'accepted'
  | 'playing'
  | 'finished'
  | 'failed'
  | 'preempted'
  | 'stopped'
  | 'rejected'
  | 'no_answer';

export const DELIVERY_STATES: readonly DeliveryState[] = ['pending', 'accepted', 'playing', 'finished', 'failed', 'preempted', 'stopped', 'rejected', 'no_answer'];

const TERMINAL: ReadonlySet<DeliveryState> = new Set(['finished', 'failed', 'preempted', 'stopped', 'rejected', 'no_answer']);

export interface SpeakerDelivery {
  speakerId: string;
  /** The speaker's play command in the ledger (absent only if the ledger never opened one). */
  commandId?: string;
  /**
   * Play commands sent to this speaker for this broadcast, the current one included (a
   * silent speaker is sent another within the broadcast's validity, see retry.ts).
   * `state` and `atMs` are those of the current command; the earlier ones each ended
   * `timed_out` in the ledger and are listed in `earlierCommandIds`, oldest first.
   */
  attempts: number;
  earlierCommandIds?: string[];
  state: DeliveryState;
  reason?: string;
  progressPct?: number;
  /** When each state was first confirmed by the speaker (or decided, for no_answer). */
  atMs: Partial<Record<DeliveryState, number>>;
}

export interface DeliverySnapshot {
  broadcastId: string;
  startedAtMs: number;
  done: boolean;
  counts: Record<DeliveryState, number>;
  speakers: SpeakerDelivery[];
}

/** One targeted speaker with the ledger record of its play command (undefined: not opened yet). */
export interface SpeakerCommand {
  speakerId: string;
  commandId?: string;
  record: LedgerRecord | undefined;
  /** Earlier play commands to this speaker for the same broadcast, oldest first (each timed out unanswered). */
  earlierCommandIds?: readonly string[];
}

/**
 * The device's own word for a failure, kept by the MQTT command path in the record's
 * `result.deviceState` (the ledger folds rejected, failed and preempted into `failed`).
 */
const DEVICE_FAILURES: ReadonlySet<DeliveryState> = new Set(['rejected', 'failed', 'preempted']);

/**
 * The delivery report of one broadcast, as a pure view of the ledger records of its play
 * commands. The ledger is the single truth: it moves only on the speakers' acks or its
 * own timeout (ControlTimeouts.deviceAckMs), and this view only renames its states, so the
 * report can never say `pending` where the ledger says `timed_out`, nor be revived by an
 * ack the ledger refused.
 */
export function deliverySnapshot(broadcastId: string, startedAtMs: number, commands: readonly SpeakerCommand[]): DeliverySnapshot {
  const counts = Object.fromEntries(DELIVERY_STATES.map((k) => [k, 0])) as Record<DeliveryState, number>;
  const speakers = commands.map(speakerDelivery);
  for (const s of speakers) counts[s.state]++;
  return { broadcastId, startedAtMs, done: speakers.every((s) => TERMINAL.has(s.state)), counts, speakers };
}

/** One speaker's delivery from its command's ledger record. */
export function speakerDelivery(c: SpeakerCommand): SpeakerDelivery {
  const earlier = c.earlierCommandIds ?? [];
  const out: SpeakerDelivery = { speakerId: c.speakerId, attempts: earlier.length + (c.commandId !== undefined ? 1 : 0), state: 'pending', atMs: {} };
  if (c.commandId !== undefined) out.commandId = c.commandId;
  if (earlier.length > 0) out.earlierCommandIds = [...earlier];
  const rec = c.record;
  if (!rec) return out;
  for (const t of rec.transitions) {
    const state = deliveryStateOf(t, rec);
    if (state === 'pending') continue;
    out.atMs[state] ??= t.tsMs;
    if (t.progressPct !== undefined) out.progressPct = t.progressPct;
  }
  out.state = deliveryStateOf(rec.transitions[rec.transitions.length - 1]!, rec);
  const last = rec.transitions[rec.transitions.length - 1]!;
  if (TERMINAL.has(out.state) && out.state !== 'finished' && last.detail !== undefined && last.detail !== out.state) out.reason = last.detail;
  return out;
}

function deliveryStateOf(t: LedgerTransition, rec: LedgerRecord): DeliveryState {
  switch (t.state) {
    case 'queued':
    case 'sent':
      return 'pending';
    case 'acked':
      return 'accepted';
    case 'in_progress':
      return 'playing';
    case 'succeeded':
      return 'finished';
    case 'cancelled':
      return 'stopped';
    case 'timed_out':
      // Silent from the start, or silent after accepting: either way the speaker never
      // gave its final answer; the reason (the ledger's detail) tells which.
      return 'no_answer';
    case 'failed': {
      const said = rec.result?.['deviceState'];
      return typeof said === 'string' && DEVICE_FAILURES.has(said as DeliveryState) ? (said as DeliveryState) : 'failed';
    }
  }
}
