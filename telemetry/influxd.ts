import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TelemetryError } from './errors.ts';
import { findFreePort } from '../util/free-port.ts';

export const DEFAULT_INFLUXD_BINARY = '/usr/bin/influxd';
/** Under the project's data directory, like the other services' state. */
export const DEFAULT_INFLUXD_DATA_DIR = 'data/influxdb';
/** influxd 1.6 opens its TSM shards before /ping answers; a cold start takes ~1 s here. */
export const INFLUXD_START_TIMEOUT_MS = 20_000;
export const INFLUXD_STOP_TIMEOUT_MS = 10_000;

export interface StartInfluxOptions {
  /** Where meta/, data/, wal/ and influxdb.conf live. Created if missing. Default `data/influxdb`. */
  dataDir?: string;
  /** HTTP port on 127.0.0.1; a free one is picked when absent or 0. */
  port?: number;
  /** RPC (backup/restore) port on 127.0.0.1; a free one is picked when absent or 0. */
  rpcPort?: number;
  binary?: string;
  startTimeoutMs?: number;
  /** Continuous-query run interval; tests shorten nothing here, 1 s is influxd's default. */
  cqRunInterval?: string;
  /**
   * Enable influxd's authentication with a generated admin user, kept in
   * `<dataDir>/admin-credentials.json` (0600): anyone on this host could otherwise
   * read and rewrite all telemetry, audit and ledger history through its HTTP port.
   */
  auth?: boolean;
}

/** The admin user of a managed influxd started with `auth`. */
export interface InfluxdCredentials {
  username: string;
  password: string;
}

export const INFLUXD_ADMIN_USER = 'ringwatch-admin';

/** A running (or stopped) local influxd. `stop`/`start` keep the same ports and data. */
export interface InfluxdHandle {
  url: string;
  port: number;
  dataDir: string;
  /** SIGTERM and wait for exit; data stays. */
  stop(): Promise<void>;
  /** Start again on the same port with the same data, wait for /ping. */
  start(): Promise<void>;
  /** Stop for good. */
  close(): Promise<void>;
  readonly running: boolean;
  /** Process id while running (for CPU accounting in benchmarks). */
  readonly pid: number | undefined;
  /** The admin credentials when started with `auth`. */
  credentials?: InfluxdCredentials;
  /**
   * Calls `listener` on every exit of the process; `expected` is true when `stop`/`close`
   * asked for it. Returns a function that removes the listener.
   */
  onExit(listener: (exit: InfluxdExit) => void): () => void;
}

/** How an influxd process ended. */
export interface InfluxdExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** We stopped it (stop/close), as opposed to a crash or a kill from outside. */
  expected: boolean;
}

function configText(dataDir: string, port: number, rpcPort: number, cqRunInterval: string, auth: boolean): string {
  // influxd 1.x TOML. Everything bound to loopback, reporting and self-monitoring off
  // (the _internal database would cost CPU we need for ingest), logs quiet.
  return `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = ${JSON.stringify(join(dataDir, 'meta'))}
  logging-enabled = false

[data]
  dir = ${JSON.stringify(join(dataDir, 'data'))}
  wal-dir = ${JSON.stringify(join(dataDir, 'wal'))}
  query-log-enabled = false
  trace-logging-enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${port}"
  auth-enabled = ${auth}
  log-enabled = false
  write-tracing = false
  max-body-size = 0

[continuous_queries]
  enabled = true
  log-enabled = false
  run-interval = ${JSON.stringify(cqRunInterval)}

[logging]
  level = "error"
  suppress-logo = true

[subscriber]
  enabled = false
`;
}

async function pingOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
    return res.status === 204;
  } catch {
    return false;
  }
}

/**
 * An influxd left running by a process that was killed outright (no 'exit' handler ran)
 * still holds the data directory's lock; stop it before starting a new one. Only a
 * process whose command line is influxd with this very config is touched.
 */
async function reapStale(pidPath: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidPath, 'utf8'));
  } catch {
    return;
  }
  const alive = () => {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return cmdline.includes('influxd') && cmdline.includes(pidPath.replace(/influxd\.pid$/, 'influxdb.conf'));
    } catch {
      return false;
    }
  };
  if (alive()) {
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 20));
  }
  rmSync(pidPath, { force: true });
}

/**
 * Starts a private influxd 1.x for this stack (or a test) and waits until `/ping`
 * answers 204. The error names `npm run setup` when the binary is missing.
 */
export async function startInflux(opts: StartInfluxOptions = {}): Promise<InfluxdHandle> {
  const h = await prepareInflux(opts);
  await h.start();
  return h;
}

function missingBinary(binary: string): TelemetryError {
  return new TelemetryError(
    'TEL_INFLUXD_MISSING',
    `influxd not found at ${binary}; run "npm run setup" (installs the Debian package "influxdb"), or point --influx-url at an existing InfluxDB`,
  );
}

/**
 * Everything `startInflux` does except starting: data directory, config, ports and
 * credentials, so the URL is known before influxd runs (a supervisor starts it, and
 * restarts it on the same port and data after a crash).
 */
export async function prepareInflux(opts: StartInfluxOptions = {}): Promise<InfluxdHandle> {
  const binary = opts.binary ?? DEFAULT_INFLUXD_BINARY;
  const dataDir = resolve(opts.dataDir ?? DEFAULT_INFLUXD_DATA_DIR);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  const credentials = opts.auth ? adminCredentials(dataDir) : undefined;
  const port = opts.port || (await findFreePort());
  const rpcPort = opts.rpcPort || (await findFreePort());
  const confPath = join(dataDir, 'influxdb.conf');
  const pidPath = join(dataDir, 'influxd.pid');
  writeFileSync(confPath, configText(dataDir, port, rpcPort, opts.cqRunInterval ?? '1s', Boolean(opts.auth)), { mode: 0o600 });
  const url = `http://127.0.0.1:${port}`;
  const timeoutMs = opts.startTimeoutMs ?? INFLUXD_START_TIMEOUT_MS;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let stopping: ChildProcess | undefined;
  const exitListeners = new Set<(exit: InfluxdExit) => void>();

  const start = async (): Promise<void> => {
    if (child) return;
    if (!existsSync(binary)) throw missingBinary(binary);
    let stderrTail = '';
    await reapStale(pidPath);
    // Own process group: a Ctrl-C in the terminal signals the whole foreground group, and
    // influxd must not stop before telemetry has drained into it; close() stops it last.
    const proc = spawn(binary, ['-config', confPath], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    child = proc;
    if (proc.pid) writeFileSync(pidPath, String(proc.pid));
    proc.stderr?.on('data', (b: Buffer) => {
      stderrTail = (stderrTail + b.toString()).slice(-2000);
    });
    let exitInfo: string | undefined;
    // Do not leave an orphaned influxd behind if our process exits without closing it.
    const killOnExit = () => proc.kill('SIGKILL');
    process.once('exit', killOnExit);
    exited = new Promise((res) => {
      proc.once('exit', (code, signal) => {
        process.off('exit', killOnExit);
        rmSync(pidPath, { force: true });
        exitInfo = `code ${code} signal ${signal}`;
        if (child === proc) child = undefined;
        const expected = stopping === proc;
        if (expected) stopping = undefined;
        res();
        for (const l of exitListeners) l({ code, signal, expected });
      });
      proc.once('error', (err) => {
        exitInfo = err.message;
        if (child === proc) child = undefined;
        res();
      });
    });
    const deadline = Date.now() + timeoutMs;
    // No event tells us influxd is ready; /ping is the documented readiness probe.
    for (;;) {
      if (exitInfo !== undefined) {
        throw new TelemetryError('TEL_INFLUXD_START', `influxd exited during start (${exitInfo}): ${stderrTail.trim()}`);
      }
      if (await pingOk(url)) {
        if (credentials) await ensureAdmin(url, credentials, dataDir);
        return;
      }
      if (Date.now() > deadline) {
        await stop();
        throw new TelemetryError('TEL_INFLUXD_START', `influxd did not answer ${url}/ping within ${timeoutMs} ms: ${stderrTail.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    if (!proc) return;
    stopping = proc;
    proc.kill('SIGTERM');
    // A stopped (SIGSTOP) influxd cannot act on SIGTERM until continued.
    proc.kill('SIGCONT');
    const timer = setTimeout(() => proc.kill('SIGKILL'), INFLUXD_STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  return {
    url,
    port,
    dataDir,
    start,
    stop,
    close: stop,
    get running() {
      return child !== undefined;
    },
    get pid() {
      return child?.pid;
    },
    ...(credentials ? { credentials } : {}),
    onExit(listener) {
      exitListeners.add(listener);
      return () => exitListeners.delete(listener);
    },
  };
}

const CREDENTIALS_FILE = 'admin-credentials.json';

/** The stored admin credentials, generated (192-bit password) on first use. */
function adminCredentials(dataDir: string): InfluxdCredentials {
  const file = join(dataDir, CREDENTIALS_FILE);
  if (existsSync(file)) {
    const c = JSON.parse(readFileSync(file, 'utf8')) as Partial<InfluxdCredentials>;
    if (typeof c.username === 'string' && typeof c.password === 'string') return { username: c.username, password: c.password };
    throw new TelemetryError('TEL_INFLUXD_START', `${file} is not {"username", "password"}; remove it only if you also remove influxd's meta/ directory`);
  }
  const c = { username: INFLUXD_ADMIN_USER, password: randomBytes(24).toString('base64url') };
  writeFileSync(file, JSON.stringify(c) + '\n', { mode: 0o600 });
  return c;
}

/**
 * influxd 1.x with auth enabled lets the first admin user be created without
 * credentials while no user exists; afterwards only with them. So: try the stored
 * credentials, and if they are refused, create the admin (a fresh store, or one that
 * ran without auth before).
 */
async function ensureAdmin(url: string, c: InfluxdCredentials, dataDir: string): Promise<void> {
  const query = async (q: string, auth: boolean) => {
    const headers: Record<string, string> = auth ? { authorization: `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` } : {};
    const res = await fetch(`${url}/query`, { method: 'POST', body: new URLSearchParams({ q }), headers, signal: AbortSignal.timeout(5000) });
    return { status: res.status, text: await res.text() };
  };
  if ((await query('SHOW USERS', true)).status === 200) return;
  const created = await query(`CREATE USER "${c.username}" WITH PASSWORD '${c.password}' WITH ALL PRIVILEGES`, false);
  if (created.status === 200 && !/"error"/.test(created.text)) {
    // The new user reaches the HTTP handler's authenticator a moment after the meta store.
    for (let i = 0; i < 50; i++) {
      if ((await query('SHOW USERS', true)).status === 200) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new TelemetryError(
    'TEL_INFLUXD_START',
    `influxd in ${dataDir} has users, but not the admin in ${join(dataDir, CREDENTIALS_FILE)}: ${created.text.trim().slice(0, 200)}`,
  );
}
