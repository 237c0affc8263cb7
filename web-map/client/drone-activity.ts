/**
 * What each drone is doing by the ledger, in words for its map label: its newest command
 * while open ("Go to · under way · 230 m · 0:40 to go"), and for a short while after, how it
 * ended ("Go to · achieved"), so the operator sees the result on the drone itself.
 */
import type { T } from './context.ts';
import type { MessageKey } from './i18n.ts';
import { kindName } from './names.ts';
import { outcomePhrase, outcomeView } from './outcome-view.ts';
import type { LedgerRecord } from './types.ts';

/** How long a finished command's result stays on the label. */
export const RESULT_SHOWN_MS = 30_000;

export function droneActivity(records: Iterable<LedgerRecord>, t: T, nowMs: number): Map<string, string> {
  const newest = new Map<string, LedgerRecord>();
  for (const r of records) {
    if (r.target.kind !== 'drone') continue;
    const cur = newest.get(r.target.id);
    if (!cur || r.createdMs > cur.createdMs) newest.set(r.target.id, r);
  }
  const out = new Map<string, string>();
  for (const [id, r] of newest) {
    const v = outcomeView(r);
    if (v.final && nowMs - r.updatedMs > RESULT_SHOWN_MS) continue;
    out.set(id, `${kindName(t, r.kind)} · ${outcomePhrase(v, { phase: (p) => t(`outcome.${p}` as MessageKey), way: (way) => t('outcome.way', { way }) })}`);
  }
  return out;
}
