/**
 * Whether the link-lost sweep may judge a vehicle now, or must wait for frames that are
 * already here but not yet parsed.
 *
 * After the main event loop was blocked (a heavy request), timers run before I/O: the
 * sweep fires while the vehicle's heartbeats of the last seconds still wait in the queue,
 * and would declare lost a vehicle that was talking all along. When the link thread heard
 * a good heartbeat from it within the timeout (`heardAgoMs`, from the thread's stamps),
 * the silence is ours, not the vehicle's: the verdict waits for the next sweep, by when
 * the queue has been read. A vehicle the thread has not heard within the timeout is judged
 * as before, so a vehicle that did go silent is still declared lost on time.
 */
export function linkVerdictDue(o: {
  nowMs: number;
  /** The last heartbeat the main thread processed (the Vehicle's view), if any. */
  lastHeartbeatMs: number | undefined;
  linkLostMs: number;
  /** How long ago the transport's thread took in a good heartbeat; undefined: no stamps (in-process transport) or never heard. */
  heardAgoMs: number | undefined;
}): boolean {
  const staleHere = o.lastHeartbeatMs !== undefined && o.nowMs - o.lastHeartbeatMs >= o.linkLostMs;
  if (!staleHere) return true;
  return !(o.heardAgoMs !== undefined && o.heardAgoMs < o.linkLostMs);
}
