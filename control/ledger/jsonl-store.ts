import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
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
  }

  write(record: LedgerRecord, change: LedgerTransition): void {
    this.out.write(JSON.stringify({ tsMs: change.tsMs, id: record.id, state: change.state, record }) + '\n');
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(() => resolve()));
  }
}
