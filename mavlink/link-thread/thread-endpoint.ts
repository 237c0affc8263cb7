import type { Duplex } from 'node:stream';
import { openGroundStream, parseEndpoint } from '../endpoint.ts';
import { PeerPinning } from '../peer-pinning.ts';
import { UdpDuplex } from '../transports/udp.ts';
import { GcsHeartbeatFrames } from './gcs-heartbeat.ts';
import { HeartbeatStamper } from './heard-stamps.ts';
import type { ThreadEndpointSpec, ThreadReject } from './messages.ts';

/** Where an endpoint in the link thread hands what it hears. */
export interface EndpointSink {
  rx(id: number, chunk: Buffer): void;
  reject(r: ThreadReject): void;
  log(line: string): void;
  /** The transport ended by itself (not by close()). */
  ended(id: number, message: string): void;
}

/**
 * One endpoint inside the link thread: the socket, the `udp://`/`udpout://` peer pinning
 * as its gate (so refused datagrams never cross to the main thread), the heard stamps, and
 * the GCS heartbeat on its own timer.
 */
export class ThreadEndpoint {
  private readonly heartbeatTimer: NodeJS.Timeout | undefined;
  private readonly stamper: HeartbeatStamper;
  private closing = false;

  private constructor(
    readonly id: number,
    private readonly stream: Duplex,
    spec: ThreadEndpointSpec,
    sink: EndpointSink,
  ) {
    const keys = new Map(spec.systems.map((s) => [s.systemId, s.key] as const));
    if (stream instanceof UdpDuplex) {
      stream.setGate(
        new PeerPinning({
          systems: new Map(spec.systems.map((s) => [s.systemId, s.key ? { key: Buffer.from(s.key) } : {}])),
          ...(stream.remote ? { fixedPeer: stream.remote } : {}),
          ...(spec.repinAfterSilenceMs !== undefined ? { repinAfterSilenceMs: spec.repinAfterSilenceMs } : {}),
          onReject: (reason, sysid, source, detail) => sink.reject({ id, reason, sysid, source, detail }),
          onPin: (sysid, peer, previous) => sink.log(`MAVLink ${spec.url}: system ${sysid} ${previous ? `moved from ${previous} to` : 'pinned to'} ${peer}`),
        }),
      );
    }
    this.stamper = new HeartbeatStamper(spec.stamps, {
      systems: keys,
      autopilotComponentId: spec.autopilotComponentId,
      framing: stream instanceof UdpDuplex ? 'datagram' : 'stream',
    });
    stream.on('data', (chunk: Buffer) => {
      this.stamper.take(chunk);
      sink.rx(id, chunk);
    });
    stream.on('error', (err) => {
      if (!this.closing) sink.ended(id, err.message);
    });
    stream.on('close', () => {
      if (this.closing) return;
      this.closing = true;
      clearInterval(this.heartbeatTimer);
      sink.ended(id, 'the transport closed');
    });
    if (spec.heartbeat) {
      const frames = new GcsHeartbeatFrames(spec.heartbeat);
      const beat = () => {
        const list = frames.next();
        for (const f of list) stream.write(f);
        this.stamper.noteHeartbeatSent(list.length);
      };
      beat();
      this.heartbeatTimer = setInterval(beat, spec.heartbeat.intervalMs);
    }
  }

  static async open(id: number, spec: ThreadEndpointSpec, sink: EndpointSink): Promise<ThreadEndpoint> {
    const stream = await openGroundStream(parseEndpoint(spec.url));
    return new ThreadEndpoint(id, stream, spec, sink);
  }

  write(chunk: Buffer): void {
    if (!this.closing) this.stream.write(chunk);
  }

  /** Closes the socket; resolves once it is released, so the port can be bound again. */
  close(): Promise<void> {
    this.closing = true;
    clearInterval(this.heartbeatTimer);
    if (this.stream.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.stream.once('close', () => resolve());
      this.stream.destroy();
    });
  }
}
