import type { CommandHooks } from './command-sender.ts';
import type { CommandResult } from './result.ts';
import type { VehicleWatch } from './vehicle-context.ts';

const POLL_MS = 100;

/** How an outcome watch words the two endings it does not judge itself. */
export interface OutcomeEndings {
  linkLost: string;
  cancelled: string;
}

/**
 * Watches an accepted command until its outcome: runs `check` now and every 100 ms;
 * `check` settles by calling `finish`, and so do link loss and an abort request. The
 * result is the accept overlaid by the outcome, with the accept's attempt count.
 */
export function pollOutcome(
  v: Pick<VehicleWatch, 'on' | 'off'>,
  accepted: CommandResult,
  hooks: CommandHooks,
  endings: OutcomeEndings,
  check: (finish: (r: CommandResult) => void) => void,
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const finish = (r: CommandResult) => {
      clearInterval(timer);
      v.off('link_lost', onLost);
      hooks.signal?.removeEventListener('abort', onAbort);
      resolve({ ...accepted, ...r, attempts: accepted.attempts });
    };
    const onLost = () => finish({ status: 'link_lost', message: endings.linkLost });
    const onAbort = () => finish({ status: 'cancelled', message: endings.cancelled });
    const timer = setInterval(() => check(finish), POLL_MS);
    // A poll must not keep the process alive: after the links close at shutdown nothing
    // settles it until its budget runs out, and `ringwatch up` would not exit on Ctrl-C.
    timer.unref();
    v.on('link_lost', onLost);
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
    check(finish);
  });
}
