/**
 * Rate-limited log of refused frames, one line per source: the first refusal from a
 * source is logged at once, later ones at most once per `intervalMs` with how many were
 * refused since. A flood from one address costs one line a minute, and a thousand spoofed
 * sources cannot grow memory without bound.
 */
export class RejectLog {
  private readonly sources = new Map<string, { lastLogMs: number; suppressed: number }>();

  constructor(
    private readonly log: (line: string) => void,
    private readonly nowMs: () => number = Date.now,
    private readonly intervalMs = 60_000,
    private readonly maxSources = 1024,
  ) {}

  note(source: string, line: string): void {
    const now = this.nowMs();
    const s = this.sources.get(source);
    if (s && now - s.lastLogMs < this.intervalMs) {
      s.suppressed++;
      return;
    }
    if (!s && this.sources.size >= this.maxSources) this.sources.delete(this.sources.keys().next().value!);
    const more = s && s.suppressed > 0 ? ` (${s.suppressed} more refused from this source since the last line)` : '';
    this.sources.set(source, { lastLogMs: now, suppressed: 0 });
    this.log(`${line}${more}`);
  }
}
