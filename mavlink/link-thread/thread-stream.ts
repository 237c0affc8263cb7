import { Duplex } from 'node:stream';
import type { RejectReason } from '../link.ts';
import { HeardStampsReader } from './heard-stamps.ts';

/** What a ThreadStream needs of the thread that carries it. */
export interface ThreadCarrier {
  enqueueTx(id: number, chunk: Buffer): void;
  release(id: number): void;
}

export type RefusalListener = (reason: RejectReason, sysid: number, source: string, detail: string) => void;

/**
 * The main thread's end of one endpoint in the link thread, as a Duplex: a MavlinkLink
 * reads and writes it as it would a socket. The socket, its peer-pinning gate and the GCS
 * heartbeat live in the thread; what the gate refused arrives here as refusals for the
 * link's counters, and when the thread last heard each system as stamps (heardAtMs).
 */
export class ThreadStream extends Duplex {
  private readonly stamps: HeardStampsReader;
  private readonly refusalListeners: RefusalListener[] = [];
  private readonly logListeners: ((line: string) => void)[] = [];

  constructor(
    readonly id: number,
    readonly url: string,
    private readonly carrier: ThreadCarrier,
    stamps: SharedArrayBuffer,
    /** The thread sends the GCS heartbeat on this endpoint; the link on top must not. */
    readonly sendsHeartbeats: boolean,
  ) {
    super({ allowHalfOpen: false });
    this.stamps = new HeardStampsReader(stamps);
  }

  /** Wall-clock ms when the thread last took in a good autopilot heartbeat from `sysid`. */
  heardAtMs(sysid: number): number | undefined {
    return this.stamps.heardAtMs(sysid);
  }

  /** GCS heartbeat frames the thread has sent on this endpoint. */
  get heartbeatsSent(): number {
    return this.stamps.heartbeatsSent;
  }

  onRefused(fn: RefusalListener): void {
    this.refusalListeners.push(fn);
  }

  onLog(fn: (line: string) => void): void {
    this.logListeners.push(fn);
  }

  /** @internal The thread's bytes for this endpoint. */
  deliver(chunk: Buffer): void {
    if (!this.destroyed) this.push(chunk);
  }

  /** @internal A frame the thread's gate refused. */
  refused(reason: RejectReason, sysid: number, source: string, detail: string): void {
    for (const fn of this.refusalListeners) fn(reason, sysid, source, detail);
  }

  /** @internal A line the thread logged about this endpoint. */
  logged(line: string): void {
    for (const fn of this.logListeners) fn(line);
  }

  override _read(): void {
    // The thread pushes as bytes arrive; UDP has no flow control to apply, nor does the hop.
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.carrier.enqueueTx(this.id, chunk);
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.carrier.release(this.id);
    cb(err);
  }
}
