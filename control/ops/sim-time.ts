import type { Clock } from '../timeouts.ts';

/**
 * Clock and timers for the operations layer, optionally running faster than the wall
 * clock so a control service paired with time-accelerated simulators plans in the
 * simulators' time (a 30-minute sortie in 3 minutes at speed 10). At speed 1 it is
 * plain Date.now and setTimeout.
 */
export interface OpsTime extends Clock {
  readonly speed: number;
  /** Runs fn after `ms` of ops time. */
  after(ms: number, fn: () => void): { cancel(): void };
}

export function opsTime(speed = 1, wall: () => number = Date.now): OpsTime {
  const wall0 = wall();
  return {
    speed,
    nowMs: () => (speed === 1 ? wall() : wall0 + (wall() - wall0) * speed),
    after(ms, fn) {
      const t = setTimeout(fn, Math.max(0, ms / speed));
      t.unref?.();
      return { cancel: () => clearTimeout(t) };
    },
  };
}
