/**
 * Every benchmark runs through here: `runs` fresh child processes (default 3, `--runs N`
 * or RINGWATCH_BENCH_RUNS to change), each one complete run of the benchmark, with the
 * machine's load average printed before and after each, and a summary giving every
 * figure's median and spread (min–max) over the runs. One run proves little on a shared
 * machine; the median of three with the load beside it is what the README quotes.
 *
 * A benchmark's `main` returns its headline figures (name → number); the child prints
 * them on one `BENCH_FIGURES {…}` line, which the parent reads and does not echo.
 */
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

/** Headline figures of one run; the name should carry the unit (`qos0MsgsPerS`, `p99Ms`). */
export type Figures = Record<string, number>;

const CHILD_ENV = 'RINGWATCH_BENCH_ONE_RUN';
const FIGURES_TAG = 'BENCH_FIGURES ';
export const DEFAULT_RUNS = 3;

/** `--runs N` from argv, else RINGWATCH_BENCH_RUNS, else 3; rejects nonsense with a clear message. */
export function runsFromArgs(argv: readonly string[], env: NodeJS.ProcessEnv): number {
  const i = argv.indexOf('--runs');
  if (i >= 0 && argv[i + 1] === undefined) throw new Error('--runs needs a number from 1 to 20');
  const raw = i >= 0 ? argv[i + 1] : env['RINGWATCH_BENCH_RUNS'];
  if (raw === undefined) return DEFAULT_RUNS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 20) throw new Error(`--runs must be an integer from 1 to 20, got ${JSON.stringify(raw)}`);
  return n;
}

export interface FigureSummary {
  median: number;
  min: number;
  max: number;
  values: number[];
}

/** Median (mean of the middle two for an even count) and range of each figure over the runs that reported it. */
export function summarize(runs: readonly Figures[]): Record<string, FigureSummary> {
  const names = [...new Set(runs.flatMap((r) => Object.keys(r)))];
  const out: Record<string, FigureSummary> = {};
  for (const name of names) {
    const values = runs.map((r) => r[name]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    if (values.length === 0) continue;
    const s = [...values].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
    out[name] = { median, min: s[0]!, max: s[s.length - 1]!, values };
  }
  return out;
}

export const formatLoad = (l: readonly number[] = loadavg()): string => `${l.map((x) => x.toFixed(2)).join(' ')} (1/5/15 min, ${cpus().length} cores)`;

const fmt = (v: number) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

/**
 * The entry point of a benchmark file. In the parent: runs the file `runs` times as
 * children and summarizes. In a child: runs `main` once and reports its figures.
 */
export async function runBench(name: string, moduleUrl: string, main: () => Promise<Figures>, opts: { nodeArgs?: readonly string[] } = {}): Promise<void> {
  if (process.env[CHILD_ENV]) {
    try {
      const figures = await main();
      process.stdout.write(`\n${FIGURES_TAG}${JSON.stringify(figures)}\n`);
      process.exit(0);
    } catch (err) {
      process.stderr.write(`${name}: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    }
  }
  let runs: number;
  try {
    runs = runsFromArgs(process.argv, process.env);
  } catch (err) {
    process.stderr.write(`${name}: ${(err as Error).message}\n`);
    process.exit(64);
  }
  const script = fileURLToPath(moduleUrl);
  const args = process.argv.slice(2).filter((a, i, all) => a !== '--runs' && all[i - 1] !== '--runs');
  const results: Figures[] = [];
  const loads: { before: number[]; after: number[] }[] = [];
  console.log(`${name}: ${runs} run${runs > 1 ? 's' : ''}; machine load average at start ${formatLoad()}`);
  for (let r = 1; r <= runs; r++) {
    const before = loadavg();
    console.log(`\n=== ${name} run ${r}/${runs} — load average before: ${formatLoad(before)}`);
    const { code, figures } = await runChild(script, args, opts.nodeArgs ?? []);
    const after = loadavg();
    loads.push({ before, after });
    console.log(`=== run ${r}/${runs} ${code === 0 ? 'done' : `FAILED (exit ${code})`} — load average after: ${formatLoad(after)}`);
    if (figures) results.push(figures);
  }
  const summary = summarize(results);
  console.log(`\n=== ${name}: median (min–max) of ${results.length} run${results.length === 1 ? '' : 's'}`);
  for (const [k, s] of Object.entries(summary)) {
    console.log(`  ${k.padEnd(40)} ${fmt(s.median).padStart(10)}  (${fmt(s.min)}–${fmt(s.max)})  [${s.values.map(fmt).join(', ')}]`);
  }
  const l1 = loads.flatMap((l) => [l.before[0]!, l.after[0]!]);
  console.log(`  load average (1 min) over the runs: ${Math.min(...l1).toFixed(2)}–${Math.max(...l1).toFixed(2)}; at end ${formatLoad()}`);
  process.exitCode = results.length === runs ? 0 : 1;
}

function runChild(script: string, args: string[], nodeArgs: readonly string[]): Promise<{ code: number; figures: Figures | undefined }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeArgs, ...process.execArgv, script, ...args], {
      env: { ...process.env, [CHILD_ENV]: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let figures: Figures | undefined;
    let pending = '';
    child.stdout.on('data', (d: Buffer) => {
      pending += d.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) !== -1) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.startsWith(FIGURES_TAG)) figures = JSON.parse(line.slice(FIGURES_TAG.length)) as Figures;
        else process.stdout.write(line + '\n');
      }
    });
    child.once('exit', (code) => {
      if (pending) process.stdout.write(pending);
      resolve({ code: code ?? 1, figures });
    });
  });
}
