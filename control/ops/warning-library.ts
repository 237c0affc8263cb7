import { mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Warning } from '../../site/schema.ts';

/**
 * The approved warning library: the site file's warnings plus those chiefs add, edit
 * or retire at run time. Changes are kept in `warnings.json` in the data directory
 * (written to a temp file and renamed, so a crash never leaves half a library); site
 * warnings can be edited or retired but come back if the override file is removed.
 */
export class WarningLibrary {
  private readonly items = new Map<string, Warning>();
  private readonly siteSnapshot: Map<string, Warning>;

  constructor(
    siteWarnings: readonly Warning[],
    private readonly dataDir?: string,
  ) {
    for (const w of siteWarnings) this.items.set(w.id, w);
    this.siteSnapshot = new Map(siteWarnings.map((w) => [w.id, w]));
    if (dataDir) {
      try {
        const saved = JSON.parse(readFileSync(join(dataDir, 'warnings.json'), 'utf8')) as { upserts: Warning[]; removed: string[] };
        for (const w of saved.upserts) this.items.set(w.id, w);
        for (const id of saved.removed) this.items.delete(id);
      } catch {
        // no overrides yet
      }
    }
  }

  list(): Warning[] {
    return [...this.items.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  get(id: string): Warning | undefined {
    return this.items.get(id);
  }

  upsert(w: Warning): { created: boolean } {
    const created = !this.items.has(w.id);
    this.items.set(w.id, w);
    this.save();
    return { created };
  }

  remove(id: string): boolean {
    const had = this.items.delete(id);
    if (had) this.save();
    return had;
  }

  private save(): void {
    if (!this.dataDir) return;
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    const upserts = [...this.items.values()].filter((w) => JSON.stringify(this.siteSnapshot.get(w.id)) !== JSON.stringify(w));
    const removed = [...this.siteSnapshot.keys()].filter((id) => !this.items.has(id));
    const tmp = join(this.dataDir, 'warnings.json.tmp');
    writeFileSync(tmp, JSON.stringify({ upserts, removed }, null, 2), { mode: 0o600 });
    renameSync(tmp, join(this.dataDir, 'warnings.json'));
  }
}
