import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxV1Store } from '../../telemetry/store/v1.ts';
import { connectAs, startBroker, type TestBroker } from '../helpers/broker.ts';
import { startInflux, type TestInflux } from '../helpers/influx.ts';
import { publishStream, until } from './ingest-helpers.ts';

/** Start-up of the CLI under tsx on a busy 2-core machine. */
const CLI_START_TIMEOUT_MS = 20_000;
/** Two CLI start-ups plus the stream: more than the default 30 s on a loaded CI machine. */
const CLI_TEST_TIMEOUT_MS = 90_000;

interface Cli {
  proc: ChildProcess;
  health(): Promise<{ received: number; accepted: number; pointsWritten: number; recoveredPoints: number }>;
}

describe('ringwatch telemetry killed with SIGKILL mid-stream', () => {
  let broker: TestBroker;
  let influx: TestInflux;
  let dataDir: string;
  let publisher: MqttClient;
  const procs: ChildProcess[] = [];

  beforeAll(async () => {
    [broker, influx, dataDir] = await Promise.all([startBroker(), startInflux(), mkdtemp(join(tmpdir(), 'rw-cli-'))]);
    publisher = await connectAs(broker, 'control', { clientId: 'control:cli-crash' });
  });
  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await publisher?.endAsync(true);
    await broker?.close();
    await influx?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const startCli = async (): Promise<Cli> => {
    const proc = spawn(
      process.execPath,
      ['bin/ringwatch.js', 'telemetry', '--site', 'sites/demo.yaml', '--mqtt', broker.url, '--influx-url', influx.url, '--database', 'crash',
        '--data-dir', dataDir, '--client-id', `telemetry:crash-${process.pid}`, '--metrics-port', '0', '--log-level', 'warn'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    procs.push(proc);
    let err = '';
    proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const t = setTimeout(() => reject(new Error(`CLI did not start: ${out} ${err}`)), CLI_START_TIMEOUT_MS);
      proc.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /metrics on (\S+)/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(m[1]!.replace('/metrics', '/health'));
        }
      });
      proc.once('exit', (code) => reject(new Error(`CLI exited ${code}: ${err}`)));
    });
    return { proc, health: async () => (await (await fetch(url)).json()) as never };
  };

  it('keeps every message it acked (spooled, not yet written) and gets the rest from its session', { timeout: CLI_TEST_TIMEOUT_MS }, async () => {
    const base = Date.now() - 30 * 60_000;
    const N = 1000;
    const first = await startCli();
    await publishStream(publisher, 'drone-4', base, 0, 300);
    await until(async () => (await first.health()).pointsWritten >= 300, 'first part written');
    await influx.stop();
    await publishStream(publisher, 'drone-4', base, 300, 800);
    // Kill as soon as the service has *received* them: whatever it acked must be on disk.
    await until(async () => (await first.health()).received >= 800, 'outage part received');
    expect((await first.health()).pointsWritten).toBe(300);
    const exited = new Promise((r) => first.proc.once('exit', r));
    first.proc.kill('SIGKILL');
    await exited;
    await publishStream(publisher, 'drone-4', base, 800, N); // queued by the broker for the session
    await influx.start();
    const second = await startCli();
    const store = new InfluxV1Store({ url: influx.url, database: 'crash' });
    await until(async () => (await store.positions({ fromMs: base, toMs: base + N * 100 })).length >= N, 'every point after the restart');
    expect((await second.health()).recoveredPoints).toBeGreaterThanOrEqual(500);
    const rows = await store.positions({ fromMs: base, toMs: base + N * 100 });
    expect(rows.map((r) => r.tsMs)).toEqual(Array.from({ length: N }, (_, i) => base + i * 100));
    const exit2 = new Promise<number | null>((r) => second.proc.once('exit', (code) => r(code)));
    second.proc.kill('SIGTERM');
    expect(await exit2).toBe(0);
  });
});
