import { randomUUID } from 'node:crypto';
import type { Site } from '../../site/load.ts';
import type { Point } from '../../site/schema.ts';
import { checkPayload, parseDeviceTopic, type AckPayload, type SpeakerSource } from '../../protocol/index.ts';
import type { WarningLibrary } from '../api/warning-library.ts';
import { DeliveryReport, type DeliverySnapshot } from '../broadcast/delivery.ts';
import { resolveTargets, type BroadcastTarget } from '../broadcast/targets.ts';
import type { Bus } from '../mqtt/bus.ts';
import type { DeviceCommands } from '../mqtt/device-commands.ts';
import type { Clock } from '../timeouts.ts';
import { BROADCAST_TOPIC } from '../../telemetry/service-records.ts';

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
  /** Play command id per speaker; each is its own ledger record. */
  commandIds: Map<string, string>;
  report: DeliveryReport;
  skipped: { id: string; reason: string }[];
  stoppedAtMs?: number;
  /** The finished report has been recorded (once). */
  doneRecorded?: boolean;
}

export class BroadcastError extends Error {
  constructor(
    readonly code: 'BCAST_ERR_NO_SPEAKERS' | 'BCAST_ERR_UNKNOWN_CLIP' | 'BCAST_ERR_UNKNOWN_BROADCAST',
    message: string,
  ) {
    super(message);
  }
}

export interface BroadcastServiceOptions {
  site: Site;
  bus: Bus;
  devices: DeviceCommands;
  warnings: WarningLibrary;
  clock: Clock;
  /** Current positions of drone-mounted speakers (their drones'). */
  droneSpeakerPositions: () => ReadonlyMap<string, Point | undefined>;
  /** A speaker that has not answered at all within this is reported `no_answer`. */
  answerTimeoutMs?: number;
  /** Play commands older than this on arrival are ignored by speakers (a late warning is a wrong warning). */
  commandTtlMs?: number;
  onUpdate?: (snapshot: DeliverySnapshot) => void;
}

/**
 * One broadcast system for every speaker, fixed or on a drone: targets are resolved to
 * speakers, each speaker gets its own play command through the ledger, and the delivery
 * report moves only on the speakers' own acks (or their silence past the timeout).
 */
export class BroadcastService {
  private readonly broadcasts = new Map<string, BroadcastRecord>();
  private readonly byCommand = new Map<string, { broadcastId: string; speakerId: string }>();
  private timer: NodeJS.Timeout | undefined;
  private readonly answerTimeoutMs: number;
  private readonly commandTtlMs: number;

  constructor(private readonly o: BroadcastServiceOptions) {
    this.answerTimeoutMs = o.answerTimeoutMs ?? 5000;
    this.commandTtlMs = o.commandTtlMs ?? 30_000;
  }

  async start(): Promise<void> {
    await this.o.bus.subscribe('ringwatch/v1/speaker/+/ack', (topic, payload) => this.onAck(topic, payload));
    this.timer = setInterval(() => this.sweep(), Math.min(500, this.answerTimeoutMs / 2));
    this.timer.unref();
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
    const rec: BroadcastRecord = {
      id,
      issuer,
      request: req,
      commandIds: new Map(),
      report: new DeliveryReport(id, speakers.map((s) => s.id), now, this.answerTimeoutMs),
      skipped,
    };
    this.broadcasts.set(id, rec);
    for (const s of speakers) {
      const cmd = this.o.devices.issue(
        { kind: 'speaker', id: s.id },
        { action: 'play', source, volumePct: req.volumePct, loop: req.loop, priority: req.priority, expiresAtMs: now + this.commandTtlMs },
        issuer,
      );
      rec.commandIds.set(s.id, cmd.id);
      this.byCommand.set(cmd.id, { broadcastId: id, speakerId: s.id });
    }
    this.o.onUpdate?.(rec.report.snapshot());
    this.record(rec, 'started');
    return rec;
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
    return [...this.broadcasts.values()].sort((a, b) => b.report.startedAtMs - a.report.startedAtMs);
  }

  private onAck(topic: string, payload: Buffer): void {
    const t = parseDeviceTopic(topic);
    if (!t) return;
    const check = checkPayload<AckPayload>('speaker', 'ack', payload);
    if (!check.ok) return; // DeviceCommands counts malformed acks
    const ref = this.byCommand.get(check.value.id);
    if (!ref || ref.speakerId !== t.deviceId) return;
    const rec = this.broadcasts.get(ref.broadcastId)!;
    const { state, reason, progressPct } = check.value;
    if (rec.report.onAck(ref.speakerId, { state, ...(reason !== undefined ? { reason } : {}), ...(progressPct !== undefined ? { progressPct } : {}) }, this.o.clock.nowMs())) {
      this.updated(rec);
    }
  }

  private sweep(): void {
    const now = this.o.clock.nowMs();
    for (const rec of this.broadcasts.values()) {
      if (rec.report.tick(now).length > 0) this.updated(rec);
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
