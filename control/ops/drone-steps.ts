import type { DroneCommands, DroneRequest } from '../commands/drone-commands.ts';
import type { LedgerRecord } from '../ledger/machine.ts';

export type StepsResult = { ok: true; commandIds: string[] } | { ok: false; commandIds: string[]; failed: LedgerRecord };

/**
 * Issues drone requests one after another through the ledger, each only after the
 * previous one succeeded on the drone (its ack, not our send). Stops at the first
 * failure and returns its record, whose transitions carry the drone's reason.
 */
export async function runSteps(
  drones: DroneCommands,
  droneId: string,
  steps: DroneRequest[],
  issuer: string,
  onIssued?: (commandId: string) => void,
): Promise<StepsResult> {
  const commandIds: string[] = [];
  for (const step of steps) {
    const cmd = drones.issue(droneId, step, issuer);
    commandIds.push(cmd.id);
    onIssued?.(cmd.id);
    const rec = await cmd.done;
    if (rec.state !== 'succeeded') return { ok: false, commandIds, failed: rec };
  }
  return { ok: true, commandIds };
}

/** Why a failed record failed, in the drone's words when it gave any. */
export function failureText(rec: LedgerRecord): string {
  const last = rec.transitions[rec.transitions.length - 1];
  return `${rec.kind} ${rec.state}${last?.detail ? `: ${last.detail}` : ''}`;
}

/**
 * Polls a condition on live state (every `pollMs` of wall time) until it holds or
 * `timeoutMs` passes; resolves to whether it held. Used where the autopilot's ack is
 * not the whole truth, e.g. "the take-off was accepted" vs "the drone is in the air".
 */
export function waitFor(pred: () => boolean, timeoutMs: number, pollMs = 100): Promise<boolean> {
  return new Promise((resolve) => {
    if (pred()) return resolve(true);
    const t0 = Date.now();
    const timer = setInterval(() => {
      if (pred()) {
        clearInterval(timer);
        resolve(true);
      } else if (Date.now() - t0 > timeoutMs) {
        clearInterval(timer);
        resolve(false);
      }
    }, pollMs);
  });
}
