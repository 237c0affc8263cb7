import { describe, expect, it } from 'vitest';
import { DEFAULT_RUNS, runsFromArgs, summarize } from '../../bench/lib/runs.ts';

describe('benchmark runs harness', () => {
  it('runs 3 times unless told otherwise, and refuses nonsense', () => {
    expect(runsFromArgs([], {})).toBe(DEFAULT_RUNS);
    expect(DEFAULT_RUNS).toBe(3);
    expect(runsFromArgs(['node', 'x', '--runs', '5'], {})).toBe(5);
    expect(runsFromArgs([], { RINGWATCH_BENCH_RUNS: '1' })).toBe(1);
    expect(() => runsFromArgs(['--runs', '0'], {})).toThrow(/--runs must be an integer from 1 to 20, got "0"/);
    expect(() => runsFromArgs([], { RINGWATCH_BENCH_RUNS: 'x' })).toThrow(/got "x"/);
    expect(() => runsFromArgs(['--runs'], {})).toThrow(/--runs needs a number/);
  });

  it('gives each figure its median and min–max over the runs that reported it', () => {
    const s = summarize([{ a: 3, b: 10 }, { a: 1 }, { a: 2, b: 20, c: Number.NaN }]);
    expect(s['a']).toEqual({ median: 2, min: 1, max: 3, values: [3, 1, 2] });
    expect(s['b']).toEqual({ median: 15, min: 10, max: 20, values: [10, 20] });
    expect(s['c']).toBeUndefined();
  });
});
