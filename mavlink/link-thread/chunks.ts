import type { ChunkBatch } from './messages.ts';

/** Copies chunks for several endpoints into one buffer that can be transferred, not cloned. */
export function packChunks(ids: readonly number[], chunks: readonly Uint8Array[]): ChunkBatch {
  let total = 0;
  for (const c of chunks) total += c.length;
  // Its own ArrayBuffer (never Node's shared pool), so transferring it takes nothing else along.
  const buf = new Uint8Array(new ArrayBuffer(total));
  const lens = new Uint32Array(chunks.length);
  let off = 0;
  chunks.forEach((c, k) => {
    buf.set(c, off);
    lens[k] = c.length;
    off += c.length;
  });
  return { ids: Uint32Array.from(ids), lens, buf };
}

/** Calls `each` with every chunk of a batch, as views into its buffer (no copy). */
export function forEachChunk(batch: ChunkBatch, each: (id: number, chunk: Buffer) => void): void {
  let off = 0;
  for (let k = 0; k < batch.ids.length; k++) {
    const len = batch.lens[k]!;
    each(batch.ids[k]!, Buffer.from(batch.buf.buffer, batch.buf.byteOffset + off, len));
    off += len;
  }
}
