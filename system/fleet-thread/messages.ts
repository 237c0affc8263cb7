import type { SensorEvent } from '../../protocol/index.ts';
import type { SecretsFile, Site } from '../../site/index.ts';
import type { SimErrorCode } from '../../simulators/fleet/errors.ts';
import type { EventRequest, FaultRequest } from '../../simulators/fleet/faults.ts';
import type { Scenario } from '../../simulators/scenario/load.ts';
import { isLagSnapshot, type LagSnapshot } from '../../util/event-loop-lag.ts';

/**
 * The fleet thread's protocol: its start options (workerData) and the messages both
 * ways, all structured-clone safe and narrowed on arrival.
 */

export interface FleetThreadConfig {
  site: Site;
  secrets: SecretsFile;
  mqttUrl: string;
  speed: number;
  scenario?: Scenario;
  httpPort?: number;
  /** 'site' (ringwatch up): each drone on its site port; 'any': free ports (tests beside other stacks). */
  droneUdpPorts?: 'site' | 'any';
  logLevel: string;
}

export interface FleetCounts {
  drones: number;
  speakers: number;
  sensors: number;
}

export type FleetThreadRequest = { what: 'inject-fault'; req: FaultRequest } | { what: 'trigger-event'; req: EventRequest } | { what: 'lag' } | { what: 'close' };

/** A refusal keeps the simulator's own code, so the main thread raises the same SimError. */
export type FleetThreadReply =
  | { what: 'done' }
  | { what: 'event'; event: SensorEvent }
  | { what: 'lag'; lag: LagSnapshot }
  | { what: 'error'; message: string; code?: SimErrorCode };

export type FromFleetThread =
  | { kind: 'ready'; speed: number; counts: FleetCounts; httpUrl?: string }
  | { kind: 'start-failed'; message: string }
  | { kind: 'reply'; id: number; reply: FleetThreadReply };

export type ToFleetThread = { kind: 'request'; id: number; request: FleetThreadRequest };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;

export function parseFromFleetThread(m: unknown): FromFleetThread | Error {
  if (!isObject(m)) return new Error('fleet thread message is not an object');
  switch (m['kind']) {
    case 'ready': {
      const c = m['counts'];
      if (typeof m['speed'] !== 'number' || !isObject(c) || !isCount(c['drones']) || !isCount(c['speakers']) || !isCount(c['sensors'])) return new Error('ready: speed or counts malformed');
      return m as FromFleetThread;
    }
    case 'start-failed':
      return typeof m['message'] === 'string' ? (m as FromFleetThread) : new Error('start-failed without a message');
    case 'reply': {
      const r = m['reply'];
      if (!Number.isInteger(m['id']) || !isObject(r)) return new Error('reply malformed');
      switch (r['what']) {
        case 'done':
          return m as FromFleetThread;
        case 'event':
          return isObject(r['event']) ? (m as FromFleetThread) : new Error('event reply without an event');
        case 'lag':
          return isLagSnapshot(r['lag']) ? (m as FromFleetThread) : new Error('lag reply malformed');
        case 'error':
          return typeof r['message'] === 'string' && (r['code'] === undefined || typeof r['code'] === 'string') ? (m as FromFleetThread) : new Error('error reply malformed');
        default:
          return new Error(`unknown reply "${String(r['what'])}"`);
      }
    }
    default:
      return new Error(`unknown fleet thread message kind "${String(m['kind'])}"`);
  }
}

/** Fault and event bodies are checked by the simulator itself (as before the thread); here only the envelope. */
export function parseToFleetThread(m: unknown): ToFleetThread | Error {
  if (!isObject(m) || m['kind'] !== 'request' || !Number.isInteger(m['id']) || !isObject(m['request'])) return new Error('not a fleet thread request');
  const r = m['request'];
  if (r['what'] === 'lag' || r['what'] === 'close') return m as ToFleetThread;
  if ((r['what'] === 'inject-fault' || r['what'] === 'trigger-event') && isObject(r['req'])) return m as ToFleetThread;
  return new Error(`unknown fleet thread request "${String(r['what'])}"`);
}
