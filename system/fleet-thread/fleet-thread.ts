import type { Logger } from 'pino';
import type { SensorEvent } from '../../protocol/index.ts';
import { SIM_ERRORS, SimError, type SimErrorCode } from '../../simulators/fleet/errors.ts';
import type { EventRequest, FaultRequest } from '../../simulators/fleet/faults.ts';
import type { LagSnapshot } from '../../util/event-loop-lag.ts';
import { startWorker, type StartSignal } from '../../util/start-worker.ts';
import { WorkerRequests } from '../threads/worker-requests.ts';
import { parseFromFleetThread, type FleetCounts, type FleetThreadConfig, type FleetThreadReply, type FleetThreadRequest, type FromFleetThread, type ToFleetThread } from './messages.ts';

/** Named bounds. */
export const FLEET_THREAD_TIMEOUTS = {
  /** Every device connected (a thousand sensors take a while on a busy machine). */
  startMs: 180_000,
  /** A fault or event the thread does not confirm in this long is reported as failed. */
  requestMs: 10_000,
  /** Under the metrics thread's deadline for the main thread, which relays the fleet's figures. */
  lagMs: 500,
  /** The fleet's own close before the thread is terminated. */
  closeMs: 15_000,
};

/** The simulated fleet as `ringwatch up --sim` sees it: the console's fault and event calls, the counts for the log. */
export interface FleetThread {
  readonly speed: number;
  readonly counts: FleetCounts;
  readonly httpUrl?: string;
  /** As SimFleet.injectFault: resolves when applied, rejects with the simulator's SimError. */
  injectFault(req: FaultRequest): Promise<void>;
  /** As SimFleet.triggerEvent, over the thread boundary: the event sent, or the simulator's SimError. */
  triggerEvent(req: EventRequest): Promise<SensorEvent>;
  lag(): Promise<LagSnapshot | undefined>;
  close(): Promise<void>;
}

/**
 * Starts the simulated fleet in a worker thread (system/fleet-thread/worker.ts). A thread
 * that dies is logged (alert SimFleetThreadDown) and not restarted: these are test
 * devices, and an engineer restarts `ringwatch up` when they want them back.
 */
export async function startFleetThread(config: FleetThreadConfig, logger: Logger): Promise<FleetThread> {
  const { worker, ready } = await startWorker({
    entry: new URL('../threads/worker-entry.mjs', import.meta.url),
    workerData: { module: new URL('./worker.ts', import.meta.url).href, config },
    name: 'the simulated fleet thread',
    startMs: FLEET_THREAD_TIMEOUTS.startMs,
    parse: (raw): StartSignal<Extract<FromFleetThread, { kind: 'ready' }>> => {
      const m = parseFromFleetThread(raw);
      if (m instanceof Error) return void logger.error({ err: m.message }, 'fleet thread: message refused');
      if (m.kind === 'start-failed') return { failed: m.message };
      return m.kind === 'ready' ? { ready: m } : undefined;
    },
  });
  const requests = new WorkerRequests<FleetThreadRequest, FleetThreadReply>(worker, (id, request): ToFleetThread => ({ kind: 'request', id, request }));
  let closing = false;
  worker.on('message', (raw: unknown) => {
    const m = parseFromFleetThread(raw);
    if (m instanceof Error) return logger.error({ err: m.message }, 'fleet thread: message refused');
    if (m.kind === 'reply') requests.answered(m.id, m.reply);
  });
  worker.on('error', (err) => logger.error({ err, alert: 'SimFleetThreadDown' }, `simulated fleet thread failed: ${err.message}`));
  worker.once('exit', (code) => {
    if (!closing) logger.error({ alert: 'SimFleetThreadDown', code }, `the simulated fleet thread exited (code ${code}); the simulated devices are gone until ringwatch up is restarted`);
  });

  const ask = async (request: FleetThreadRequest, timeoutMs: number): Promise<FleetThreadReply> => {
    const reply = await requests.ask(request, timeoutMs);
    if (!reply) throw new Error(`the simulated fleet did not answer within ${timeoutMs} ms`);
    if (reply.what === 'error') throw reply.code && reply.code in SIM_ERRORS ? new SimError(reply.code as SimErrorCode, reply.message) : new Error(reply.message);
    return reply;
  };

  return {
    speed: ready.speed,
    counts: ready.counts,
    ...(ready.httpUrl ? { httpUrl: ready.httpUrl } : {}),
    async injectFault(req) {
      await ask({ what: 'inject-fault', req }, FLEET_THREAD_TIMEOUTS.requestMs);
    },
    async triggerEvent(req) {
      const r = await ask({ what: 'trigger-event', req }, FLEET_THREAD_TIMEOUTS.requestMs);
      if (r.what !== 'event') throw new Error(`the simulated fleet answered "${r.what}" to an event`);
      return r.event;
    },
    async lag() {
      const r = await requests.ask({ what: 'lag' }, FLEET_THREAD_TIMEOUTS.lagMs);
      return r?.what === 'lag' ? r.lag : undefined;
    },
    async close() {
      if (closing) return;
      closing = true;
      const r = await requests.ask({ what: 'close' }, FLEET_THREAD_TIMEOUTS.closeMs);
      if (r?.what !== 'done') logger.warn({ reply: r }, 'the simulated fleet did not close in time; terminating its thread');
      await worker.terminate();
    },
  };
}
