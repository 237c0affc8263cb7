import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimError } from '../../simulators/fleet/errors.ts';
import { siteDeviceIds } from '../../simulators/fleet/select.ts';
import { startFleetThread, type FleetThread } from '../../system/fleet-thread/fleet-thread.ts';
import { startBroker, type TestBroker } from '../helpers/broker.ts';

/** A whole demo fleet connecting on a busy 2-core machine. */
const TEST_TIMEOUT_MS = 120_000;

/**
 * `ringwatch up --sim` runs the simulated fleet on its own thread; the console's fault
 * and event calls cross the thread boundary and come back as before: the event sent, or
 * the simulator's own SimError (code, HTTP status and message).
 */
describe('the simulated fleet on its own thread', () => {
  let broker: TestBroker | undefined;
  let fleet: FleetThread | undefined;

  beforeAll(async () => {
    broker = await startBroker();
    fleet = await startFleetThread({ site: broker.site, secrets: broker.secrets, mqttUrl: broker.url, speed: 1, droneUdpPorts: 'any', logLevel: 'silent' }, pino({ level: 'silent' }));
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    await fleet?.close();
    await broker?.close();
  });

  it('reports its device counts and answers the lag request', async () => {
    const ids = siteDeviceIds(broker!.site);
    expect(fleet!.counts).toEqual({ drones: ids.drones.length, speakers: ids.speakers.length, sensors: ids.sensors.length });
    const lag = await fleet!.lag();
    expect(lag).toBeDefined();
    expect(lag!.maxS).toBeGreaterThanOrEqual(0);
    expect(lag!.utilization).toBeGreaterThanOrEqual(0);
    expect(lag!.utilization).toBeLessThanOrEqual(1);
  });

  it('sends a scripted event and returns it', async () => {
    const event = await fleet!.triggerEvent({ checkpoint: 'cp-1', type: 'perimeter_intrusion' });
    expect(event).toMatchObject({ type: 'perimeter_intrusion', checkpointId: 'cp-1' });
  });

  it('refuses as the simulator does, with its error code', async () => {
    const unknownSensor = await fleet!.triggerEvent({ sensor: 'no-such-sensor', type: 'panic_button' }).catch((e: unknown) => e);
    expect(unknownSensor).toBeInstanceOf(SimError);
    expect(unknownSensor).toMatchObject({ code: 'unknown_device', statusCode: 404, message: 'no device "no-such-sensor" in site lakeside' });
    const cannot = await fleet!.triggerEvent({ checkpoint: 'cp-1', type: 'crowd_count' }).catch((e: unknown) => e);
    expect(cannot).toMatchObject({ code: 'cannot_emit', message: 'field /type: no started sensor at cp-1 emits crowd_count' });
    const fault = await fleet!.injectFault({ device: 'no-such-drone', kind: 'link_loss', durationS: 5 }).catch((e: unknown) => e);
    expect(fault).toBeInstanceOf(SimError);
    expect(fault).toMatchObject({ code: 'unknown_device' });
  });
});
