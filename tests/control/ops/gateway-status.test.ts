import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { TelemetryGateway, type GatewayVehicle } from '../../../control/gateway/telemetry-gateway.ts';
import type { Bus } from '../../../control/mqtt/bus.ts';
import type { VehicleEvents } from '../../../control/vehicle/vehicle.ts';
import type { StatusPayload } from '../../../protocol/index.ts';
import { FAST_TIMEOUTS } from '../../../control/timeouts.ts';

/**
 * The gateway's in-process status (issue 13 item 1), without a link or a broker: a fake
 * vehicle with only what the gateway reads, and a bus that records what was published.
 */
function fakeVehicle(droneId: string) {
  return Object.assign(new EventEmitter<VehicleEvents>(), {
    droneId,
    endpointUrl: 'udpout://127.0.0.1:1',
    online: false,
    telemetry: () => undefined,
    telemetryState: {},
    timeouts: FAST_TIMEOUTS,
  }) satisfies GatewayVehicle;
}

const published: { topic: string; payload: StatusPayload }[] = [];
const bus: Bus = {
  publish: (topic, payload) => void published.push({ topic, payload: JSON.parse(payload) as StatusPayload }),
  subscribe: async () => undefined,
};
let gateway: TelemetryGateway | undefined;
afterEach(() => {
  gateway?.close();
  gateway = undefined;
  published.length = 0;
});

describe('TelemetryGateway status in-process', () => {
  it('replays each drone’s current status to a new listener, then hands over every change as it publishes it', () => {
    gateway = new TelemetryGateway({ bus, clock: { nowMs: () => 1000 }, telemetryRateHz: 1 });
    const a = fakeVehicle('drone-a');
    const b = fakeVehicle('drone-b');
    gateway.add(a);
    gateway.add(b);
    a.online = true;
    a.emit('online');

    const got: string[] = [];
    gateway.onStatus((id, s) => got.push(`${id} ${s.state}${s.reason ? ` (${s.reason})` : ''}`));
    // What a subscriber to the retained topic would get: the latest per drone, not the history.
    expect(got).toEqual(['drone-a online', 'drone-b offline (no heartbeat yet)']);

    a.online = false;
    a.emit('link_lost');
    expect(got.at(-1)).toBe('drone-a offline (mavlink_link_lost)');
    // The same record went to the broker, retained, for the map and telemetry.
    expect(published.filter((p) => p.topic === 'ringwatch/v1/drone/drone-a/status').at(-1)!.payload).toMatchObject({ state: 'offline', reason: 'mavlink_link_lost', via: 'control' });
  });

  it('names the broker copies it handed over already: telemetry and status of its own drones only', () => {
    gateway = new TelemetryGateway({ bus, clock: { nowMs: () => 1000 }, telemetryRateHz: 1 });
    gateway.add(fakeVehicle('drone-a'));
    expect(gateway.handsOver('drone-a', 'status')).toBe(true);
    expect(gateway.handsOver('drone-a', 'telemetry')).toBe(true);
    // Events are only published (the map and telemetry read them; control has them first hand).
    expect(gateway.handsOver('drone-a', 'event')).toBe(false);
    // An MQTT drone control does not speak for.
    expect(gateway.handsOver('drone-z', 'status')).toBe(false);
  });

  it('stops handing over to a listener that unsubscribed', () => {
    gateway = new TelemetryGateway({ bus, clock: { nowMs: () => 1000 }, telemetryRateHz: 1 });
    const a = fakeVehicle('drone-a');
    gateway.add(a);
    const got: string[] = [];
    const off = gateway.onStatus((_id, s) => got.push(s.state));
    off();
    a.emit('online');
    expect(got).toEqual(['offline']);
  });
});
