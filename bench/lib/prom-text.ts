/**
 * Sums of Prometheus text-format samples by metric name (all label sets together), for a
 * benchmark reading another process's /metrics; each labelled series is also kept under
 * its full name (`name{reason="x"}`). Histograms appear as their _sum, _count and _bucket
 * series like any other name.
 */
export function promSums(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const v = Number(m[3]);
    if (!Number.isFinite(v)) continue;
    out.set(m[1]!, (out.get(m[1]!) ?? 0) + v);
    if (m[2]) out.set(m[1]! + m[2], v);
  }
  return out;
}

export async function scrapeSums(url: string): Promise<Map<string, number>> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return promSums(await res.text());
}

/** The sample lines of one metric (every label set), to show a counter's reasons beside its sum. */
export function promLines(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(name) && (l[name.length] === ' ' || l[name.length] === '{'));
}

/**
 * One metric's samples keyed by the value of one label, keeping only samples whose other
 * labels match `where`: `promByLabel(text, 'ringwatch_event_loop_lag_seconds', 'thread',
 * { quantile: '0.99' })` → main → 0.012, broker → 0.004, …
 */
export function promByLabel(text: string, name: string, label: string, where: Record<string, string> = {}): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of promLines(text, name)) {
    const m = /^[^{\s]+(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    const key = labels[label];
    if (key === undefined || Object.entries(where).some(([k, v]) => labels[k] !== v)) continue;
    const v = Number(m[2]);
    if (Number.isFinite(v)) out.set(key, v);
  }
  return out;
}
