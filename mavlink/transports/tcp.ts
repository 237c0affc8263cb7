import { connect, type Socket } from 'node:net';
import { Duplex } from 'node:stream';

export interface TcpClientOptions {
  host: string;
  port: number;
  /** Delay before reconnecting after the connection drops. */
  reconnectDelayMs?: number;
}

/**
 * A TCP client as one long-lived Duplex that reconnects underneath (ArduPilot SITL's
 * tcp:5760 drops us when it restarts). Writes while disconnected are dropped, like a
 * radio out of range: MAVLink's own retries cover what matters.
 */
export class ReconnectingTcpDuplex extends Duplex {
  private socket: Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  connected = false;

  constructor(private readonly opts: TcpClientOptions) {
    super({ allowHalfOpen: false });
    this.dial();
  }

  private dial(): void {
    if (this.stopped) return;
    const s = connect({ host: this.opts.host, port: this.opts.port });
    this.socket = s;
    s.setNoDelay(true);
    s.on('connect', () => {
      this.connected = true;
      this.emit('connected');
    });
    s.on('data', (chunk: Buffer) => this.push(chunk));
    s.on('error', () => {
      // 'close' follows and schedules the redial; errors here are the normal life of a link.
    });
    s.on('close', () => {
      const was = this.connected;
      this.connected = false;
      if (was) this.emit('disconnected');
      if (!this.stopped) this.timer = setTimeout(() => this.dial(), this.opts.reconnectDelayMs ?? 1000);
    });
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.connected && this.socket) this.socket.write(chunk, () => cb());
    else cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.destroy();
    cb(err);
  }
}
