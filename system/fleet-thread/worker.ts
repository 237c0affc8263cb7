import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { startSimFleet, type SimFleet } from '../../simulators/fleet.ts';
import { SimError } from '../../simulators/fleet/errors.ts';
import { LagMonitor } from '../../util/event-loop-lag.ts';
import { parseToFleetThread, type FleetThreadConfig, type FleetThreadReply, type FromFleetThread } from './messages.ts';

// The simulated fleet of `ringwatch up --sim` on its own event loop. In the field these
// devices are their own hardware: they go on sending while our main thread is busy, so
// a stall on our side shows as late PUBACKs and missed heartbeats rather than being
// hidden by the devices stalling with it. See fleet-thread.ts for the other side.

const port = parentPort!;
const cfg = (workerData as { config: FleetThreadConfig }).config;
const logger = pino({ level: cfg.logLevel }).child({ part: 'sim' });
const post = (m: FromFleetThread) => port.postMessage(m);
const lag = new LagMonitor();

let fleet: SimFleet;
try {
  fleet = await startSimFleet({
    site: cfg.site,
    secrets: cfg.secrets,
    mqttUrl: cfg.mqttUrl,
    speed: cfg.speed,
    droneUdpPorts: cfg.droneUdpPorts ?? 'site',
    ...(cfg.scenario ? { scenario: cfg.scenario } : {}),
    ...(cfg.httpPort !== undefined ? { httpPort: cfg.httpPort } : {}),
    log: (line) => logger.info(line),
  });
} catch (err) {
  post({ kind: 'start-failed', message: (err as Error).message });
  lag.close();
  throw err;
}

const refusal = (err: unknown): FleetThreadReply => (err instanceof SimError ? { what: 'error', message: err.message, code: err.code } : { what: 'error', message: (err as Error).message });

port.on('message', (raw: unknown) => {
  const m = parseToFleetThread(raw);
  if (m instanceof Error) {
    logger.error({ err: m.message }, 'fleet thread: message refused');
    return;
  }
  const answer = (reply: FleetThreadReply) => post({ kind: 'reply', id: m.id, reply });
  const r = m.request;
  switch (r.what) {
    case 'inject-fault':
      fleet.injectFault(r.req).then(
        () => answer({ what: 'done' }),
        (err: unknown) => answer(refusal(err)),
      );
      break;
    case 'trigger-event':
      try {
        answer({ what: 'event', event: fleet.triggerEvent(r.req) });
      } catch (err) {
        answer(refusal(err));
      }
      break;
    case 'lag':
      answer({ what: 'lag', lag: lag.snapshot() });
      break;
    case 'close':
      lag.close();
      fleet.close().then(
        () => {
          answer({ what: 'done' });
          port.close();
        },
        (err: unknown) => answer(refusal(err)),
      );
      break;
  }
});

post({ kind: 'ready', speed: fleet.speed, counts: { drones: fleet.drones.size, speakers: fleet.speakers.size, sensors: fleet.sensors.size }, ...(fleet.httpUrl ? { httpUrl: fleet.httpUrl } : {}) });
