import { connect, type Socket } from 'node:net';

/**
 * A deliberately misbehaving MQTT client: it logs in properly, then writes pre-encoded
 * QoS 0 PUBLISH packets as fast as TCP accepts them (no pacing, no acks to wait for).
 * Hand-encoded so the generator costs almost nothing and the load lands on the broker.
 */

export function remainingLength(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    bytes.push(b);
  } while (n > 0);
  return Buffer.from(bytes);
}

export function str(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

export function encodeConnect(clientId: string, username: string, password: string, keepaliveS = 60): Buffer {
  const keepalive = Buffer.alloc(2);
  keepalive.writeUInt16BE(keepaliveS);
  // MQTT 3.1.1 [MQTT-3.1.2]: "MQTT", level 4, flags username|password|clean session.
  const body = Buffer.concat([str('MQTT'), Buffer.from([4, 0xc2]), keepalive, str(clientId), str(username), str(password)]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

export function encodePublishQos0(topic: string, payload: Buffer | string): Buffer {
  const body = Buffer.concat([str(topic), Buffer.from(payload)]);
  return Buffer.concat([Buffer.from([0x30]), remainingLength(body.length), body]);
}

/** A QoS 1 PUBLISH with packet identifier `packetId` (the broker answers PUBACK 40 02 id). */
export function encodePublishQos1(topic: string, payload: Buffer | string, packetId: number, retain = false): Buffer {
  const id = Buffer.alloc(2);
  id.writeUInt16BE(packetId);
  const body = Buffer.concat([str(topic), id, Buffer.from(payload)]);
  return Buffer.concat([Buffer.from([0x32 | (retain ? 1 : 0)]), remainingLength(body.length), body]);
}

export interface RawFlood {
  /** Stops writing and closes the socket; returns how many packets were handed to TCP. */
  stop(): Promise<{ packetsWritten: number }>;
  socket: Socket;
}

/** Connects, checks CONNACK, then floods `packet` (repeated `batch` times per write) until stopped. */
export async function startRawFlood(opts: {
  port: number;
  host?: string;
  clientId: string;
  username: string;
  password: string;
  packet: Buffer;
  batch?: number;
}): Promise<RawFlood> {
  const socket = connect(opts.port, opts.host ?? '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(encodeConnect(opts.clientId, opts.username, opts.password));
  const connack = await new Promise<Buffer>((resolve, reject) => {
    socket.once('data', resolve);
    socket.once('close', () => reject(new Error('closed before CONNACK')));
  });
  if (connack[0] !== 0x20 || connack[3] !== 0) throw new Error(`CONNACK refused: ${connack.toString('hex')}`);
  socket.on('error', () => undefined); // the broker may cut us off; that is a valid outcome
  socket.on('data', () => undefined); // nothing should come, but never let the buffer stall

  const batch = opts.batch ?? 256;
  const chunk = Buffer.concat(Array.from({ length: batch }, () => opts.packet));
  let packetsWritten = 0;
  let stopped = false;
  const pump = () => {
    // Write until TCP pushes back, then wait for 'drain'; yield to the loop now and then.
    for (let i = 0; i < 64 && !stopped && !socket.destroyed; i++) {
      packetsWritten += batch;
      if (!socket.write(chunk)) return void socket.once('drain', pump);
    }
    if (!stopped && !socket.destroyed) setImmediate(pump);
  };
  pump();
  return {
    socket,
    stop: async () => {
      stopped = true;
      if (!socket.destroyed) {
        const closed = new Promise((r) => socket.once('close', r));
        socket.destroy();
        await closed;
      }
      return { packetsWritten };
    },
  };
}

/** One raw connection for conformance tests: what the broker sent and whether it closed. */
export interface RawSession {
  socket: Socket;
  /** Every byte the broker sent so far. */
  received(): Buffer;
  /** Resolves once the received bytes satisfy `match`; rejects if the socket closes first or after `timeoutMs`. */
  waitFor(match: (received: Buffer) => boolean, timeoutMs?: number): Promise<Buffer>;
  /** Resolves true once the broker closed the connection, false if it is still open after `timeoutMs`. */
  closedWithin(timeoutMs: number): Promise<boolean>;
  isClosed(): boolean;
  close(): void;
}

export async function openRawSession(port: number, host = '127.0.0.1'): Promise<RawSession> {
  const socket = connect(port, host);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let buf = Buffer.alloc(0);
  let closed = false;
  const waiters = new Set<() => void>();
  const poke = () => {
    for (const w of waiters) w();
  };
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    poke();
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    closed = true;
    poke();
  });
  return {
    socket,
    received: () => buf,
    isClosed: () => closed,
    waitFor: (match, timeoutMs = 5_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (match(buf)) return done(() => resolve(buf));
          if (closed) return done(() => reject(new Error(`closed; received ${buf.toString('hex') || 'nothing'}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`timed out; received ${buf.toString('hex') || 'nothing'}`))), timeoutMs);
        const done = (f: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      }),
    closedWithin: (timeoutMs) =>
      new Promise((resolve) => {
        if (closed) return resolve(true);
        const check = () => {
          if (!closed) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(true);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          resolve(false);
        }, timeoutMs);
        waiters.add(check);
      }),
    close: () => socket.destroy(),
  };
}
