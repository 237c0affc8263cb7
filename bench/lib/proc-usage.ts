import { readFileSync, readdirSync } from 'node:fs';

/**
 * CPU time and memory of a process from Linux /proc, for benchmarks that measure other
 * processes (a `ringwatch up` child, its influxd). Linux only; USER_HZ is 100 on every
 * Linux ABI Node supports, so clock ticks are 10 ms.
 */
const TICK_MS = 10;

/** utime + stime in ms (fields 14 and 15 of /proc/<pid>/stat, counted after the comm's closing paren). */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state), so utime (14) is f[11] and stime (15) is f[12].
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

/** Resident set size in MB (VmRSS of /proc/<pid>/status). */
export function rssMbOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Direct children of `pid` whose command name (comm) is `comm`, e.g. the influxd that `ringwatch up` manages. */
export function childrenNamed(pid: number, comm: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && name === comm) out.push(Number(d));
    } catch {
      // The process ended between readdir and read.
    }
  }
  return out;
}

/** A CPU meter over a window: share of one core (1.0 = a whole core) between mark() and read(). */
export class CpuMeter {
  private startCpuMs = 0;
  private startMs = 0;
  constructor(readonly pid: number) {}
  mark(): void {
    this.startCpuMs = cpuMsOf(this.pid);
    this.startMs = performance.now();
  }
  coreShare(): number {
    return (cpuMsOf(this.pid) - this.startCpuMs) / (performance.now() - this.startMs);
  }
}
