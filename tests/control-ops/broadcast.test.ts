import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { eventually, until } from '../helpers/wait.ts';
import { MqttBus } from '../../control/mqtt/bus.ts';
import { Ledger } from '../../control/ledger/ledger.ts';
import { DeviceCommands } from '../../control/mqtt/device-commands.ts';
import { BroadcastService, BroadcastError } from '../../control/ops/broadcast-service.ts';
import { WarningLibrary } from '../../control/ops/warning-library.ts';
import type { DeliverySnapshot, DeliveryState } from '../../control/broadcast/delivery.ts';
import type { LedgerRecord, LedgerState } from '../../control/ledger/machine.ts';
import mqtt from 'mqtt';
import { deviceTopic } from '../../protocol/index.ts';
import { startSimSpeaker, type SimSpeakerHandle } from '../../simulators/speaker/device.ts';
import type { Clip } from '../../simulators/speaker/playback.ts';

const SPEED = 20; // simulated speech runs 20x faster than real time
const ANSWER_TIMEOUT_MS = 1500;
const clock = { nowMs: () => Date.now() };

let broker: TestBroker;
let bus: MqttBus;
let devices: DeviceCommands;
let ledger: Ledger;
let service: BroadcastService;
let updates: DeliverySnapshot[];
const speakers: SimSpeakerHandle[] = [];

beforeEach(async () => {
  broker = await startBroker();
  bus = await MqttBus.connect({ url: broker.url, username: 'control', password: broker.secrets.services['control']!, clientSuffix: 'bcast-test' });
  ledger = new Ledger(clock);
  // The one answer timeout: the ledger's. The report has none of its own.
  devices = new DeviceCommands(bus, ledger, clock, { deviceAckMs: ANSWER_TIMEOUT_MS, deviceCompletionMs: 20_000 });
  await devices.start();
  updates = [];
  service = new BroadcastService({
    site: broker.site,
    bus,
    devices,
    ledger,
    warnings: new WarningLibrary(broker.site.warnings),
    clock,
    droneSpeakerPositions: () => new Map(),
    // These tests read the report of single attempts; retries have their own test file.
    retry: { maxAttempts: 1 },
    onUpdate: (s) => updates.push(s),
  });
  await service.start();
  const clips = new Map<string, Clip>(broker.site.warnings.map((w) => [w.id, { text: w.text, lang: w.lang }]));
  // The containment ring's fixed speakers, simulated at their site positions.
  for (const s of broker.site.speakers.filter((x) => ['sp-1', 'sp-2', 'sp-3', 'sp-4'].includes(x.id))) {
    speakers.push(await startSimSpeaker({ id: s.id, mqttUrl: broker.url, secret: broker.secrets.devices[s.id]!, speed: SPEED, clips, position: () => s.position }));
  }
});

afterEach(async () => {
  service.close();
  devices.close();
  await Promise.all(speakers.splice(0).map((s) => s.close()));
  await bus.client.endAsync();
  await broker.close();
});

/** The broadcast's report once `pred` holds. */
function reportWhen(pred: (s: DeliverySnapshot) => boolean, id: string, timeoutMs = 10_000): Promise<DeliverySnapshot> {
  return eventually(`broadcast ${id}'s report`, () => {
    const snap = service.get(id)!.report.snapshot();
    return pred(snap) && snap;
  }, timeoutMs, 20);
}

describe('broadcast to the containment ring', () => {
  it('reports each speaker: finished, failed with its reason, and silent as no_answer', async () => {
    await speakers[1]!.injectFault('fail_next_play');
    await speakers[2]!.injectFault('silent');
    const rec = service.send(
      { target: { kind: 'rings', ringIds: ['containment'] }, source: { kind: 'clip', clipId: 'warn-containment-zh' }, volumePct: 90, loop: false, priority: 60 },
      'chief',
    );
    // Speakers of the ring that this test does not simulate stay silent too.
    const simulated = new Set(speakers.map((s) => s.id));
    const targeted = [...rec.commandIds.keys()];
    expect(targeted).toEqual(expect.arrayContaining([...simulated]));
    const snap = await reportWhen((s) => s.done, rec.id);
    const state = (id: string) => snap.speakers.find((s) => s.speakerId === id)!;
    expect(state('sp-1').state).toBe('finished');
    expect(state('sp-1').atMs.accepted).toBeLessThanOrEqual(state('sp-1').atMs.playing!);
    expect(state('sp-2')).toMatchObject({ state: 'failed' });
    expect(state('sp-2').reason).toBeTruthy();
    expect(state('sp-3').state).toBe('no_answer');
    expect(state('sp-4').state).toBe('finished');
    for (const id of targeted.filter((x) => !simulated.has(x))) expect(state(id).state).toBe('no_answer');
    // The report never ran ahead of the speakers: the first update had nobody playing.
    expect(updates[0]!.counts.pending).toBe(targeted.length);
    // Every speaker's command is in the ledger, settled from its ack.
    expect(ledger.get(rec.commandIds.get('sp-1')!)!.state).toBe('succeeded');
  });

  it('lets a higher priority preempt a looping warning, and stops on request', async () => {
    const low = service.send({ target: { kind: 'devices', deviceIds: ['sp-1'] }, source: { kind: 'tts', text: 'Please keep the walkway clear.', lang: 'en' }, volumePct: 50, loop: true, priority: 20 }, 'chief');
    await reportWhen((s) => s.speakers[0]!.state === 'playing', low.id);
    const high = service.send({ target: { kind: 'devices', deviceIds: ['sp-1'] }, source: { kind: 'clip', clipId: 'warn-dispute-en' }, volumePct: 100, loop: true, priority: 90 }, 'chief');
    expect((await reportWhen((s) => s.done, low.id)).speakers[0]!.state).toBe('preempted');
    await reportWhen((s) => s.speakers[0]!.state === 'playing', high.id);
    service.stop(high.id, 'chief');
    expect((await reportWhen((s) => s.done, high.id)).speakers[0]!.state).toBe('stopped');
  });

  it('refuses an unknown clip and a target with no speakers', () => {
    expect(() => service.send({ target: { kind: 'rings', ringIds: ['control'] }, source: { kind: 'clip', clipId: 'warn-nope' }, volumePct: 50, loop: false, priority: 10 }, 'chief')).toThrow(BroadcastError);
    expect(() => service.send({ target: { kind: 'radius', center: { latDeg: 0, lonDeg: 0 }, radiusM: 10 }, source: { kind: 'tts', text: 'x', lang: 'en' }, volumePct: 50, loop: false, priority: 10 }, 'chief')).toThrow(/no speaker/);
  });

  it('keeps report and ledger in agreement when a speaker acks after the ledger timeout', async () => {
    // A scripted speaker (sp-5 is outside the simulated four) that answers its play command
    // only once the ledger has timed it out, then finishes it.
    const sp = 'sp-5';
    const dev = await mqtt.connectAsync(broker.url, { username: sp, password: broker.secrets.devices[sp]!, clientId: sp });
    try {
      const cmds: { id: string }[] = [];
      dev.on('message', (_t, p) => cmds.push(JSON.parse(p.toString()) as { id: string }));
      await dev.subscribeAsync(deviceTopic('speaker', sp, 'cmd'), { qos: 1 });
      // Every published report, side by side with the ledger at that moment.
      const seen: { report: DeliveryState; ledger: LedgerState | undefined }[] = [];
      const rec = service.send({ target: { kind: 'devices', deviceIds: [sp] }, source: { kind: 'tts', text: 'late', lang: 'en' }, volumePct: 50, loop: false, priority: 10 }, 'chief');
      const commandId = rec.commandIds.get(sp)!;
      const agree = () => {
        const report = service.get(rec.id)!.report.snapshot().speakers[0]!.state;
        const ledgerState = ledger.get(commandId)?.state;
        seen.push({ report, ledger: ledgerState });
        expect(report).toBe(expectedDelivery(ledger.get(commandId)));
      };
      const onChange = (r: LedgerRecord) => r.id === commandId && agree();
      ledger.on('change', onChange);
      try {
        await until(() => cmds.some((c) => c.id === commandId), 'the play command at the speaker');
        agree();
        await until(() => ledger.get(commandId)!.state === 'timed_out', 'the ledger to time the command out', ANSWER_TIMEOUT_MS * 10);
        agree();
        expect(service.get(rec.id)!.report.snapshot()).toMatchObject({ done: true, counts: { no_answer: 1, pending: 0 } });
        // The late answers: the ledger refuses them (a timed-out record is final), and so
        // the report, being its view, stays no_answer too.
        const refusedBefore = ledger.refusedTransitions;
        for (const state of ['accepted', 'finished'] as const) {
          await dev.publishAsync(deviceTopic('speaker', sp, 'ack'), JSON.stringify({ id: commandId, tsMs: Date.now(), state }), { qos: 1 });
        }
        await until(() => ledger.refusedTransitions >= refusedBefore + 2, 'the ledger to refuse both late acks');
        agree();
        const speaker = service.get(rec.id)!.report.snapshot().speakers[0]!;
        expect(speaker.state).toBe('no_answer');
        expect(speaker.reason).toMatch(/no ack from the device within 1500 ms/);
        expect(ledger.get(commandId)!.state).toBe('timed_out');
        // Every report published to clients agreed with the ledger too.
        expect(updates.filter((u) => u.broadcastId === rec.id).map((u) => u.speakers[0]!.state)).toEqual(['pending', 'no_answer']);
        expect(seen.every((x) => x.report === (x.ledger ? EXPECTED_DELIVERY[x.ledger] : 'pending'))).toBe(true);
      } finally {
        ledger.off('change', onChange);
      }
    } finally {
      await dev.endAsync();
    }
  });
});

/** What the report must show for each ledger state (of a play command no device failed). */
const EXPECTED_DELIVERY: Record<LedgerState, DeliveryState> = {
  queued: 'pending',
  sent: 'pending',
  acked: 'accepted',
  in_progress: 'playing',
  succeeded: 'finished',
  failed: 'failed',
  timed_out: 'no_answer',
  cancelled: 'stopped',
};
const expectedDelivery = (r: Pick<LedgerRecord, 'state'> | undefined): DeliveryState => (r ? EXPECTED_DELIVERY[r.state] : 'pending');
