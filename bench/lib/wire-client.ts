import { connect, type Socket } from 'node:net';
import { encodeConnect, remainingLength, str } from '../../tests/broker/raw-mqtt.ts';

/**
 * A minimal MQTT 3.1.1 client for load generation: pre-encoded packets, a tiny
 * streaming parser, no per-message objects. mqtt.js would spend more CPU than the
 * brokers under test, and the generator must not be the bottleneck.
 */
export class WireClient {
  private buf: Buffer = Buffer.alloc(0);
  private waiters = new Map<number, (b: Buffer) => void>(); // packet type → one-shot
  onPublish: (topic: string, payload: Buffer) => void = () => undefined;
  onPuback: () => void = () => undefined;
  received = 0;
  pubacks = 0;

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.parse(d));
    socket.on('error', () => undefined);
  }

  static async connect(port: number, clientId: string, username?: string, password?: string): Promise<WireClient> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const c = new WireClient(socket);
    const connack = c.wait(0x20);
    socket.write(username !== undefined ? encodeConnect(clientId, username, password ?? '') : encodeAnonymousConnect(clientId));
    const timer = setTimeout(() => socket.destroy(new Error(`no CONNACK for ${clientId} within 5 s`)), 5_000);
    const ack = await Promise.race([
      connack,
      new Promise<never>((_, reject) => socket.once('close', () => reject(new Error(`connection closed before CONNACK for ${clientId}`)))),
    ]).finally(() => clearTimeout(timer));
    if (ack[1] !== 0) throw new Error(`CONNACK refused (${ack[1]}) for ${clientId}`);
    return c;
  }

  private wait(type: number): Promise<Buffer> {
    return new Promise((resolve) => this.waiters.set(type, resolve));
  }

  async subscribe(filter: string, qos: 0 | 1): Promise<number> {
    const body = Buffer.concat([Buffer.from([0, 1]), str(filter), Buffer.from([qos])]);
    const suback = this.wait(0x90);
    this.socket.write(Buffer.concat([Buffer.from([0x82]), remainingLength(body.length), body]));
    return (await suback)[2]!;
  }

  write(b: Buffer): boolean {
    return this.socket.write(b);
  }

  close(): void {
    this.socket.destroy();
  }

  private parse(d: Buffer): void {
    const buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    let off = 0;
    for (;;) {
      if (buf.length - off < 2) break;
      let len = 0;
      let mul = 1;
      let i = off + 1;
      let complete = false;
      for (; i < buf.length && i < off + 5; i++) {
        const b = buf[i]!;
        len += (b & 0x7f) * mul;
        mul *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete) break;
      const start = i + 1;
      const end = start + len;
      if (end > buf.length) break;
      const type = buf[off]! & 0xf0;
      const flags = buf[off]! & 0x0f;
      if (type === 0x30) this.handlePublish(buf, start, end, (flags >> 1) & 3);
      else if (type === 0x40) {
        this.pubacks++;
        this.onPuback();
      } else {
        const w = this.waiters.get(type);
        if (w) {
          this.waiters.delete(type);
          w(buf.subarray(start, end));
        }
      }
      off = end;
    }
    this.buf = off < buf.length ? Buffer.from(buf.subarray(off)) : Buffer.alloc(0);
  }

  private handlePublish(buf: Buffer, start: number, end: number, qos: number): void {
    const tlen = buf.readUInt16BE(start);
    let p = start + 2 + tlen;
    if (qos > 0) {
      const id = buf.readUInt16BE(p);
      p += 2;
      this.socket.write(Buffer.from([0x40, 2, id >> 8, id & 0xff]));
    }
    this.received++;
    this.onPublish(buf.toString('utf8', start + 2, start + 2 + tlen), buf.subarray(p, end));
  }
}

function encodeAnonymousConnect(clientId: string): Buffer {
  const body = Buffer.concat([str('MQTT'), Buffer.from([4, 0x02, 0, 60]), str(clientId)]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

/** A PUBLISH packet; for QoS 1 the packet id sits at `idOffset` so callers can patch it per message. */
export function encodePublish(topic: string, payload: string | Buffer, qos: 0 | 1): { packet: Buffer; idOffset: number } {
  const t = str(topic);
  const id = qos ? Buffer.from([0, 1]) : Buffer.alloc(0);
  const body = Buffer.concat([t, id, Buffer.from(payload)]);
  const header = Buffer.concat([Buffer.from([0x30 | (qos << 1)]), remainingLength(body.length)]);
  return { packet: Buffer.concat([header, body]), idOffset: header.length + t.length };
}
