import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { Duplex } from 'node:stream';

export interface UdpDuplexOptions {
  /** Local port to bind (0 for any). */
  bindPort: number;
  bindHost?: string;
  /** Fixed peer to send to (`udpout://`); without it we answer whoever spoke last. */
  remote?: { host: string; port: number };
  /** Peers not heard from for this long stop receiving our datagrams. */
  peerTimeoutMs?: number;
}

/**
 * UDP as a Duplex for MAVLink. Each datagram holds whole frames, so the splitter sees
 * the same bytes it would on a serial line. Without a fixed remote, writes go to every
 * peer heard from recently, the way mavlink-router and ArduPilot's UDP outputs behave:
 * one ground station listening port can serve many vehicles.
 */
export class UdpDuplex extends Duplex {
  readonly socket: Socket;
  private readonly peers = new Map<string, { host: string; port: number; lastHeardMs: number }>();
  private readonly peerTimeoutMs: number;

  private constructor(private readonly opts: UdpDuplexOptions) {
    super({ allowHalfOpen: false });
    this.peerTimeoutMs = opts.peerTimeoutMs ?? 10_000;
    this.socket = createSocket({ type: 'udp4', reuseAddr: false });
    this.socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
      this.peers.set(`${rinfo.address}:${rinfo.port}`, { host: rinfo.address, port: rinfo.port, lastHeardMs: Date.now() });
      this.push(msg);
    });
    this.socket.on('error', (err) => this.destroy(err));
  }

  static async open(opts: UdpDuplexOptions): Promise<UdpDuplex> {
    const d = new UdpDuplex(opts);
    await new Promise<void>((resolve, reject) => {
      d.socket.once('error', reject);
      d.socket.bind(opts.bindPort, opts.bindHost ?? '127.0.0.1', () => {
        d.socket.off('error', reject);
        resolve();
      });
    });
    return d;
  }

  get localPort(): number {
    return this.socket.address().port;
  }

  override _read(): void {
    // Datagrams are pushed as they arrive; UDP has no flow control to apply.
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const targets = this.opts.remote ? [this.opts.remote] : this.livePeers();
    if (targets.length === 0) return cb(); // nobody to talk to yet: drop, as UDP would
    let pending = targets.length;
    for (const t of targets) {
      this.socket.send(chunk, t.port, t.host, () => {
        if (--pending === 0) cb();
      });
    }
  }

  private livePeers(): { host: string; port: number }[] {
    const cutoff = Date.now() - this.peerTimeoutMs;
    const live = [];
    for (const [key, p] of this.peers) {
      if (p.lastHeardMs < cutoff) this.peers.delete(key);
      else live.push(p);
    }
    return live;
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    try {
      this.socket.close();
    } catch {
      // already closed
    }
    cb(err);
  }
}
