import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { SystemOptions } from '../../system/start-system.ts';
import { demoSite } from '../helpers/broker.ts';
import { until as waitUntil } from '../helpers/wait.ts';

/**
 * `ringwatch up` in-process on the demo site: every port 0 on loopback, data under `dir`,
 * the store at `storeUrl` (a port nothing listens on stands for InfluxDB being away).
 */
export function demoSystemOptions(dir: string, storeUrl: string): SystemOptions {
  const { site, secrets } = demoSite();
  return {
    site,
    secrets,
    dataDir: join(dir, 'data'),
    host: '127.0.0.1',
    mqttPort: 0,
    wsPort: 0,
    httpPort: 0,
    store: { backend: 'v1', url: storeUrl },
    logger: pino({ level: process.env['RINGWATCH_TEST_LOG'] ?? 'silent' }),
  };
}

/** A `ringwatch` command run as its own process, as an operator runs it. */
export interface CliProcess {
  proc: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the first match of `re` in the output; rejects on exit or after `timeoutMs`. */
  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** Sends `signal` and resolves with the exit code and how long the exit took; SIGKILL after `timeoutMs`. */
  stop(signal: NodeJS.Signals, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; tookMs: number; killed: boolean }>;
}

/**
 * `nodeFlags` go before the script: `ringwatch broker` re-executes itself with
 * --max-semi-space-size=32 unless it already has it, and a drill that kills "the broker
 * process" must hold the process that serves, not a parent that forwards signals.
 */
export function runCli(args: string[], o: { nodeFlags?: string[] } = {}): CliProcess {
  const proc = spawn(process.execPath, [...(o.nodeFlags ?? []), 'bin/ringwatch.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (b: Buffer) => {
    out += b.toString();
    for (const l of listeners) l();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  return {
    proc,
    output: () => out,
    waitFor(re, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = re.exec(out);
          if (!m) return;
          done();
          resolve(m);
        };
        const t = setTimeout(() => {
          done();
          reject(new Error(`no ${re} within ${timeoutMs} ms; output:\n${out.slice(-3000)}`));
        }, timeoutMs);
        const onExit = () => {
          done();
          reject(new Error(`exited (${proc.exitCode ?? proc.signalCode}) before ${re}; output:\n${out.slice(-3000)}`));
        };
        const done = () => {
          clearTimeout(t);
          listeners.delete(check);
          proc.off('exit', onExit);
        };
        listeners.add(check);
        proc.once('exit', onExit);
        check();
      });
    },
    async stop(signal, timeoutMs) {
      if (proc.exitCode !== null || proc.signalCode !== null) return { ...(await exited), tookMs: 0, killed: false };
      const t0 = performance.now();
      proc.kill(signal);
      let killed = false;
      const t = setTimeout(() => {
        killed = true;
        proc.kill('SIGKILL');
      }, timeoutMs);
      const r = await exited;
      clearTimeout(t);
      return { ...r, tookMs: Math.round(performance.now() - t0), killed };
    },
  };
}

/** Polls `cond` (no event exists for "InfluxDB has it" or "the health changed"), bounded. */
export function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  return waitUntil(cond, what, timeoutMs, 100);
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return (await res.json()) as T;
}

/** The telemetry /health fields the drills count with. */
export interface HealthRecord {
  status: 'ok' | 'degraded';
  reasons: string[];
  received: number;
  accepted: number;
  pointsWritten: number;
  shed: Record<string, number>;
  spoolBytes: number;
  spoolSegments: number;
  spool: { appendFailures: number; tornTails: number; corruptLines: number; shedding: { shed: number } | null };
  store: { reachable?: boolean; schemaReady: boolean };
  influxd?: { state: string; restarts: number; exits: number; pid?: number };
}

/**
 * A tmpfs of `size` (e.g. "2m") on a fresh directory: a tiny disk to fill. Needs root;
 * `error` says why not when mounting is not permitted, for the skip message.
 */
export function tinyFilesystem(size: string): { dir: string; error?: string; unmount(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'rw-drill-fs-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  if (process.getuid?.() !== 0) {
    cleanup();
    return { dir, error: 'not root: mount -t tmpfs needs root', unmount: () => undefined };
  }
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    cleanup();
    return { dir, error: `mount -t tmpfs not permitted: ${(r.stderr || r.error?.message || '').trim()}`, unmount: () => undefined };
  }
  return {
    dir,
    unmount() {
      // Lazy: a process killed by a failed drill may still hold a file open for a moment.
      spawnSync('umount', ['-l', dir]);
      cleanup();
    },
  };
}
