import type { IdentityLabel } from './identity.ts';

/** A sustained rate with a burst allowance. */
export interface RateLimit {
  ratePerS: number;
  burst: number;
}

/**
 * Overload limits. Every client has two buckets: one for routine traffic (telemetry,
 * service topics) and a separate one for what must get through (commands, acks, status,
 * events), so a client that floods telemetry cannot starve its own acks, and nobody's
 * flood starves anybody else's commands.
 */
export interface BrokerLimits {
  /** Routine messages per client, by identity label. */
  routine: Record<IdentityLabel, RateLimit>;
  /** Priority messages (cmd, ack, status, event) per client. */
  priority: RateLimit;
  /**
   * When a client's subscriber socket holds more than this many unsent bytes, or has
   * been stalled (full for subscriberStallMs), routine QoS 0 deliveries to it are shed
   * (counted as `slow_consumer`); cmd/ack/status/event are still queued.
   */
  maxSubscriberBacklogBytes: number;
  /** A subscriber socket full for this long stops holding publishers back (see socket-writes.ts). */
  subscriberStallMs: number;
  /**
   * Hard cap on unsent bytes per subscriber socket. Up to it, writes never make
   * publishers wait for a slow subscriber; past it, they do, and a subscriber that does
   * not drain within the drain timeout (10 s) is disconnected.
   */
  maxSubscriberQueueBytes: number;
  /** Upper bound on how long a rate-limited client's socket stays unread before it is read again. */
  maxPauseMs: number;
  /** Largest CONNECT remaining length; refused once its fixed header is read (see packet-size-guard.ts). */
  maxConnectBytes: number;
  /** Largest remaining length of any other packet. */
  maxPacketBytes: number;
  /** Open connections in total (TCP, TLS and WebSocket together). */
  maxConnections: number;
  /** Open connections from one source address. */
  maxConnectionsPerAddress: number;
  /** A device payload stamped further ahead of the broker's clock than this is refused. */
  maxClockAheadMs: number;
  /** A connection whose CONNECT has not fully arrived by then is closed. */
  connectTimeoutMs: number;
}

/**
 * Defaults sized for field devices: drone telemetry at 5-10 Hz, sensors far slower.
 * 100 msg/s sustained per device is ten times the fastest legitimate rate; the control
 * gateway speaks for up to dozens of drones and writes ledger records, so it gets more.
 */
export const DEFAULT_LIMITS: BrokerLimits = {
  routine: {
    drone: { ratePerS: 100, burst: 200 },
    speaker: { ratePerS: 100, burst: 200 },
    sensor: { ratePerS: 100, burst: 200 },
    control: { ratePerS: 5000, burst: 10000 },
    telemetry: { ratePerS: 100, burst: 200 },
    web: { ratePerS: 100, burst: 200 },
  },
  priority: { ratePerS: 500, burst: 1000 },
  maxSubscriberBacklogBytes: 4 * 1024 * 1024,
  maxSubscriberQueueBytes: 16 * 1024 * 1024,
  subscriberStallMs: 500,
  maxPauseMs: 250,
  // A CONNECT is credentials, a client id and a small will: 64 KiB is far above any real one.
  maxConnectBytes: 64 * 1024,
  // Device payloads are a few KiB; service payloads up to MAX_SERVICE_PAYLOAD_BYTES (256 KiB)
  // plus topic and header, so the packet cap leaves room for those.
  maxPacketBytes: 256 * 1024 + 1024,
  maxConnections: 20_000,
  // Sensors behind one cellular NAT share an address; the local services and simulators
  // all come from loopback.
  maxConnectionsPerAddress: 1_000,
  // Device clocks drift; five minutes ahead is a broken clock, not drift.
  maxClockAheadMs: 5 * 60_000,
  // Every open connection may hold up to maxConnectBytes of a CONNECT still arriving; a
  // real client sends its CONNECT right after connecting, so 10 s (aedes' default is
  // 30 s) bounds how long a trickled one ties that memory up.
  connectTimeoutMs: 10_000,
};

export function mergeLimits(base: BrokerLimits, patch: Partial<BrokerLimits> | undefined): BrokerLimits {
  if (!patch) return base;
  return { ...base, ...patch, routine: { ...base.routine, ...patch.routine } };
}
