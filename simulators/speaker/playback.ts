import type { AckPayload, AckState, SpeakerCommand, SpeakerEvent, SpeakerSource, SpeakerTelemetry } from '../../protocol/index.ts';
import { speechDurationS, type SpeechLang } from './speech.ts';

/** A library clip: the site's `warnings` by id. */
export interface Clip {
  text: string;
  lang: SpeechLang;
}

/** What the speaker core asks the outside world to do; it never touches a socket. */
export interface PlaybackSink {
  ack(ack: AckPayload): void;
  event(ev: SpeakerEvent): void;
  /** Playback state or volume changed; the adapter publishes telemetry at once. */
  changed(): void;
  /** A playback started (once per loop iteration), for optional WAV rendering. */
  spoke?(text: string, lang: SpeechLang, volumePct: number): void;
}

/** Faults the core itself models; `silent` and `offline` live in the MQTT adapter. */
export type PlaybackFault = 'fail_next_play' | 'amplifier_fault';

export interface PlaybackOptions {
  nowMs(): number;
  /** Time acceleration: a 10 s announcement takes 10 / speed real seconds. */
  speed: number;
  clips: ReadonlyMap<string, Clip>;
  initialVolumePct?: number;
  /** Progress is reported as playback crosses these percentages. */
  progressMarksPct?: readonly number[];
  /** Unique id source for events. */
  nextEventId(): string;
}

interface Current {
  id: string;
  priority: number;
  loop: boolean;
  text: string;
  lang: SpeechLang;
  durationMs: number;
  startedAtMs: number;
  iteration: number;
  nextMark: number;
}

const MAX_REASON = 200;
/** Amplifier thermal model: ambient, degrees per volume percent at full drive, time constant. */
const AMBIENT_C = 28;
const C_PER_VOLUME_PCT = 0.35;
const THERMAL_TAU_S = 120;
const RECENT_IDS = 256;

/**
 * The loudspeaker's playback state machine. Policy:
 * - a play with a higher priority than the current one preempts it (`preempted`);
 * - equal or lower priority is `rejected` as busy rather than queued: a warning that
 *   plays minutes late is worse than one the control service knows it must re-send or
 *   route to another speaker;
 * - a command whose `expiresAtMs` has passed is `rejected`;
 * - a repeated command id (MQTT QoS 1 redelivery) is ignored, not replayed.
 */
export class SpeakerPlayback {
  private current: Current | undefined;
  private volumePct: number;
  private readonly recentIds: string[] = [];
  private readonly faults = new Set<PlaybackFault>();
  private readonly marks: readonly number[];
  private amplifierTempC = AMBIENT_C;
  private tempAtMs: number;
  readonly counters = { plays: 0, finished: 0, preempted: 0, stopped: 0, failed: 0, rejected: 0, duplicates: 0 };

  constructor(
    private readonly opts: PlaybackOptions,
    private readonly sink: PlaybackSink,
  ) {
    this.volumePct = opts.initialVolumePct ?? 80;
    this.marks = opts.progressMarksPct ?? [25, 50, 75];
    this.tempAtMs = opts.nowMs();
  }

  /**
   * The amplifier warms towards a level set by the volume while it plays and cools to
   * ambient when idle (first-order, simulated time), so telemetry shows a long loop at
   * full volume the way a real horn speaker's heat sink does.
   */
  private updateTemperature(): void {
    const now = this.opts.nowMs();
    const dtSimS = ((now - this.tempAtMs) / 1000) * this.opts.speed;
    this.tempAtMs = now;
    const target = this.current ? AMBIENT_C + this.volumePct * C_PER_VOLUME_PCT : AMBIENT_C;
    this.amplifierTempC += (target - this.amplifierTempC) * (1 - Math.exp(-dtSimS / THERMAL_TAU_S));
  }

  get playingId(): string | undefined {
    return this.current?.id;
  }

  telemetry(): SpeakerTelemetry {
    this.updateTemperature();
    const t: SpeakerTelemetry = {
      tsMs: this.opts.nowMs(),
      state: this.faults.has('amplifier_fault') ? 'fault' : this.current ? 'playing' : 'idle',
      volumePct: this.volumePct,
      amplifierTempC: Math.round(this.amplifierTempC * 10) / 10,
    };
    if (this.current) t.playingId = this.current.id;
    return t;
  }

  /** Handles one schema-valid command. */
  handle(cmd: SpeakerCommand): void {
    this.updateTemperature();
    if (this.recentIds.includes(cmd.id)) {
      this.counters.duplicates++;
      return;
    }
    this.recentIds.push(cmd.id);
    if (this.recentIds.length > RECENT_IDS) this.recentIds.shift();
    switch (cmd.action) {
      case 'play':
        return this.play(cmd);
      case 'stop':
        return this.stop(cmd.id, cmd.targetId);
      case 'set_volume':
        this.volumePct = cmd.volumePct;
        this.ack(cmd.id, 'succeeded');
        this.sink.changed();
        return;
    }
  }

  /** Rejects a command that failed validation but carried a usable id. */
  reject(id: string, reason: string): void {
    this.counters.rejected++;
    this.ack(id, 'rejected', { reason });
  }

  /** When the adapter should call `tick()` next, or undefined when idle. */
  nextDeadlineMs(): number | undefined {
    const c = this.current;
    if (!c) return undefined;
    const mark = this.marks[c.nextMark];
    const frac = mark === undefined ? 1 : mark / 100;
    return c.startedAtMs + Math.ceil(c.durationMs * frac);
  }

  /** Advances playback to now: progress acks, loop restarts, completion. */
  tick(): void {
    this.updateTemperature();
    const now = this.opts.nowMs();
    // Bounded: at most one pass per mark per iteration, and a few iterations of a loop.
    for (let guard = 0; guard < 64 && this.current; guard++) {
      const c = this.current;
      const deadline = this.nextDeadlineMs()!;
      if (deadline > now) return;
      const mark = this.marks[c.nextMark];
      if (mark !== undefined) {
        c.nextMark++;
        this.ack(c.id, 'playing', { progressPct: mark });
        continue;
      }
      if (c.loop) {
        c.iteration++;
        c.startedAtMs = deadline;
        c.nextMark = 0;
        this.ack(c.id, 'playing', { progressPct: 0 });
        this.sink.spoke?.(c.text, c.lang, this.volumePct);
        continue;
      }
      this.current = undefined;
      this.counters.finished++;
      this.ack(c.id, 'finished', { progressPct: 100 });
      this.sink.changed();
    }
  }

  injectFault(fault: PlaybackFault): void {
    if (this.faults.has(fault)) return;
    this.faults.add(fault);
    if (fault === 'amplifier_fault') {
      this.sink.event({ id: this.opts.nextEventId(), tsMs: this.opts.nowMs(), type: 'fault', severity: 'high', text: 'amplifier fault: output stage not responding' });
      if (this.current) this.endCurrent('failed', 'amplifier fault');
      this.sink.changed();
    }
  }

  clearFaults(): void {
    const hadAmp = this.faults.has('amplifier_fault');
    this.faults.clear();
    if (hadAmp) {
      this.sink.event({ id: this.opts.nextEventId(), tsMs: this.opts.nowMs(), type: 'fault_cleared', severity: 'info', text: 'amplifier fault cleared' });
      this.sink.changed();
    }
  }

  get activeFaults(): PlaybackFault[] {
    return [...this.faults];
  }

  private play(cmd: Extract<SpeakerCommand, { action: 'play' }>): void {
    const now = this.opts.nowMs();
    if (cmd.expiresAtMs !== undefined && now > cmd.expiresAtMs) {
      return this.reject(cmd.id, `field /expiresAtMs: command expired ${now - cmd.expiresAtMs} ms before it arrived`);
    }
    const resolved = this.resolveSource(cmd.source);
    if (typeof resolved === 'string') return this.reject(cmd.id, resolved);
    const c = this.current;
    if (c && cmd.priority <= c.priority) {
      return this.reject(cmd.id, `busy: playing ${c.id} at priority ${c.priority}; field /priority must exceed it to preempt`);
    }
    this.counters.plays++;
    this.ack(cmd.id, 'accepted');
    if (this.faults.has('amplifier_fault')) {
      this.counters.failed++;
      this.ack(cmd.id, 'failed', { reason: 'amplifier fault' });
      return;
    }
    if (this.faults.delete('fail_next_play')) {
      this.counters.failed++;
      this.ack(cmd.id, 'failed', { reason: 'playback failed: audio decoder error' });
      return;
    }
    if (c) this.endCurrent('preempted', `preempted by ${cmd.id} at priority ${cmd.priority}`);
    const durationMs = Math.max(1, Math.round((speechDurationS(resolved.text, resolved.lang) * 1000) / this.opts.speed));
    this.volumePct = cmd.volumePct;
    this.current = { id: cmd.id, priority: cmd.priority, loop: cmd.loop, text: resolved.text, lang: resolved.lang, durationMs, startedAtMs: now, iteration: 0, nextMark: 0 };
    this.ack(cmd.id, 'playing', { progressPct: 0 });
    this.sink.spoke?.(resolved.text, resolved.lang, this.volumePct);
    this.sink.changed();
  }

  private stop(id: string, targetId: string | undefined): void {
    const c = this.current;
    if (targetId !== undefined && c?.id !== targetId) {
      return this.reject(id, `field /targetId: ${targetId} is not playing${c ? ` (playing ${c.id})` : ''}`);
    }
    if (c) this.endCurrent('stopped', `stopped by ${id}`);
    this.ack(id, 'succeeded');
    this.sink.changed();
  }

  private endCurrent(state: 'preempted' | 'stopped' | 'failed', reason: string): void {
    const c = this.current!;
    this.current = undefined;
    this.counters[state]++;
    const progressPct = c.loop ? undefined : Math.min(100, Math.floor(((this.opts.nowMs() - c.startedAtMs) / c.durationMs) * 100));
    this.ack(c.id, state, progressPct === undefined ? { reason } : { reason, progressPct });
  }

  private resolveSource(source: SpeakerSource): Clip | string {
    if (source.kind === 'tts') return { text: source.text, lang: source.lang };
    const clip = this.opts.clips.get(source.clipId);
    if (!clip) return `field /source/clipId: no clip "${source.clipId}" in this speaker's library`;
    return clip;
  }

  private ack(id: string, state: AckState, extra: { reason?: string; progressPct?: number } = {}): void {
    const a: AckPayload = { id, tsMs: this.opts.nowMs(), state };
    if (extra.reason !== undefined) a.reason = extra.reason.slice(0, MAX_REASON);
    if (extra.progressPct !== undefined) a.progressPct = extra.progressPct;
    this.sink.ack(a);
  }
}
