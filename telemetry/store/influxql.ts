import type { TimeWindow } from './types.ts';

/** InfluxQL identifier: always double-quoted, quotes and backslashes escaped. */
export function ident(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** InfluxQL string literal. */
export function lit(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function timeClause(w: TimeWindow): string {
  return `time >= ${Math.trunc(w.fromMs)}ms AND time < ${Math.trunc(w.toMs)}ms`;
}

export interface RawSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values?: unknown[][];
}

/** One statement's result from `/query?epoch=ms`. */
export interface RawResult {
  statement_id?: number;
  series?: RawSeries[];
  error?: string;
}

/** Rows of one series as objects keyed by column name; null values dropped. */
export function seriesRows(s: RawSeries): Record<string, unknown>[] {
  return (s.values ?? []).map((v) => {
    const row: Record<string, unknown> = {};
    s.columns.forEach((c, i) => {
      const x = v[i];
      if (x !== null && x !== undefined) row[c] = x;
    });
    return row;
  });
}
