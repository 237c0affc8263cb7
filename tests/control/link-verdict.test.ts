import { describe, expect, it } from 'vitest';
import { linkVerdictDue } from '../../control/mavlink/link-verdict.ts';

const LOST_MS = 3000;

describe('linkVerdictDue (may the sweep judge a vehicle now?)', () => {
  it.each([
    // [what, lastHeartbeatMs (main), heardAgoMs (thread), due]
    ['fresh here: judged (keeps the stream checks running)', 9000, 100, true],
    ['never heard here: judged (checkLink ignores it)', undefined, undefined, true],
    ['stale here, thread heard it just now: our backlog, wait', 6000, 200, false],
    ['stale here, thread heard it a timeout ago too: lost', 6000, LOST_MS, true],
    ['stale here, thread never heard it: lost', 6000, undefined, true],
    ['stale here, no thread (in-process transport): lost', 5000, undefined, true],
  ] as const)('%s', (_what, lastHeartbeatMs, heardAgoMs, due) => {
    expect(linkVerdictDue({ nowMs: 10_000, lastHeartbeatMs, linkLostMs: LOST_MS, heardAgoMs })).toBe(due);
  });
});
