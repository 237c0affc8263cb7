import { closeSync, createWriteStream, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { LedgerSink } from './ledger.ts';
import type { LedgerRecord, LedgerTransition } from './machine.ts';

/**
 * Append-only JSONL: one line per state change, `{ tsMs, id, state, record }`. Durable
 * enough for an audit trail (the telemetry service also ingests the MQTT copy into
 * InfluxDB); never rewritten.
 */
export class JsonlLedgerStore implements LedgerSink {
  readonly file: string;
  private readonly out: WriteStream;
  writeErrors = 0;

  constructor(dataDir: string, name = 'ledger.jsonl') {
    mkdirSync(dataDir, { recursive: true });
    this.file = join(dataDir, name);
    this.out = createWriteStream(this.file, { flags: 'a' });
    this.out.on('error', () => this.writeErrors++);
    // A crash mid-write leaves a torn last line; start ours on a fresh one.
    if (endsTorn(this.file)) this.out.write('\n');
  }

  /**
   * The latest version of every record in the file, oldest first. Torn or foreign lines
   * (a crash mid-write) are skipped and counted, never fatal.
   */
  static read(dataDir: string, name = 'ledger.jsonl'): { records: LedgerRecord[]; badLines: number } {
    const file = join(dataDir, name);
    if (!existsSync(file)) return { records: [], badLines: 0 };
    const latest = new Map<string, LedgerRecord>();
    let badLines = 0;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const rec = (JSON.parse(line) as { record?: LedgerRecord }).record;
        if (!rec || typeof rec.id !== 'string' || !Array.isArray(rec.transitions)) throw new Error('not a ledger line');
        latest.delete(rec.id);
        latest.set(rec.id, rec);
      } catch {
        badLines++;
      }
    }
    return { records: [...latest.values()], badLines };
  }

  write(record: LedgerRecord, change: LedgerTransition): void {
    this.out.write(JSON.stringify({ tsMs: change.tsMs, id: record.id, state: change.state, record }) + '\n');
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(() => resolve()));
  }
}

function endsTorn(file: string): boolean {
  if (!existsSync(file)) return false;
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    closeSync(fd);
  }
}
