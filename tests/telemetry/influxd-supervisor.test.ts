import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { TelemetryError } from '../../telemetry/errors.ts';
import type { InfluxdExit } from '../../telemetry/influxd.ts';
import { InfluxdSupervisor, restartDelayMs, type InfluxdStatus, type SupervisedProcess } from '../../telemetry/influxd-supervisor.ts';

/** A process double: the test scripts start failures and crashes; no influxd needed. */
class FakeInfluxd implements SupervisedProcess {
  starts = 0;
  failNextStarts: Error[] = [];
  running = false;
  private readonly listeners = new Set<(e: InfluxdExit) => void>();
  pid: number | undefined;
  async start(): Promise<void> {
    this.starts++;
    const err = this.failNextStarts.shift();
    if (err) throw err;
    this.running = true;
    this.pid = 1000 + this.starts;
  }
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.pid = undefined;
    for (const l of this.listeners) l({ code: 0, signal: null, expected: true });
  }
  crash(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.running = false;
    this.pid = undefined;
    for (const l of this.listeners) l({ code: null, signal, expected: false });
  }
  onExit(l: (e: InfluxdExit) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

const quiet = pino({ level: 'silent' });
const waitFor = async (cond: () => boolean, what: string, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('restartDelayMs', () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [6, 32_000],
    [7, 60_000],
    [50, 60_000],
  ])('attempt %i waits %i ms (doubling, capped)', (n, ms) => {
    expect(restartDelayMs(n, { initialMs: 1000, maxMs: 60_000 })).toBe(ms);
  });
});

describe('InfluxdSupervisor', () => {
  const backoff = { initialMs: 20, maxMs: 80, stableMs: 10_000 };

  it('restarts influxd after each unexpected exit, counting exits and restarts and reporting every change', async () => {
    const p = new FakeInfluxd();
    const events: [InfluxdStatus['state'], string][] = [];
    const sup = new InfluxdSupervisor(p, { logger: quiet, backoff, onChange: (s, e) => events.push([s.state, e]) });
    expect(await sup.start()).toBe(true);
    p.crash();
    expect(sup.status()).toMatchObject({ state: 'down', exits: 1, lastProblem: 'influxd exited (code null, signal SIGKILL)' });
    await waitFor(() => sup.status().state === 'running', 'first restart');
    p.crash('SIGSEGV');
    await waitFor(() => sup.status().state === 'running' && p.starts === 3, 'second restart');
    expect(sup.status()).toMatchObject({ state: 'running', restarts: 2, exits: 2, pid: 1003 });
    expect(events.map((e) => e[0])).toEqual(['starting', 'running', 'down', 'starting', 'running', 'down', 'starting', 'running']);
    expect(events[2]![1]).toMatch(/signal SIGKILL\); next start in 20 ms$/);
    await sup.close();
    expect(sup.status().state).toBe('stopped');
    expect(p.running).toBe(false);
  });

  it('does not restart what it stopped itself', async () => {
    const p = new FakeInfluxd();
    const sup = new InfluxdSupervisor(p, { logger: quiet, backoff });
    await sup.start();
    await sup.close();
    await new Promise((r) => setTimeout(r, 3 * backoff.maxMs));
    expect(p.starts).toBe(1);
    expect(sup.status()).toMatchObject({ restarts: 0, exits: 0 });
  });

  it('keeps trying after a failed first start, with growing delays capped at maxMs', async () => {
    const p = new FakeInfluxd();
    p.failNextStarts = [1, 2, 3, 4].map((i) => new TelemetryError('TEL_INFLUXD_START', `port taken (${i})`));
    const delays: number[] = [];
    const sup = new InfluxdSupervisor(p, {
      logger: quiet,
      backoff,
      onChange: (s) => s.state === 'down' && s.nextStartAtMs !== undefined && delays.push(s.nextStartAtMs - Date.now()),
    });
    expect(await sup.start()).toBe(false);
    expect(sup.status()).toMatchObject({ state: 'down', lastProblem: 'port taken (1)' });
    await waitFor(() => sup.status().state === 'running', 'started at the fifth attempt');
    expect(p.starts).toBe(5);
    // 20, 40, 80, 80 (± the few ms between the timestamps)
    expect(delays.map((d) => Math.round(d / 20) * 20)).toEqual([20, 40, 80, 80]);
    await sup.close();
  });

  it('reports a missing binary as missing and checks again at the capped delay', async () => {
    const p = new FakeInfluxd();
    p.failNextStarts = [new TelemetryError('TEL_INFLUXD_MISSING', 'influxd not found at /usr/bin/influxd; run "npm run setup"')];
    const sup = new InfluxdSupervisor(p, { logger: quiet, backoff });
    expect(await sup.start()).toBe(false);
    expect(sup.status().state).toBe('missing');
    expect(sup.status().lastProblem).toContain('npm run setup');
    await waitFor(() => sup.status().state === 'running', 'installed meanwhile');
    await sup.close();
  });
});
