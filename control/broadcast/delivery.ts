import type { AckState } from '../../protocol/schemas/ack.ts';

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

const TERMINAL: ReadonlySet<DeliveryState> = new Set(['finished', 'failed', 'preempted', 'stopped', 'rejected', 'no_answer']);

export interface SpeakerDelivery {
  speakerId: string;
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

/**
 * The delivery report of one broadcast. It moves only on what speakers confirm (their
 * acks) or on the timeout, never on what we sent, so the report cannot claim a speaker
 * is playing before it says so. Late or out-of-order acks never move a speaker backwards.
 */
export class DeliveryReport {
  private readonly bySpeaker = new Map<string, SpeakerDelivery>();

  constructor(
    readonly broadcastId: string,
    speakerIds: string[],
    readonly startedAtMs: number,
    /** A speaker that has not answered at all by then is `no_answer`. */
    private readonly answerTimeoutMs: number,
  ) {
    for (const id of speakerIds) this.bySpeaker.set(id, { speakerId: id, state: 'pending', atMs: {} });
  }

  /** Applies a speaker's ack; returns true when the report changed. */
  onAck(speakerId: string, ack: { state: AckState; reason?: string; progressPct?: number }, nowMs: number): boolean {
    const s = this.bySpeaker.get(speakerId);
    if (!s) return false;
    const next: DeliveryState = ack.state === 'in_progress' ? 'playing' : ack.state === 'succeeded' ? 'finished' : ack.state;
    // A late answer after no_answer still counts: the speaker did respond.
    if (TERMINAL.has(s.state) && s.state !== 'no_answer') return false;
    if (rank(next) < rank(s.state) && s.state !== 'no_answer') return false;
    const changed = s.state !== next || s.progressPct !== ack.progressPct;
    s.state = next;
    s.atMs[next] ??= nowMs;
    if (ack.reason !== undefined) s.reason = ack.reason;
    if (ack.progressPct !== undefined) s.progressPct = ack.progressPct;
    return changed;
  }

  /** Marks speakers silent past the timeout; returns those newly marked. */
  tick(nowMs: number): string[] {
    if (nowMs - this.startedAtMs < this.answerTimeoutMs) return [];
    const marked: string[] = [];
    for (const s of this.bySpeaker.values()) {
      if (s.state !== 'pending') continue;
      s.state = 'no_answer';
      s.atMs.no_answer = nowMs;
      marked.push(s.speakerId);
    }
    return marked;
  }

  snapshot(): DeliverySnapshot {
    const counts = Object.fromEntries(
      ['pending', 'accepted', 'playing', 'finished', 'failed', 'preempted', 'stopped', 'rejected', 'no_answer'].map((k) => [k, 0]),
    ) as Record<DeliveryState, number>;
    const speakers = [...this.bySpeaker.values()].map((s) => ({ ...s, atMs: { ...s.atMs } }));
    for (const s of speakers) counts[s.state]++;
    return { broadcastId: this.broadcastId, startedAtMs: this.startedAtMs, done: speakers.every((s) => TERMINAL.has(s.state)), counts, speakers };
  }
}

function rank(s: DeliveryState): number {
  return s === 'pending' ? 0 : s === 'accepted' ? 1 : s === 'playing' ? 2 : 3;
}
