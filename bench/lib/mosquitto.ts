import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export { findFreePort as freePort } from '../../util/free-port.ts';
import { findFreePort as freePort } from '../../util/free-port.ts';
import { stopChild } from '../../util/stop-child.ts';

/**
 * The reference broker configured as a user who needs zero loss would run it. Mosquitto's
 * defaults (20 QoS 1/2 messages in flight per client, 1,000 more queued) drop QoS 1
 * messages to a subscriber that falls a few milliseconds behind a 10–15k msg/s stream;
 * aedes has neither limit, so comparing against the defaults would compare loss
 * policies, not brokers. 0 = no in-flight maximum (the 16-bit packet id is the bound, as
 * for aedes); a million queued messages per client is far above any benchmark step's
 * backlog yet still a bound, as the Mosquitto manual advises. TCP_NODELAY as our broker
 * sets it: with Nagle's algorithm on (Mosquitto's default), a QoS 0 stream to an
 * otherwise silent subscriber waits on its delayed ACKs, which put Mosquitto's QoS 0 p99
 * at 36–41 ms in bench:broker (2026-11-30) — a socket option, not the broker's speed.
 */
export const MOSQUITTO_ZERO_LOSS_CONF = ['max_inflight_messages 0', 'max_queued_messages 1000000', 'set_tcp_nodelay true'] as const;

/** Debian's Mosquitto on a free 127.0.0.1 port, anonymous, no persistence, zero-loss limits; waits until it listens. */
export async function startMosquitto(extraConf: readonly string[] = MOSQUITTO_ZERO_LOSS_CONF): Promise<{ port: number; child: ChildProcess; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ringwatch-mosq-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  await writeFile(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stderr', 'log_type error', ...extraConf, ''].join('\n'));
  const bin = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p)) ?? 'mosquitto';
  const child = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  // Mosquitto prints nothing on success at log_type error: poll the port instead.
  const { connect } = await import('node:net');
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited: ${err}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    if (i > 100) throw new Error('mosquitto did not start listening');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    child,
    close: async () => {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
