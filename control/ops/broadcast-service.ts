import { randomUUID } from 'node:crypto';
import type { Site } from '../../site/load.ts';
import type { Point } from '../../site/schema.ts';
import type { SpeakerSource } from '../../protocol/index.ts';
import type { WarningLibrary } from './warning-library.ts';
import { deliverySnapshot, type DeliverySnapshot } from '../broadcast/delivery.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { LedgerRecord } from '../ledger/machine.ts';
import { resolveTargets, type BroadcastTarget } from '../broadcast/targets.ts';
import { DEFAULT_PLAY_RETRY, retryDecision, type PlayRetryPolicy } from '../broadcast/retry.ts';
import type { Bus } from '../mqtt/bus.ts';
import type { DeviceCommands } from '../mqtt/device-commands.ts';
import type { Clock } from '../timeouts.ts';
import { BROADCAST_TOPIC } from '../../protocol/service-records.ts';
import { ControlError, type ErrorCodeOf } from '../errors.ts';

export interface BroadcastRequest {
  target: BroadcastTarget;
  source: SpeakerSource;
  volumePct: number;
  loop: boolean;
  priority: number;
}

export interface BroadcastRecord {
  id: string;
  issuer: string;
  request: BroadcastRequest;
  startedAtMs: number;
  /** The broadcast's validity: speakers ignore its play commands after this (each command carries it). */
  expiresAtMs: number;
  /** The current play command id per speaker; each is its own ledger record. */
  commandIds: Map<string, string>;
  /** Earlier play commands per speaker (each timed out unanswered and was retried), oldest first. */
  earlierCommandIds: Map<string, string[]>;
  /** The delivery report: a view of the ledger records of `commandIds`, computed on demand. */
  report: { snapshot(): DeliverySnapshot };
  skipped: { id: string; reason: string }[];
  stoppedAtMs?: number;
  /** The finished report has been recorded (once). */
  doneRecorded?: boolean;
}

/** A broadcast refused (control/errors.ts BCAST_ERR_*, with its HTTP status); `message` says why. */
export class BroadcastError extends ControlError {
  constructor(code: ErrorCodeOf<'BCAST_ERR_'>, message: string) {
    super(code, message, { detailOnly: true });
    this.name = 'BroadcastError';
  }
}

export interface BroadcastServiceOptions {
  site: Site;
  bus: Bus;
  devices: DeviceCommands;
  /** The ledger the play commands live in: the report's only source. */
  ledger: Ledger;
  warnings: WarningLibrary;
  clock: Clock;
  /** Current positions of drone-mounted speakers (their drones'). */
  droneSpeakerPositions: () => ReadonlyMap<string, Point | undefined>;
  /** Play commands older than this on arrival are ignored by speakers (a late warning is a wrong warning). */
  commandTtlMs?: number;
  /** Retries for speakers that stay silent (DEFAULT_PLAY_RETRY; `{ maxAttempts: 1 }` never retries). */
  retry?: Partial<PlayRetryPolicy>;
  onUpdate?: (snapshot: DeliverySnapshot) => void;
}

/**
 * One broadcast system for every speaker, fixed or on a drone: targets are resolved to
 * speakers, each speaker gets its own play command through the ledger, and the delivery
 * report is a view of those ledger records. It keeps no timer and reads no ack of its
 * own: the ledger moves on the speakers' acks or on its one device timeout
 * (ControlTimeouts.deviceAckMs), and the report follows every change. A speaker that
 * stays silent is sent a new play command (a new ledger record linked to the same
 * broadcast and speaker) while the broadcast is still valid: after a broker restart the
 * first one was lost with the speaker's session.
 */
export class BroadcastService {
  /** Play commands sent again to a silent speaker, in total (a metric). */
  playRetries = 0;
  private readonly broadcasts = new Map<string, BroadcastRecord>();
  private readonly byCommand = new Map<string, { broadcastId: string; speakerId: string }>();
  /**
   * The latest ledger record of each broadcast command, held so a report outlives the
   * ledger's in-memory trim of finished records (records are immutable: these are the
   * ledger's own objects, not copies that could drift).
   */
  private readonly records = new Map<string, LedgerRecord>();
  private readonly commandTtlMs: number;
  private readonly retry: PlayRetryPolicy;
  /** What each broadcast's play commands say (its clip resolved to text), for retries. */
  private readonly sources = new Map<string, SpeakerSource>();
  /** The broadcast whose commands send() is issuing right now. */
  private sending: string | undefined;
  /** Broadcasts whose ledger records changed since the last report (reported once per turn). */
  private readonly dirty = new Set<string>();
  private flushing: NodeJS.Immediate | undefined;
  private readonly onLedgerChange = (rec: LedgerRecord) => this.onChange(rec);

  constructor(private readonly o: BroadcastServiceOptions) {
    this.commandTtlMs = o.commandTtlMs ?? 30_000;
    this.retry = { ...DEFAULT_PLAY_RETRY, ...o.retry };
  }

  async start(): Promise<void> {
    this.o.ledger.on('change', this.onLedgerChange);
  }

  send(req: BroadcastRequest, issuer: string): BroadcastRecord {
    let source = req.source;
    if (source.kind === 'clip') {
      const w = this.o.warnings.get(source.clipId);
      if (!w) throw new BroadcastError('BCAST_ERR_UNKNOWN_CLIP', `no approved warning with id ${source.clipId}`);
      // Speakers without the clip stored can still speak its text.
      source = { kind: 'clip', clipId: w.id, text: w.text };
    }
    const { speakers, skipped } = resolveTargets(this.o.site, req.target, this.o.droneSpeakerPositions());
    if (speakers.length === 0) throw new BroadcastError('BCAST_ERR_NO_SPEAKERS', 'the target selects no speaker');
    const now = this.o.clock.nowMs();
    const id = randomUUID();
    const speakerIds = speakers.map((s) => s.id);
    const commandIds = new Map<string, string>();
    const earlierCommandIds = new Map<string, string[]>();
    const rec: BroadcastRecord = {
      id,
      issuer,
      request: req,
      startedAtMs: now,
      expiresAtMs: now + this.commandTtlMs,
      commandIds,
      earlierCommandIds,
      report: { snapshot: () => this.snapshotOf(id, now, speakerIds, commandIds, earlierCommandIds) },
      skipped,
    };
    this.broadcasts.set(id, rec);
    this.sources.set(id, source);
    this.sending = id;
    try {
      for (const speakerId of speakerIds) this.issuePlay(rec, speakerId);
    } finally {
      this.sending = undefined;
    }
    this.updated(rec);
    this.record(rec, 'started');
    return rec;
  }

  /** One play command to one speaker; a retry carries the broadcast's original validity. */
  private issuePlay(rec: BroadcastRecord, speakerId: string): void {
    const req = rec.request;
    // Command ids are chosen here so the ledger's first change already finds its broadcast.
    const commandId = randomUUID();
    const previous = rec.commandIds.get(speakerId);
    if (previous !== undefined) rec.earlierCommandIds.set(speakerId, [...(rec.earlierCommandIds.get(speakerId) ?? []), previous]);
    rec.commandIds.set(speakerId, commandId);
    this.byCommand.set(commandId, { broadcastId: rec.id, speakerId });
    this.o.devices.issue(
      { kind: 'speaker', id: speakerId },
      { action: 'play', source: this.sources.get(rec.id)!, volumePct: req.volumePct, loop: req.loop, priority: req.priority, expiresAtMs: rec.expiresAtMs },
      rec.issuer,
      commandId,
    );
  }

  /**
   * A speaker's current play command timed out: send another if it never answered and the
   * broadcast is still valid. Issued from a microtask, not inside the ledger's change
   * event, so every listener sees the timeout before the new record opens; the report's
   * flush (setImmediate) runs after it, so no report shows the speaker done in between.
   */
  private maybeRetry(record: LedgerRecord, broadcastId: string, speakerId: string): void {
    const rec = this.broadcasts.get(broadcastId);
    if (!rec || rec.commandIds.get(speakerId) !== record.id) return;
    const attempts = 1 + (rec.earlierCommandIds.get(speakerId)?.length ?? 0);
    const d = retryDecision(record, { nowMs: this.o.clock.nowMs(), expiresAtMs: rec.expiresAtMs, attempts, stopped: rec.stoppedAtMs !== undefined }, this.retry);
    if (!d.retry) return;
    queueMicrotask(() => {
      if (rec.stoppedAtMs !== undefined || rec.commandIds.get(speakerId) !== record.id) return;
      this.playRetries++;
      this.issuePlay(rec, speakerId);
    });
  }


  /**
   * Broadcasts are recorded for history when they start and once every speaker has
   * answered (not on every ack: 500 speakers would be 2,000 records).
   */
  private record(rec: BroadcastRecord, state: 'started' | 'done'): void {
    const snap = rec.report.snapshot();
    const body = { id: rec.id, tsMs: Date.now(), state, issuer: rec.issuer, request: rec.request, counts: snap.counts, speakers: snap.speakers, skipped: rec.skipped };
    this.o.bus.publish(BROADCAST_TOPIC, JSON.stringify(body), { qos: 1 });
  }

  private updated(rec: BroadcastRecord): void {
    const snap = rec.report.snapshot();
    this.o.onUpdate?.(snap);
    if (snap.done && !rec.doneRecorded) {
      rec.doneRecorded = true;
      this.record(rec, 'done');
    }
  }

  /** Stops the broadcast on every speaker still accepted or playing it. */
  stop(broadcastId: string, issuer: string): BroadcastRecord {
    const rec = this.broadcasts.get(broadcastId);
    if (!rec) throw new BroadcastError('BCAST_ERR_UNKNOWN_BROADCAST', `no broadcast ${broadcastId}`);
    rec.stoppedAtMs = this.o.clock.nowMs();
    const snap = rec.report.snapshot();
    for (const s of snap.speakers) {
      if (s.state !== 'pending' && s.state !== 'accepted' && s.state !== 'playing') continue;
      this.o.devices.issue({ kind: 'speaker', id: s.speakerId }, { action: 'stop', targetId: rec.commandIds.get(s.speakerId)! }, issuer);
    }
    return rec;
  }

  get(id: string): BroadcastRecord | undefined {
    return this.broadcasts.get(id);
  }

  list(): BroadcastRecord[] {
    return [...this.broadcasts.values()].sort((a, b) => b.startedAtMs - a.startedAtMs);
  }

  private snapshotOf(
    id: string,
    startedAtMs: number,
    speakerIds: readonly string[],
    commandIds: ReadonlyMap<string, string>,
    earlierCommandIds: ReadonlyMap<string, readonly string[]>,
  ): DeliverySnapshot {
    return deliverySnapshot(
      id,
      startedAtMs,
      speakerIds.map((speakerId) => {
        const commandId = commandIds.get(speakerId);
        const record = commandId === undefined ? undefined : (this.records.get(commandId) ?? this.o.ledger.get(commandId));
        const earlier = earlierCommandIds.get(speakerId);
        return { speakerId, ...(commandId !== undefined ? { commandId } : {}), record, ...(earlier ? { earlierCommandIds: earlier } : {}) };
      }),
    );
  }

  private onChange(record: LedgerRecord): void {
    const ref = this.byCommand.get(record.id);
    if (!ref) return;
    this.records.set(record.id, record);
    if (record.state === 'timed_out') this.maybeRetry(record, ref.broadcastId, ref.speakerId);
    // While send() is still issuing, it reports once itself when every command is open.
    if (this.sending === ref.broadcastId) return;
    // Acks from hundreds of speakers arrive in bursts: one report per broadcast per
    // event-loop turn, not one per ack (each report is a pass over every speaker).
    this.dirty.add(ref.broadcastId);
    this.flushing ??= setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushing = undefined;
    const ids = [...this.dirty];
    this.dirty.clear();
    for (const id of ids) {
      const rec = this.broadcasts.get(id);
      if (rec) this.updated(rec);
    }
  }

  close(): void {
    this.o.ledger.off('change', this.onLedgerChange);
    if (this.flushing) clearImmediate(this.flushing);
    this.flushing = undefined;
  }
}
