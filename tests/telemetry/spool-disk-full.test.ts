import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TelemetryError } from '../../telemetry/errors.ts';
import { mapMessage } from '../../telemetry/mapping/index.ts';
import { Spool, type SpoolEntry, type SpoolMessage } from '../../telemetry/spool.ts';
import { telemetryPayload } from './ingest-helpers.ts';

/**
 * A real full disk: a 256 KiB tmpfs. Needs root (mount); elsewhere the test says why it
 * is skipped. The spool must fail an append whole (never a torn line), and take appends
 * again once confirmed segments free the space.
 */
const mountDir = mkdtempSync(join(tmpdir(), 'rw-spool-full-'));
const mountError = (() => {
  if (process.getuid?.() !== 0) return 'not root: cannot mount a tmpfs';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountDir], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `mount -t tmpfs not permitted here: ${(err as Error).message.split('\n')[0]}`;
  }
})();
if (mountError) console.warn(`spool-disk-full skipped: ${mountError}`);

const decode = (topic: string, payload: Buffer) => {
  const r = mapMessage('lakeside', topic, payload);
  return r.ok ? r.point : undefined;
};
function msg(i: number): SpoolMessage {
  const topic = 'ringwatch/v1/drone/drone-1/telemetry';
  // JSON whitespace makes lines of uneven length, so the last write meets the limit mid-line.
  const payload = Buffer.from(telemetryPayload(1000 + i, i).replace(',', `,${' '.repeat(i % 97)}`));
  const r = mapMessage('lakeside', topic, Buffer.from(telemetryPayload(1000 + i, i)));
  if (!r.ok) throw new Error(r.message);
  return { topic, payload, point: r.point };
}

describe.skipIf(mountError !== undefined)('Spool on a full disk (tmpfs)', () => {
  beforeAll(() => {
    rmSync(join(mountDir, 'spool'), { recursive: true, force: true });
  });
  const open: Spool[] = [];
  afterAll(() => {
    for (const s of open) s.close();
    // Lazy: a failed assertion may leave a descriptor open until the worker exits.
    execFileSync('umount', ['-l', mountDir]);
    rmSync(mountDir, { recursive: true, force: true });
  });

  it('fails an append whole on ENOSPC, leaves only whole lines, and appends again once space is freed', () => {
    const dir = join(mountDir, 'spool');
    // Small segments, not a multiple of the page size: several files (confirming frees
    // whole files), and the last write meets the limit in the middle of a page.
    const { spool } = Spool.open({ dir, decode, segmentBytes: 20_000 });
    open.push(spool);
    const entries: SpoolEntry[] = [];
    let failure: unknown;
    for (let i = 0; i < 100_000 && failure === undefined; i++) {
      try {
        entries.push(spool.append(msg(i), i));
      } catch (err) {
        failure = err;
      }
    }
    // Every segment ends with a newline: no torn line waits to be glued to the next append.
    for (const f of readdirSync(dir)) {
      const text = readFileSync(join(dir, f), 'utf8');
      if (text.length) expect(text.endsWith('\n')).toBe(true);
    }
    expect(failure).toBeInstanceOf(TelemetryError);
    expect((failure as TelemetryError).code).toBe('TEL_SPOOL_NO_SPACE');
    expect(spool.stats.appendFailures).toBe(1);
    // Still full: a second try fails the same way, nothing written.
    expect(() => spool.append(msg(1), 1)).toThrow(/disk full/);
    // The writer confirms the first half: whole segments go, and appends work again.
    spool.confirm(entries.slice(0, Math.floor(entries.length / 2)));
    const after = [spool.append(msg(7), 7), spool.append(msg(8), 8)];
    expect(after).toHaveLength(2);
    spool.close();
    const { spool: again, recovered } = Spool.open({ dir, decode });
    open.push(again);
    expect(again.stats.corruptLines).toBe(0);
    expect(again.stats.tornTails).toBe(0);
    // Everything unconfirmed comes back, the two new ones last.
    expect(recovered.slice(-2).map((e) => e.point)).toEqual([msg(7).point, msg(8).point]);
    expect(recovered.length).toBeGreaterThanOrEqual(entries.length - Math.floor(entries.length / 2) + 2);
  });
});
