/**
 * A ledger record in the operator's words (issue 16 item 2): waiting for the drone →
 * accepted → under way (metres left, time to go) → achieved, or failed / no answer /
 * cancelled. "Achieved" only from the record's own outcome (the server says so only once
 * the vehicle did it: at the point, at altitude, plan read back). Pure, no DOM.
 */
import { outcomeOf, type LedgerOutcome } from '../../control/ledger/machine.ts';
import type { LedgerRecord } from './types.ts';

export type OutcomePhase = 'pending' | 'accepted' | 'under_way' | 'achieved' | 'failed' | 'timed_out' | 'cancelled';

export interface OutcomeView {
  phase: OutcomePhase;
  /** Metres still to go and seconds to get there, from the newest progress report. */
  distanceLeftM?: number;
  etaS?: number;
  progressPct?: number;
  /** The device's or our reason, for a failure. */
  detail?: string;
  final: boolean;
}

export function outcomeView(r: LedgerRecord): OutcomeView {
  const outcome: LedgerOutcome = r.outcome ?? outcomeOf(r.state);
  const last = r.transitions[r.transitions.length - 1];
  const detail = [...r.transitions].reverse().find((x) => x.detail)?.detail;
  const final = outcome !== 'pending' && outcome !== 'accepted';
  const v: OutcomeView = { phase: outcome, final };
  if (detail !== undefined && final && outcome !== 'achieved') v.detail = detail;
  if (outcome === 'accepted' && last) {
    // Only the newest transition counts: an older distance would show a drone further back than it is.
    if (last.distanceLeftM !== undefined || last.etaS !== undefined || last.progressPct !== undefined) v.phase = 'under_way';
    if (last.distanceLeftM !== undefined) v.distanceLeftM = last.distanceLeftM;
    if (last.etaS !== undefined) v.etaS = last.etaS;
    if (last.progressPct !== undefined) v.progressPct = last.progressPct;
  }
  return v;
}

/** "230 m · 0:40" for a label; empty when the record says nothing about the way left. */
export function wayLeft(v: OutcomeView): string {
  const parts: string[] = [];
  if (v.distanceLeftM !== undefined) parts.push(v.distanceLeftM >= 1000 ? `${(v.distanceLeftM / 1000).toFixed(1)} km` : `${Math.round(v.distanceLeftM)} m`);
  if (v.etaS !== undefined) parts.push(clock(v.etaS));
  return parts.join(' · ');
}

/**
 * The outcome and the way left as one phrase through the console's words: "under way ·
 * 230 m · 0:40 to go", or "under way · 40%" for a step that reports progress, not distance.
 */
export function outcomePhrase(v: OutcomeView, words: { phase(p: OutcomePhase): string; way(way: string): string }): string {
  const way = wayLeft(v);
  if (way) return `${words.phase(v.phase)} · ${words.way(way)}`;
  if (v.progressPct !== undefined) return `${words.phase(v.phase)} · ${Math.round(v.progressPct)}%`;
  return words.phase(v.phase);
}

function clock(s: number): string {
  const t = Math.max(0, Math.round(s));
  return `${Math.floor(t / 60)}:${String(t % 60).padStart(2, '0')}`;
}
