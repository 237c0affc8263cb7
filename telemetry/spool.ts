import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
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

export interface SpoolOptions {
  dir: string;
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
  fsyncs: number;
}

const SEGMENT_RE = /^seg-(\d{12})\.jsonl$/;
const segName = (id: number) => `seg-${String(id).padStart(12, '0')}.jsonl`;

/**
 * Bounded, append-only on-disk spool: one JSON line per point in numbered segment
 * files. A segment is deleted once it is closed and every point in it is confirmed
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
  private fsyncTimer: NodeJS.Timeout | undefined;
  private readonly segmentBytes: number;
  readonly maxBytes: number;
  readonly policy: FsyncPolicy;
  readonly stats: SpoolStats = { bytes: 0, segments: 0, corruptLines: 0, fsyncs: 0 };

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
      const text = readFileSync(path, 'utf8');
      const lines = text.split('\n');
      lines.pop(); // the part after the last newline: empty, or a torn write that was never acked
      for (const line of lines) {
        try {
          const r = JSON.parse(line) as { m: TelemetryPoint['measurement']; t: Record<string, string>; f: TelemetryPoint['fields']; ns: string; r: number };
          recovered.push({ point: { measurement: r.m, tags: r.t, fields: r.f, timeNs: r.ns }, receivedMs: r.r, segment: seg });
          seg.appended++;
        } catch {
          spool.stats.corruptLines++;
        }
      }
      spool.segments.set(id, seg);
      spool.totalBytes += seg.bytes;
      spool.nextId = id + 1;
      spool.maybeDelete(seg);
    }
    spool.updateStats();
    if (spool.policy === 'interval') {
      spool.fsyncTimer = setInterval(() => spool.sync(), opts.fsyncIntervalMs ?? 200);
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
   * Appends points durably (per the fsync policy) and returns their entries. Synchronous
   * on purpose: when it returns, the caller may ack the MQTT message.
   */
  append(points: readonly TelemetryPoint[], receivedMs: number): SpoolEntry[] {
    let text = '';
    for (const p of points) text += JSON.stringify({ m: p.measurement, t: p.tags, f: p.fields, ns: p.timeNs, r: receivedMs }) + '\n';
    const buf = Buffer.from(text, 'utf8');
    let seg = this.current;
    if (!seg || seg.bytes + buf.length > this.segmentBytes) seg = this.rotate();
    let off = 0;
    while (off < buf.length) off += writeSync(seg.fd!, buf, off, buf.length - off);
    seg.bytes += buf.length;
    seg.appended += points.length;
    this.totalBytes += buf.length;
    if (this.policy === 'always') {
      fsyncSync(seg.fd!);
      this.stats.fsyncs++;
    } else {
      this.dirty = true;
    }
    return points.map((point) => ({ point, receivedMs, segment: seg }));
  }

  /** Marks entries as stored; deletes segments that are closed and fully confirmed. */
  confirm(entries: readonly SpoolEntry[]): void {
    const touched = new Set<Segment>();
    for (const e of entries) {
      e.segment.confirmed++;
      touched.add(e.segment);
    }
    for (const s of touched) this.maybeDelete(s);
    this.updateStats();
  }

  /** fsync the open segment if anything was written since the last sync. */
  sync(): void {
    if (!this.dirty || this.current?.fd === undefined) return;
    fsyncSync(this.current.fd);
    this.dirty = false;
    this.stats.fsyncs++;
  }

  close(): void {
    if (this.fsyncTimer) clearInterval(this.fsyncTimer);
    this.fsyncTimer = undefined;
    const cur = this.current;
    this.sync();
    if (cur?.fd !== undefined) closeSync(cur.fd);
    if (cur) cur.fd = undefined;
    this.current = undefined;
    if (cur) this.maybeDelete(cur);
  }

  private rotate(): Segment {
    const old = this.current;
    if (old?.fd !== undefined) {
      this.sync();
      closeSync(old.fd);
      old.fd = undefined;
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
    unlinkSync(seg.path);
    this.segments.delete(seg.id);
    this.totalBytes -= seg.bytes;
  }

  private updateStats(): void {
    this.stats.bytes = this.totalBytes;
    this.stats.segments = this.segments.size;
  }
}
