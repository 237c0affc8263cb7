import { closeSync, fsync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writevSync } from 'node:fs';
import { TelemetryError } from './errors.ts';
import { join } from 'node:path';
import type { TelemetryPoint } from './points.ts';

/**
 * When the spool's bytes reach the disk:
 * - `interval` (default): every append is written with write(2) before the MQTT ack,
 *   so a crash of this process loses nothing (the bytes are in the kernel); fsync runs
 *   every `fsyncIntervalMs` and on rotation/close, so a power cut or kernel crash can
 *   lose at most that window of acked messages.
 * - `always`: fsync before every ack. Survives power loss; costs one fsync per message,
 *   because mqtt.js handles incoming PUBLISHes strictly one after another.
 */
export type FsyncPolicy = 'interval' | 'always';

/** Turns a spooled message back into its point (the same mapping ingest used). */
export type SpoolDecoder = (topic: string, payload: Buffer) => TelemetryPoint | undefined;

/** A message as received, and the point it mapped to. */
export interface SpoolMessage {
  topic: string;
  payload: Buffer;
  point: TelemetryPoint;
}

export interface SpoolOptions {
  dir: string;
  decode: SpoolDecoder;
  /** Rotate to a new segment file past this size. Default 8 MiB. */
  segmentBytes?: number;
  /** Backpressure above this many bytes on disk. Default 256 MiB. */
  maxBytes?: number;
  fsync?: FsyncPolicy;
  fsyncIntervalMs?: number;
}

interface Segment {
  id: number;
  path: string;
  fd: number | undefined;
  bytes: number;
  appended: number;
  confirmed: number;
}

/** A point held by the spool until the store has it. */
export interface SpoolEntry {
  point: TelemetryPoint;
  receivedMs: number;
  segment: Segment;
}

export interface SpoolStats {
  bytes: number;
  segments: number;
  corruptLines: number;
  /** Segments whose last line was cut (a crash or a full disk mid-write), skipped at open. */
  tornTails: number;
  fsyncs: number;
  /** Appends that failed (disk full, I/O error); each left the segment as it was. */
  appendFailures: number;
  /** Drained segments released before they reached `segmentBytes`. */
  earlyReleases: number;
}

/** errno codes that mean "no room": the spool sheds until space returns. */
const NO_SPACE = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

const SEGMENT_RE = /^seg-(\d{12})\.log$/;
const segName = (id: number) => `seg-${String(id).padStart(12, '0')}.log`;
const NL = Buffer.from('\n');
const LF = 0x0a;
const CR = 0x0d;

/**
 * Bounded, append-only on-disk spool: one line per message, `<receivedMs> <topic>
 * <payload>`, in numbered segment files. The payload is stored as received (it is
 * validated JSON, so a newline byte in it can only be whitespace and is written as a
 * space); storing the message rather than the mapped point costs no serialization on
 * the hot path, and recovery maps it again. A segment is deleted once it is closed and every point in it is confirmed
 * written. On open, leftover segments are read back (a torn last line — a write cut
 * by a crash, never acked — is skipped) and handed to the writer again; rewriting a
 * point the store already has is harmless because point identity is measurement,
 * tags and time.
 */
export class Spool {
  private readonly segments = new Map<number, Segment>();
  private current: Segment | undefined;
  private nextId = 1;
  private totalBytes = 0;
  private dirty = false;
  /** An fsync running on the libuv pool; the fd stays open until it completes. */
  private syncing: Promise<void> | undefined;
  private fsyncTimer: NodeJS.Timeout | undefined;
  private readonly segmentBytes: number;
  readonly maxBytes: number;
  readonly policy: FsyncPolicy;
  readonly stats: SpoolStats = { bytes: 0, segments: 0, corruptLines: 0, tornTails: 0, fsyncs: 0, appendFailures: 0, earlyReleases: 0 };

  private constructor(private readonly opts: SpoolOptions) {
    this.segmentBytes = opts.segmentBytes ?? 8 * 1024 * 1024;
    this.maxBytes = opts.maxBytes ?? 256 * 1024 * 1024;
    this.policy = opts.fsync ?? 'interval';
  }

  /** Opens the spool directory and returns the points left there by a previous run. */
  static open(opts: SpoolOptions): { spool: Spool; recovered: SpoolEntry[] } {
    mkdirSync(opts.dir, { recursive: true });
    const spool = new Spool(opts);
    const recovered: SpoolEntry[] = [];
    const ids = readdirSync(opts.dir)
      .map((f) => SEGMENT_RE.exec(f)?.[1])
      .filter((x): x is string => x !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    for (const id of ids) {
      const path = join(opts.dir, segName(id));
      const seg: Segment = { id, path, fd: undefined, bytes: statSync(path).size, appended: 0, confirmed: 0 };
      const buf = readFileSync(path);
      // Bytes after the last newline are a torn write that was never acked: skipped.
      let start = 0;
      for (let nl = buf.indexOf(LF, start); nl !== -1; start = nl + 1, nl = buf.indexOf(LF, start)) {
        const line = buf.subarray(start, nl);
        const s1 = line.indexOf(0x20);
        const s2 = s1 === -1 ? -1 : line.indexOf(0x20, s1 + 1);
        const receivedMs = Number(line.subarray(0, Math.max(0, s1)).toString());
        const point = s2 === -1 ? undefined : opts.decode(line.subarray(s1 + 1, s2).toString(), line.subarray(s2 + 1));
        if (!point || !Number.isFinite(receivedMs)) {
          spool.stats.corruptLines++;
          continue;
        }
        recovered.push({ point, receivedMs, segment: seg });
        seg.appended++;
      }
      if (start < buf.length) spool.stats.tornTails++;
      spool.segments.set(id, seg);
      spool.totalBytes += seg.bytes;
      spool.nextId = id + 1;
      spool.maybeDelete(seg);
    }
    spool.updateStats();
    if (spool.policy === 'interval') {
      spool.fsyncTimer = setInterval(() => spool.syncInBackground(), opts.fsyncIntervalMs ?? 200);
      spool.fsyncTimer.unref();
    }
    return { spool, recovered };
  }

  get bytes(): number {
    return this.totalBytes;
  }

  get full(): boolean {
    return this.totalBytes >= this.maxBytes;
  }

  /**
   * Appends a message durably (per the fsync policy) and returns its entry. Synchronous
   * on purpose: when it returns, the caller may ack the MQTT message.
   */
  append(msg: SpoolMessage, receivedMs: number): SpoolEntry {
    const head = Buffer.from(`${receivedMs} ${msg.topic} `);
    let payload = msg.payload;
    if (payload.includes(LF) || payload.includes(CR)) {
      payload = Buffer.from(payload);
      for (let i = 0; i < payload.length; i++) if (payload[i] === LF || payload[i] === CR) payload[i] = 0x20;
    }
    const len = head.length + payload.length + 1;
    let seg = this.current;
    try {
      if (!seg || seg.bytes + len > this.segmentBytes) seg = this.rotate();
      this.writeWhole(seg, [head, payload, NL], len);
    } catch (err) {
      this.stats.appendFailures++;
      throw spoolWriteError(err);
    }
    seg.bytes += len;
    seg.appended++;
    this.totalBytes += len;
    if (this.policy === 'always') {
      fsyncSync(seg.fd!);
      this.stats.fsyncs++;
    } else {
      this.dirty = true;
    }
    return { point: msg.point, receivedMs, segment: seg };
  }

  /**
   * Writes one line or nothing: a write cut short (disk full) is truncated back to the
   * segment's last whole line, so a later append never glues onto half a record and
   * recovery never meets a torn line in the middle of a segment.
   */
  private writeWhole(seg: Segment, parts: Buffer[], len: number): void {
    const fd = seg.fd!;
    try {
      let written = writevSync(fd, parts);
      if (written < len) {
        const all = Buffer.concat(parts);
        while (written < len) written += writevSync(fd, [all.subarray(written)]);
      }
    } catch (err) {
      try {
        ftruncateSync(fd, seg.bytes);
      } catch {
        // Truncating frees space, so it rarely fails; if it does, recovery skips the torn tail.
      }
      throw err;
    }
  }

  /** Marks entries as stored; deletes segments that are closed and fully confirmed. */
  confirm(entries: readonly SpoolEntry[]): void {
    const touched = new Set<Segment>();
    for (const e of entries) {
      e.segment.confirmed++;
      touched.add(e.segment);
    }
    for (const s of touched) this.maybeDelete(s);
    // The open segment, once drained, is released now rather than when it reaches
    // segmentBytes: on a nearly full disk those megabytes are what the next appends need.
    const cur = this.current;
    if (cur && touched.has(cur) && cur.appended > 0 && cur.confirmed >= cur.appended) {
      this.current = undefined;
      this.dirty = false;
      this.closeFd(cur);
      this.maybeDelete(cur);
      this.stats.earlyReleases++;
    }
    this.updateStats();
  }

  /** fsync the open segment now if anything was written since the last sync. */
  sync(): void {
    if (!this.dirty || this.current?.fd === undefined) return;
    fsyncSync(this.current.fd);
    this.dirty = false;
    this.stats.fsyncs++;
  }

  /** The periodic fsync, off the event loop so appends (and acks) do not wait for the disk. */
  private syncInBackground(): void {
    const seg = this.current;
    if (!this.dirty || this.syncing || seg?.fd === undefined) return;
    this.dirty = false;
    const fd = seg.fd;
    this.syncing = new Promise((resolve) =>
      fsync(fd, () => {
        this.stats.fsyncs++;
        this.syncing = undefined;
        resolve();
      }),
    );
  }

  close(): void {
    if (this.fsyncTimer) clearInterval(this.fsyncTimer);
    this.fsyncTimer = undefined;
    const cur = this.current;
    try {
      this.sync();
    } catch {
      // A full or failing disk must not stop shutdown; whole lines on disk are recovered.
    }
    if (cur) this.closeFd(cur);
    this.current = undefined;
    if (cur) this.maybeDelete(cur);
  }

  private closeFd(seg: Segment): void {
    const fd = seg.fd;
    seg.fd = undefined;
    if (fd === undefined) return;
    if (this.syncing) void this.syncing.then(() => closeSync(fd));
    else closeSync(fd);
  }

  private rotate(): Segment {
    const old = this.current;
    if (old?.fd !== undefined) {
      try {
        this.sync();
      } catch {
        // fsync can report ENOSPC/EIO for earlier writes; the lines are in the file or
        // not, and recovery reads whatever is whole. Rotation must go on regardless.
      }
      this.closeFd(old);
      this.current = undefined;
    }
    const id = this.nextId++;
    const path = join(this.opts.dir, segName(id));
    const seg: Segment = { id, path, fd: openSync(path, 'a'), bytes: 0, appended: 0, confirmed: 0 };
    this.segments.set(id, seg);
    this.current = seg;
    if (old) this.maybeDelete(old);
    this.updateStats();
    return seg;
  }

  private maybeDelete(seg: Segment): void {
    if (seg === this.current || seg.confirmed < seg.appended || !this.segments.has(seg.id)) return;
    try {
      unlinkSync(seg.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    this.segments.delete(seg.id);
    this.totalBytes -= seg.bytes;
  }

  private updateStats(): void {
    this.stats.bytes = this.totalBytes;
    this.stats.segments = this.segments.size;
  }
}

/** The append's failure in the service's vocabulary: no room (shed and wait for space) or another I/O error. */
function spoolWriteError(err: unknown): TelemetryError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code && NO_SPACE.has(code)) return new TelemetryError('TEL_SPOOL_NO_SPACE', `spool disk full (${code})`, { cause: err });
  return new TelemetryError('TEL_SPOOL_WRITE', `spool write failed: ${(err as Error).message}`, { cause: err });
}
