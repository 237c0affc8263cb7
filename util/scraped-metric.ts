import { Counter, Gauge, type LabelValues, type Registry } from 'prom-client';

/** Reports one labelled value of a metric; `{}` for an unlabelled one. */
export type ReportValue = (labels: LabelValues<string>, value: number) => void;

/**
 * A prom-client gauge or counter whose values are read at scrape time: hot paths keep
 * counting in plain fields, and `fill` copies them in, afresh, on every scrape (the
 * metric is reset first so a label that disappeared is not served stale).
 */
export function scrapedMetric(
  kind: 'gauge' | 'counter',
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[],
  fill: (report: ReportValue) => void,
): Gauge | Counter {
  const config = { name, help, labelNames, registers: [registry] };
  if (kind === 'gauge') {
    return new Gauge({ ...config, collect() { this.reset(); fill((l, v) => this.set(l, v)); } });
  }
  return new Counter({ ...config, collect() { this.reset(); fill((l, v) => this.inc(l, v)); } });
}
