import { describe, expect, it } from 'vitest';
import { Ledger } from '../../control/ledger/ledger.ts';
import { controlHealth, overallHealth } from '../../control/observability/health.ts';
import { controlObservability, type ControlObservables } from '../../control/observability/metrics.ts';
import { brokerPromRegistry } from '../../broker/metrics.ts';
import { FAST_TIMEOUTS } from '../../control/timeouts.ts';
import { Vehicle } from '../../control/vehicle/vehicle.ts';

describe('controlHealth', () => {
  const up = { droneId: 'd1', online: true, lastHeartbeatAgeMs: 100 };
  it.each([
    ['all up', { drones: [up], brokerConnected: true, heldCommands: 0 }, 'ok', []],
    ['without MQTT', { drones: [up], brokerConnected: undefined, heldCommands: 0 }, 'ok', []],
    ['a drone never heard (switched off in its hangar)', { drones: [up, { droneId: 'd2', online: false, lastHeartbeatAgeMs: undefined }], brokerConnected: true, heldCommands: 0 }, 'ok', []],
    ['a drone lost', { drones: [up, { droneId: 'd2', online: false, lastHeartbeatAgeMs: 12_400 }], brokerConnected: true, heldCommands: 0 }, 'degraded', ['d2: MAVLink link lost, last heartbeat 12 s ago']],
    ['broker away', { drones: [up], brokerConnected: false, heldCommands: 3 }, 'down', [expect.stringMatching(/^broker unreachable: .*3 device command\(s\) held/)]],
  ] as const)('%s', (_n, input, status, reasons) => {
    const h = controlHealth(input);
    expect(h.status).toBe(status);
    expect(h.reasons).toEqual(reasons);
  });

  it('overall health is the worst part, each reason naming its part', () => {
    expect(overallHealth({ broker: { status: 'ok', reasons: [] }, control: { status: 'down', reasons: ['broker unreachable'] }, telemetry: { status: 'degraded', reasons: ['InfluxDB unreachable'] } })).toEqual({
      status: 'down',
      reasons: ['control: broker unreachable', 'telemetry: InfluxDB unreachable'],
    });
  });
});

/** A vehicle as the metrics read it. */
function vehicle(droneId: string, systemId: number, online: boolean, lastHeartbeatMs: number | undefined, qualityPct?: number) {
  return { droneId, systemId, endpointUrl: `udp://0.0.0.0:${14550 + systemId}`, online, lastHeartbeatMs, linkLostCount: online ? 0 : 1, linkMeter: { qualityPct } };
}

describe('control /metrics', () => {
  it('serves per-drone link state, refused frames by reason, ledger transitions, the broker link', async () => {
    const now = 1_000_000;
    const clock = { nowMs: () => now };
    const ledger = new Ledger(clock);
    const v1 = vehicle('drone-1', 1, true, now - 500, 97.5);
    const v2 = vehicle('drone-2', 2, false, now - 20_000);
    const rejected = { wrongPeer: 0, wrongSystem: 0, badSignature: 4, replay: 1, unsigned: 0 };
    const links = new Map([[v1.endpointUrl, { link: { counters: { rejectedBySystem: new Map([[1, rejected]]) } } }]]);
    const control = {
      vehicles: new Map([
        ['drone-1', v1],
        ['drone-2', v2],
      ]),
      links,
      ledger,
      devices: { counters: { acksReceived: 0, acksDropped: 2, held: 3, expiredUnsent: 1 } },
      gateway: { counters: { statusPublished: 9 } },
      stats: () => ({ links: [{ url: v1.endpointUrl, rxPackets: 120, txPackets: 40, badFrames: 2, unknownSystem: 1, rejected, vehicles: 1, online: 1 }], ledgerRefusedTransitions: 5 }),
    } as unknown as ControlObservables['control'];
    const bus = { connected: false, counters: { published: 10, publishErrors: 0, droppedBackpressure: 7, received: 0, reconnects: 2, retainedRepublished: 16 } };
    const o = controlObservability({ control, bus, wallMs: () => now });
    ledger.open({ id: 'c1', issuer: 'op', target: { kind: 'drone', id: 'drone-1' }, kind: 'arm', via: 'mavlink', payload: {} });
    ledger.move('c1', 'sent');
    ledger.open({ id: 'c2', issuer: 'op', target: { kind: 'speaker', id: 'sp-1' }, kind: 'play', via: 'mqtt', payload: {} });
    ledger.move('c2', 'sent');
    ledger.move('c2', 'timed_out', { detail: 'no ack' });
    const text = await o.registry.metrics();
    for (const line of [
      'ringwatch_control_drone_link_up{drone="drone-1"} 1',
      'ringwatch_control_drone_link_up{drone="drone-2"} 0',
      'ringwatch_control_link_lost_total{drone="drone-2"} 1',
      'ringwatch_control_drone_link_quality_pct{drone="drone-1"} 97.5',
      'ringwatch_control_drone_heartbeat_age_seconds{drone="drone-2"} 20',
      'ringwatch_control_drone_rejected_frames_total{drone="drone-1",reason="badSignature"} 4',
      'ringwatch_control_drone_rejected_frames_total{drone="drone-1",reason="replay"} 1',
      'ringwatch_control_link_rx_packets_total{link="udp://0.0.0.0:14551"} 120',
      'ringwatch_control_link_bad_frames_total{link="udp://0.0.0.0:14551"} 2',
      'ringwatch_control_ledger_transitions_total{via="mqtt",state="timed_out"} 1',
      'ringwatch_control_ledger_transitions_total{via="mavlink",state="sent"} 1',
      'ringwatch_control_ledger_open_records{via="mavlink"} 1',
      'ringwatch_control_ledger_open_records{via="mqtt"} 0',
      'ringwatch_control_ledger_refused_transitions_total 5',
      'ringwatch_control_broker_connected 0',
      'ringwatch_control_broker_reconnects_total 2',
      'ringwatch_control_retained_republished_total 16',
      'ringwatch_control_device_commands_held_total 3',
      'ringwatch_control_device_commands_expired_unsent_total 1',
    ])
      expect(text).toContain(line);
    const h = o.health();
    expect(h.status).toBe('down');
    expect(h.reasons).toEqual([expect.stringMatching(/broker unreachable.*2 device command/), 'drone-2: MAVLink link lost, last heartbeat 20 s ago']);
    o.close();
  });

  it('serves the broker counters with every refusal reason present', async () => {
    const reg = brokerPromRegistry(() => ({
      clients: { drone: 0, speaker: 14, sensor: 17, control: 1, telemetry: 1, web: 0 },
      clientsTotal: 33,
      messagesIn: 500,
      messagesOut: 900,
      rejects: { schema: 3, auth: 1 },
      rejectsTotal: 4,
      retainCleared: 2,
    }));
    const text = await reg.metrics();
    for (const line of [
      'ringwatch_broker_clients{identity="speaker"} 14',
      'ringwatch_broker_messages_in_total 500',
      'ringwatch_broker_messages_out_total 900',
      'ringwatch_broker_retain_cleared_total 2',
      'ringwatch_broker_rejects_total{reason="schema"} 3',
      'ringwatch_broker_rejects_total{reason="rate"} 0',
    ])
      expect(text).toContain(line);
  });
});

describe('ringwatch_control_link_lost_total', () => {
  it('counts each time a vehicle is declared lost, per drone, and not a regained link', async () => {
    const clock = { nowMs: () => 0 };
    const make = (droneId: string, systemId: number) =>
      new Vehicle({ droneId, systemId, endpointUrl: 'test://', timeouts: FAST_TIMEOUTS, clock, send: () => {} });
    const v1 = make('drone-1', 1);
    const v2 = make('drone-2', 2);
    const lostMs = FAST_TIMEOUTS.linkLostMs;
    // drone-1: up, lost, back, lost again; drone-2: up and never lost.
    v1.heartbeatSeen(0);
    v2.heartbeatSeen(0);
    v1.checkLink(lostMs);
    v1.checkLink(lostMs + 1); // already lost: not counted twice
    v1.heartbeatSeen(lostMs + 10);
    v1.checkLink(2 * lostMs + 10);
    v2.heartbeatSeen(lostMs);
    v2.checkLink(lostMs + 1);
    const control = {
      vehicles: new Map([
        ['drone-1', v1],
        ['drone-2', v2],
      ]),
      links: new Map(),
      ledger: new Ledger(clock),
      stats: () => ({ links: [], ledgerRefusedTransitions: 0 }),
    } as unknown as ControlObservables['control'];
    const o = controlObservability({ control, wallMs: () => 0 });
    const text = await o.registry.metrics();
    expect(text).toContain('# TYPE ringwatch_control_link_lost_total counter');
    expect(text).toContain('ringwatch_control_link_lost_total{drone="drone-1"} 2');
    expect(text).toContain('ringwatch_control_link_lost_total{drone="drone-2"} 0');
    o.close();
  });
});
