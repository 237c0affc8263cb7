import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RecentEventIds } from './events.ts';

/**
 * Keeps a RecentEventIds across restarts in one small JSON file: read at start, rewritten
 * (write to a temporary file, then rename, so a crash never leaves half a file) at most
 * once per `flushMs` after a change, and on close. A restarted control service then does
 * not act again on an event it acted on just before it stopped.
 */
export class EventIdFile {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly file: string,
    private readonly ids: RecentEventIds,
    private readonly flushMs = 1_000,
  ) {}

  /** Loads what the file holds into `ids`; a missing file is an empty history, an unreadable one too (returned as the reason). */
  load(): { restored: number; problem?: string } {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return { restored: 0 };
    }
    try {
      const parsed = JSON.parse(text) as unknown;
      if (!Array.isArray(parsed)) throw new Error('not a list');
      const entries = parsed.filter((e): e is [string, number] => Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'number');
      this.ids.restore(entries);
      return { restored: entries.length };
    } catch (err) {
      return { restored: 0, problem: `${this.file}: ${(err as Error).message}` };
    }
  }

  /** Call after each new sighting: schedules one write. */
  changed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), this.flushMs);
    this.timer.unref();
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.ids.entries()), { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
