import type { PartHealth } from '../../control/observability/health.ts';
import { isLagSnapshot, type LagSnapshot } from '../../util/event-loop-lag.ts';
import type { MetricsJson } from '../broker-thread/messages.ts';

/**
 * What the metrics thread asks the threads it serves for (its "peers": main and the
 * broker thread), each over a MessagePort of its own so no request goes through a third
 * thread that may be the busy one. Plain data both ways (structured clone).
 */
export type PeerRequest = { what: 'metrics' } | { what: 'health' } | { what: 'ping' };

/** A part's verdict as a peer reports it; other fields (drone counts, the telemetry record) pass through as they are. */
export type PeerPart = PartHealth & { external?: boolean };

export type PeerReply =
  /** The peer's series (prom-client JSON) and its own event-loop figures. */
  | { what: 'metrics'; metrics: MetricsJson; lag: LagSnapshot }
  /** The parts this peer judges: main answers broker, control and telemetry; the broker thread telemetry. */
  | { what: 'health'; parts: Record<string, PeerPart> }
  | { what: 'pong' }
  | { what: 'error'; message: string };

export type ToPeer = { kind: 'peer-request'; id: number; request: PeerRequest };
export type FromPeer = { kind: 'peer-reply'; id: number; reply: PeerReply };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPart = (v: unknown): v is PeerPart => isObject(v) && ['ok', 'degraded', 'down'].includes(v['status'] as string) && Array.isArray(v['reasons']);

/** Narrows a request that came to a peer; anything else is an Error (a bug on our side). */
export function parseToPeer(m: unknown): ToPeer | Error {
  if (!isObject(m) || m['kind'] !== 'peer-request' || !Number.isInteger(m['id']) || !isObject(m['request'])) return new Error('not a metrics thread request');
  const what = m['request']['what'];
  return what === 'metrics' || what === 'health' || what === 'ping' ? (m as ToPeer) : new Error(`unknown metrics thread request "${String(what)}"`);
}

/** Narrows a peer's reply in the metrics thread. */
export function parseFromPeer(m: unknown): FromPeer | Error {
  if (!isObject(m) || m['kind'] !== 'peer-reply' || !Number.isInteger(m['id']) || !isObject(m['reply'])) return new Error('not a peer reply');
  const r = m['reply'];
  switch (r['what']) {
    case 'metrics':
      return Array.isArray(r['metrics']) && isLagSnapshot(r['lag']) ? (m as FromPeer) : new Error('metrics reply malformed');
    case 'health':
      return isObject(r['parts']) && Object.values(r['parts']).every(isPart) ? (m as FromPeer) : new Error('health reply malformed');
    case 'pong':
      return m as FromPeer;
    case 'error':
      return typeof r['message'] === 'string' ? (m as FromPeer) : new Error('error reply without a message');
    default:
      return new Error(`unknown peer reply "${String(r['what'])}"`);
  }
}
