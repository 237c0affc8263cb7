import type { RejectReason } from '../link.ts';
import type { LagSnapshot } from '../../util/event-loop-lag.ts';

/**
 * What the link thread needs to run one endpoint: the transport, who may speak on it (for
 * the peer-pinning gate and the heartbeat stamps), and the GCS heartbeat it sends itself.
 * Plain data: it crosses to the worker by structured clone (keys as bytes, the stamps
 * buffer shared, not copied).
 */
export interface ThreadEndpointSpec {
  /** `udp://`, `udpout://` or `tcp://` (mavlink/endpoint.ts). */
  url: string;
  /** The system ids served on this endpoint, each with its 32-byte signing key if it has one. */
  systems: { systemId: number; key?: Uint8Array }[];
  /** The vehicle component whose HEARTBEAT is stamped (the autopilot, component 1). */
  autopilotComponentId: number;
  /** Signed `udp://` systems may move address after this much silence (default in PeerPinning). */
  repinAfterSilenceMs?: number;
  /** The GCS heartbeat the thread sends on this endpoint (absent: the thread sends none). */
  heartbeat?: GcsHeartbeatSpec;
  /** Shared with the main thread: heard stamps per system id, and the heartbeat counter (heard-stamps.ts). */
  stamps: SharedArrayBuffer;
}

export interface GcsHeartbeatSpec {
  systemId: number;
  componentId: number;
  intervalMs: number;
  /**
   * The signing link id on the thread's heartbeats. The receiver keeps one timestamp per
   * (system, component, link id) and drops anything not newer (MAVLink message signing,
   * "Timestamp handling"); the main thread signs its commands with its own timestamps, so
   * the two senders must not share a link id or one would make the other's frames stale.
   */
  signingLinkId: number;
  /** One heartbeat per key, as a vehicle drops frames signed with another vehicle's key. */
  keys: Uint8Array[];
  /** Also send one unsigned heartbeat (some system on the endpoint has no key). */
  unsigned: boolean;
}

/** A frame the thread refused (peer pinning), to be counted and logged by the main thread's link. */
export interface ThreadReject {
  id: number;
  reason: RejectReason;
  sysid: number;
  source: string;
  detail: string;
}

/**
 * Bytes for several endpoints in one message: chunk `k` is `lens[k]` bytes of `buf` for
 * endpoint `ids[k]`, in order. One transferred buffer per event-loop turn instead of one
 * message per datagram is what keeps a thousand endpoints cheap.
 */
export interface ChunkBatch {
  ids: Uint32Array;
  lens: Uint32Array;
  buf: Uint8Array;
}

/** What the link thread is started with. */
export interface LinkWorkerData {
  /** Inbound bytes posted to the main thread and not yet acknowledged, at the most. */
  maxUnackedRxBytes: number;
}

/** 8 MiB: some 16 s of 1,000 drones' traffic, far beyond a healthy main thread's lag. */
export const DEFAULT_MAX_UNACKED_RX_BYTES = 8 * 2 ** 20;

export type ToThread =
  | { t: 'open'; id: number; spec: ThreadEndpointSpec }
  | { t: 'close'; id: number }
  | ({ t: 'tx' } & ChunkBatch)
  /** The main thread has taken this many inbound bytes (the `buf` of `rx` batches). */
  | { t: 'ack'; bytes: number }
  | { t: 'shutdown' };

export type FromThread =
  | { t: 'ready' }
  | { t: 'opened'; id: number }
  | { t: 'open_failed'; id: number; message: string }
  /** The endpoint's transport ended without being asked to (a socket error). */
  | { t: 'ended'; id: number; message: string }
  | ({ t: 'rx'; rejects: ThreadReject[]; logs: string[] } & ChunkBatch)
  /** Every second: the thread's loop, and the inbound bytes it dropped since it started because the main thread did not take them. */
  | { t: 'stats'; lag: LagSnapshot; rxDropped: { chunks: number; bytes: number } }
  | { t: 'bye' };
