import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export { findFreePort as freePort } from '../../util/free-port.ts';
import { findFreePort as freePort } from '../../util/free-port.ts';

/** Debian's Mosquitto on a free 127.0.0.1 port, anonymous, no persistence; waits until it listens. */
export async function startMosquitto(): Promise<{ port: number; child: ChildProcess; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ringwatch-mosq-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  await writeFile(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stderr', 'log_type error', ''].join('\n'));
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
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
