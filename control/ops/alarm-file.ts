import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Alarm } from '../alarms/alarm.ts';

/** Resolved alarms older than this are not carried into the next run's file. */
const KEEP_RESOLVED_MS = 24 * 3600_000;

/**
 * The alarm book across restarts (issue 14 item 6): one JSONL line per alarm change,
 * `{ tsMs, alarm }`, appended synchronously (alarms change a few times a minute, and a
 * change that was shown to an operator must survive a crash right after). Read at
 * start: the latest version of each alarm wins; torn or foreign lines are skipped and
 * counted. The file is then rewritten compacted (write + rename), keeping open and
 * acknowledged alarms and the last day's resolved ones. 0600 in a 0700 directory, like
 * the ledger: alarms name places and people.
 */
export class AlarmFile {
  badLines = 0;
  writeErrors = 0;

  constructor(readonly file: string) {}

  /** Alarms stored by earlier runs, oldest raise first; compacts the file. */
  load(nowMs: number): Alarm[] {
    if (!existsSync(this.file)) return [];
    const latest = new Map<string, Alarm>();
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const a = (JSON.parse(line) as { alarm?: Alarm }).alarm;
        if (!a || typeof a.id !== 'string' || typeof a.state !== 'string' || typeof a.raisedAtMs !== 'number' || !a.position) throw new Error('not an alarm line');
        latest.set(a.id, a);
      } catch {
        this.badLines++;
      }
    }
    const kept = [...latest.values()]
      .filter((a) => a.state !== 'resolved' || nowMs - (a.resolvedAtMs ?? a.raisedAtMs) <= KEEP_RESOLVED_MS)
      .sort((a, b) => a.raisedAtMs - b.raisedAtMs);
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, kept.map((a) => JSON.stringify({ tsMs: nowMs, alarm: a }) + '\n').join(''), { mode: 0o600 });
    renameSync(tmp, this.file);
    return kept;
  }

  /** Appends the alarm as it is now. A failing disk is counted, never thrown into dispatch. */
  write(a: Alarm, tsMs: number): void {
    try {
      if (!existsSync(this.file)) {
        mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
        writeFileSync(this.file, '', { mode: 0o600 });
        chmodSync(this.file, 0o600);
      }
      appendFileSync(this.file, JSON.stringify({ tsMs, alarm: a }) + '\n', { mode: 0o600 });
    } catch {
      this.writeErrors++;
    }
  }
}
