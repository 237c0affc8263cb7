import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
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

/** MQTT over TCP: each accepted socket goes straight to the broker core. */
export async function listenTcp(broker: RingwatchBroker, host: string, port: number): Promise<Listener> {
  const sockets = new Set<import('node:net').Socket>();
  // noDelay: commands and acks are small and latency-sensitive; do not wait for Nagle.
  const server = createTcpServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    adaptSocketWrites(socket, { hardLimitBytes: broker.limits.maxSubscriberQueueBytes, stallMs: broker.limits.subscriberStallMs });
    broker.handle(socket);
  });
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

/** MQTT over WebSocket (subprotocol "mqtt"), for browsers: the socket is wrapped in a stream for the core. */
export async function listenWebSocket(broker: RingwatchBroker, host: string, port: number): Promise<Listener> {
  const http = createHttpServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only\n');
  });
  const wss = new WebSocketServer({
    server: http,
    // Browsers offer "mqtt" (MQTT 3.1.1/5) or "mqttv3.1"; accept those only.
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
