import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { TlsFiles } from './tls-files.ts';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { adaptSocketWrites } from './socket-writes.ts';
import type { RingwatchBroker } from './create-broker.ts';

/** A listening transport: where it listens and how to stop it. */
export interface Listener {
  port: number;
  close(): Promise<void>;
}

function listen(server: TcpServer | HttpServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: TcpServer | HttpServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * MQTT over TCP, or over TLS (mqtts) when `tls` is given: each accepted socket goes
 * straight to the broker core.
 */
export async function listenTcp(broker: RingwatchBroker, host: string, port: number, tls?: TlsFiles): Promise<Listener> {
  const sockets = new Set<Socket>();
  const accept = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    adaptSocketWrites(socket, { hardLimitBytes: broker.limits.maxSubscriberQueueBytes, stallMs: broker.limits.subscriberStallMs });
    broker.handle(socket);
  };
  // noDelay: commands and acks are small and latency-sensitive; do not wait for Nagle.
  const server = tls
    ? createTlsServer({ ...tls, noDelay: true, handshakeTimeout: 10_000 }, (socket: TLSSocket) => {
        // A failed handshake never reaches this callback; errors after it are the client's.
        socket.on('error', () => socket.destroy());
        accept(socket);
      })
    : createTcpServer({ noDelay: true }, accept);
  const bound = await listen(server, host, port);
  return {
    port: bound,
    close: async () => {
      const closed = closeServer(server);
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

/** The WebSocket subprotocols MQTT defines: "mqtt" (3.1.1 and 5), "mqttv3.1" (3.1). */
const MQTT_SUBPROTOCOLS = ['mqtt', 'mqttv3.1'] as const;

/** True when the upgrade request offers an MQTT subprotocol [MQTT-6.0.0-3]. */
export function offersMqttSubprotocol(req: IncomingMessage): boolean {
  const header = req.headers['sec-websocket-protocol'];
  if (typeof header !== 'string') return false;
  return header.split(',').some((p) => (MQTT_SUBPROTOCOLS as readonly string[]).includes(p.trim()));
}

/**
 * MQTT over WebSocket (subprotocol "mqtt"), for browsers, or over TLS (wss) when `tls`
 * is given: the socket is wrapped in a stream for the core.
 */
export async function listenWebSocket(broker: RingwatchBroker, host: string, port: number, tls?: TlsFiles): Promise<Listener> {
  const notWebSocket = (_req: IncomingMessage, res: import('node:http').ServerResponse) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only\n');
  };
  const http = tls ? createHttpsServer({ ...tls }, notWebSocket) : createHttpServer(notWebSocket);
  // Slow or silent upgrade requests must not hold sockets open.
  http.headersTimeout = 10_000;
  http.requestTimeout = 10_000;
  const wss = new WebSocketServer({
    server: http,
    // ws calls handleProtocols only when the client offers some subprotocol, so an upgrade
    // offering none would be accepted: refuse it here, before the upgrade [MQTT-6.0.0-3].
    verifyClient: (info, done) => (offersMqttSubprotocol(info.req) ? done(true) : done(false, 400, 'MQTT over WebSocket requires the "mqtt" subprotocol')),
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false),
    maxPayload: 1024 * 1024,
  });
  wss.on('connection', (ws, req) => {
    const stream = createWebSocketStream(ws);
    stream.on('error', () => ws.terminate());
    broker.handle(stream, req);
  });
  const bound = await listen(http, host, port);
  return {
    port: bound,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await closeServer(http);
    },
  };
}
