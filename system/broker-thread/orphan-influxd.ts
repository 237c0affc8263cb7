import { readFileSync } from 'node:fs';

/** How long influxd gets to stop on SIGTERM before SIGKILL (the supervisor gives it the same). */
const TERM_GRACE_MS = 10_000;
const POLL_MS = 100;

/**
 * Stops the influxd a broker thread started when that thread died without closing it.
 * The child process outlives the thread that spawned it and keeps the data directory's
 * lock and its port, so a restarted thread could not start its own. SIGTERM first
 * (influxd flushes its WAL), SIGKILL after the grace period.
 */
export async function stopOrphanInfluxd(pid: number, graceMs: number = TERM_GRACE_MS): Promise<'stopped' | 'killed' | 'gone'> {
  if (!processRuns(pid)) return 'gone';
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'gone';
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    if (!processRuns(pid)) return 'stopped';
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return 'stopped';
  }
  return 'killed';
}

/**
 * Whether `pid` is still running. Nobody reaps a child whose spawning thread is gone, so
 * an exited influxd lingers as a zombie that kill(pid, 0) still finds: /proc tells them
 * apart where it exists.
 */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3, after the parenthesised command name (which may itself hold spaces).
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}
