import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Duplex } from 'node:stream';

export interface UdpPeer {
  host: string;
  port: number;
}

/**
 * Decides, datagram by datagram, what reaches the MAVLink parser and whom we send to: the
 * peer pinning of `udp://` (mavlink/peer-pinning.ts). Without one, a listening UdpDuplex
 * answers whoever spoke, which is right for a simulated vehicle and wrong for a ground
 * station.
 */
export interface DatagramGate {
  /** The bytes of `datagram` to pass on (all, some frames, or none). */
  admit(datagram: Buffer, from: UdpPeer): Buffer | undefined;
  /** Where our datagrams go. */
  targets(): readonly UdpPeer[];
}

export interface UdpDuplexOptions {
  /** Local port to bind (0 for any). */
  bindPort: number;
  bindHost?: string;
  /** Fixed peer (`udpout://`): we send only there and drop datagrams from anywhere else. */
  remote?: UdpPeer;
  /** Peers not heard from for this long stop receiving our datagrams. */
  peerTimeoutMs?: number;
}

/**
 * UDP as a Duplex for MAVLink. Each datagram holds whole frames, so the splitter sees
 * the same bytes it would on a serial line. Without a fixed remote, writes go to every
 * peer heard from recently, the way mavlink-router and ArduPilot's UDP outputs behave:
 * one listening port can serve many vehicles; a ground station narrows that with a gate.
 */
export class UdpDuplex extends Duplex {
  readonly socket: Socket;
  /** Datagrams dropped because they came from somewhere other than the fixed remote (no gate to attribute them). */
  foreignDatagrams = 0;
  private readonly peers = new Map<string, { host: string; port: number; lastHeardMs: number }>();
  private readonly peerTimeoutMs: number;
  private gate: DatagramGate | undefined;

  private constructor(private readonly opts: UdpDuplexOptions) {
    super({ allowHalfOpen: false });
    this.peerTimeoutMs = opts.peerTimeoutMs ?? 10_000;
    this.socket = createSocket({ type: 'udp4', reuseAddr: false });
    this.socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => this.onDatagram(msg, rinfo));
    this.socket.on('error', (err) => this.destroy(err));
  }

  static async open(opts: UdpDuplexOptions): Promise<UdpDuplex> {
    // The fixed remote is compared with each datagram's source address, which is numeric.
    const remote = opts.remote && isIP(opts.remote.host) === 0 ? { host: (await lookup(opts.remote.host, { family: 4 })).address, port: opts.remote.port } : opts.remote;
    const d = new UdpDuplex({ ...opts, ...(remote ? { remote } : {}) });
    await new Promise<void>((resolve, reject) => {
      // A bind error (port in use) reaches the duplex through the socket's error handler;
      // it is the caller's, as this rejection, not an uncaught 'error' event.
      d.once('error', reject);
      d.socket.bind(opts.bindPort, opts.bindHost ?? '127.0.0.1', () => {
        d.off('error', reject);
        resolve();
      });
    });
    return d;
  }

  /** The fixed remote, resolved to an address (undefined when listening). */
  get remote(): UdpPeer | undefined {
    return this.opts.remote;
  }

  /** Installs the gate that decides what is let in and where writes go (replacing any before). */
  setGate(gate: DatagramGate): void {
    this.gate = gate;
  }

  private onDatagram(msg: Buffer, rinfo: RemoteInfo): void {
    const from = { host: rinfo.address, port: rinfo.port };
    if (this.gate) {
      const pass = this.gate.admit(msg, from);
      if (pass && pass.length > 0) this.push(pass);
      return;
    }
    const r = this.opts.remote;
    if (r) {
      if (from.host !== r.host || from.port !== r.port) {
        this.foreignDatagrams++;
        return;
      }
    } else {
      this.peers.set(`${rinfo.address}:${rinfo.port}`, { ...from, lastHeardMs: Date.now() });
    }
    this.push(msg);
  }

  get localPort(): number {
    return this.socket.address().port;
  }

  override _read(): void {
    // Datagrams are pushed as they arrive; UDP has no flow control to apply.
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const targets = this.gate ? this.gate.targets() : this.opts.remote ? [this.opts.remote] : this.livePeers();
    if (targets.length === 0) return cb(); // nobody to talk to yet: drop, as UDP would
    let pending = targets.length;
    for (const t of targets) {
      this.socket.send(chunk, t.port, t.host, () => {
        if (--pending === 0) cb();
      });
    }
  }

  private livePeers(): UdpPeer[] {
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
