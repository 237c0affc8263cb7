import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP relay on loopback that opens each upstream connection from one of several
 * loopback source addresses (127.0.0.2, .3, …) in turn. The broker caps connections per
 * source address (1,000 by default: sensors behind one cellular NAT); a simulator with
 * 2,000 sensors in one process would otherwise meet that cap, where in the field the
 * sensors arrive from many addresses. Linux routes all of 127/8 to lo, so no set-up is needed.
 */
export interface LoopbackRelay {
  url: string;
  connections: () => number;
  close: () => Promise<void>;
}

export async function startLoopbackRelay(upstreamPort: number, sourceAddresses = 4): Promise<LoopbackRelay> {
  let n = 0;
  const open = new Set<Socket>();
  const server = createServer((down) => {
    const up = connect({ host: '127.0.0.1', port: upstreamPort, localAddress: `127.0.0.${2 + (n++ % sourceAddresses)}` });
    for (const s of [down, up]) {
      open.add(s);
      s.once('close', () => open.delete(s));
      // One side's error or end closes the other, as a NAT does.
      s.on('error', () => (s === down ? up : down).destroy());
    }
    down.pipe(up);
    up.pipe(down);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    connections: () => open.size / 2,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
