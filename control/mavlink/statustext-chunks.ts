/**
 * STATUSTEXT reassembly (MAVLink 2 `id` / `chunk_seq` extensions). A text longer than the
 * 50-char field is sent as chunks sharing a non-zero `id`, numbered from 0; a chunk with
 * fewer than 50 characters (its NUL terminator) ends the text. PX4 sends e.g. "Arming
 * denied: Resolve system health failures first" this way; without this it became two
 * events and neither matched a refusal. An incomplete text (a lost last chunk, or a text of
 * exactly n×50 characters) is delivered as far as it got once `timeoutMs` passes.
 *
 * Id 0 means "the only chunk" in MAVLink, but PX4 numbers every text from 0 (its first
 * text after boot, and every 65,536th, carry id 0 even when long). So a full 50-character
 * chunk with id 0 is held as a possible first chunk: chunk_seq 1 with id 0 continues it;
 * anything else with id 0, or the timeout, delivers it as it is.
 */
export const STATUSTEXT_CHUNK_CHARS = 50;

interface Partial {
  severity: number;
  chunks: Map<number, string>;
  timer: ReturnType<typeof setTimeout>;
}

export class StatusTextAssembler {
  private readonly partial = new Map<number, Partial>();
  /** Texts delivered incomplete after the timeout. */
  incomplete = 0;

  constructor(
    private readonly deliver: (severity: number, text: string) => void,
    private readonly timeoutMs: number,
  ) {}

  /** `text` as parsed: NUL padding already cut, so a full chunk has 50 characters. */
  push(severity: number, text: string, id: number | undefined, chunkSeq: number | undefined): void {
    const key = id ?? 0;
    const seq = chunkSeq ?? 0;
    if (key === 0 && !(seq !== 0 && this.partial.has(0))) {
      // Not the continuation of a held id-0 chunk: any held one was a whole text.
      this.flush(0, false);
      if (text.length < STATUSTEXT_CHUNK_CHARS || seq !== 0) {
        this.deliver(severity, text);
        return;
      }
    }
    let p = this.partial.get(key);
    if (!p) {
      p = { severity, chunks: new Map(), timer: setTimeout(() => this.flush(key, key !== 0), this.timeoutMs) };
      p.timer.unref?.();
      this.partial.set(key, p);
    }
    p.chunks.set(seq, text);
    if (text.length < STATUSTEXT_CHUNK_CHARS) this.flush(key, false);
  }

  private flush(id: number, timedOut: boolean): void {
    const p = this.partial.get(id);
    if (!p) return;
    clearTimeout(p.timer);
    this.partial.delete(id);
    if (timedOut) this.incomplete++;
    const seqs = [...p.chunks.keys()].sort((a, b) => a - b);
    this.deliver(p.severity, seqs.map((s) => p.chunks.get(s)!).join(''));
  }

  close(): void {
    for (const p of this.partial.values()) clearTimeout(p.timer);
    this.partial.clear();
  }
}
