/**
 * Named timeouts and retry budgets (QGroundControl keeps them named, with short ones
 * for faster tests). Production values follow the MAVLink command and mission protocol
 * recommendations; tests inject shorter ones through `ControlTimeouts`.
 */
export interface ControlTimeouts {
  /** COMMAND_LONG/COMMAND_INT: wait this long for COMMAND_ACK before resending. */
  commandAckMs: number;
  /** Resends of a command after the first send (confirmation incremented each time). */
  commandRetries: number;
  /** After an IN_PROGRESS ack, how long without any further ack before giving up. */
  commandInProgressMs: number;
  /** Mission protocol: wait for MISSION_COUNT, for the vehicle's next request during an upload, and for MISSION_ACK. */
  missionAckMs: number;
  /** Mission protocol download: wait this long for each item we requested. */
  missionItemMs: number;
  /** Mission protocol: resends of one step before the transfer fails. */
  missionRetries: number;
  /** No HEARTBEAT for this long and the vehicle's link is declared lost. */
  linkLostMs: number;
  /** Our GCS heartbeat period (MAVLink: 1 Hz). */
  gcsHeartbeatMs: number;
  /**
   * Arming refused for a transient pre-arm reason (boot, EKF, GPS settling, PX4's
   * TEMPORARILY_REJECTED): keep retrying this long. ArduCopter SITL was armable ~41 s after
   * a cold boot, so this covers a real boot with margin.
   */
  armReadyBudgetMs: number;
  /** …waiting this long between attempts. */
  armRetryIntervalMs: number;
  /**
   * After a refused COMMAND_ACK, wait this long for the STATUSTEXT that gives the reason:
   * ArduPilot sends it a few ms after the ack, PX4 ~880 ms after.
   */
  commandReasonMs: number;
  /** A chunked STATUSTEXT whose last chunk never came is delivered as-is after this. */
  statusTextChunkMs: number;
  /** After an accepted take-off, the vehicle must reach the requested altitude within this. */
  takeoffClimbMs: number;
  /** MQTT device commands: first ack expected within this. */
  deviceAckMs: number;
  /** MQTT device commands: a terminal ack expected within this after the first. */
  deviceCompletionMs: number;
}

export const DEFAULT_TIMEOUTS: ControlTimeouts = {
  commandAckMs: 1500,
  commandRetries: 3,
  commandInProgressMs: 10_000,
  missionAckMs: 1500,
  missionItemMs: 250,
  missionRetries: 5,
  linkLostMs: 3000,
  gcsHeartbeatMs: 1000,
  armReadyBudgetMs: 90_000,
  armRetryIntervalMs: 2000,
  commandReasonMs: 1500,
  statusTextChunkMs: 1000,
  takeoffClimbMs: 90_000,
  deviceAckMs: 3000,
  deviceCompletionMs: 120_000,
};

/** Timeouts for tests on loopback: short, but long enough for a loaded 2-core machine. */
export const FAST_TIMEOUTS: ControlTimeouts = {
  commandAckMs: 150,
  commandRetries: 3,
  commandInProgressMs: 2000,
  missionAckMs: 200,
  missionItemMs: 60,
  missionRetries: 8,
  linkLostMs: 600,
  gcsHeartbeatMs: 100,
  armReadyBudgetMs: 5000,
  armRetryIntervalMs: 200,
  commandReasonMs: 400,
  statusTextChunkMs: 300,
  takeoffClimbMs: 10_000,
  deviceAckMs: 500,
  deviceCompletionMs: 3000,
};

export function withTimeouts(over: Partial<ControlTimeouts> = {}): ControlTimeouts {
  return { ...DEFAULT_TIMEOUTS, ...over };
}

/** The control service's clock; injected so pure parts never call Date.now(). */
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };
