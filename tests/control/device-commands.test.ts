import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { checkPayload, deviceTopic } from '../../protocol/index.ts';
import { collect, connectAs, startBroker, type TestBroker } from '../helpers/broker.ts';
import { Ledger } from '../../control/ledger/ledger.ts';
import { MqttLedgerSink, LEDGER_TOPIC } from '../../control/ledger/mqtt-sink.ts';
import { MqttBus } from '../../control/mqtt/bus.ts';
import { DeviceCommands } from '../../control/mqtt/device-commands.ts';
import { systemClock } from '../../control/timeouts.ts';

const play = { action: 'play', source: { kind: 'tts', text: '请离开', lang: 'zh-CN' }, volumePct: 80, loop: false, priority: 10 };

let broker: TestBroker;
let bus: MqttBus;
let speaker: MqttClient;
let watcher: MqttClient;
let ledger: Ledger;
let devices: DeviceCommands;

beforeEach(async () => {
  broker = await startBroker();
  bus = await MqttBus.connect({ url: broker.url, username: 'control', password: broker.secrets.services['control']!, clientSuffix: 't' });
  speaker = await connectAs(broker, 'sp-1');
  await speaker.subscribeAsync(deviceTopic('speaker', 'sp-1', 'cmd'), { qos: 1 });
  watcher = await connectAs(broker, 'telemetry', { clientId: 'telemetry:w' });
  await watcher.subscribeAsync(LEDGER_TOPIC, { qos: 1 });
  ledger = new Ledger(systemClock, [new MqttLedgerSink(bus)]);
  devices = new DeviceCommands(bus, ledger, systemClock, { deviceAckMs: 300, deviceCompletionMs: 800 });
  await devices.start();
});

afterEach(async () => {
  devices.close();
  await Promise.all([bus.close(), speaker.endAsync(), watcher.endAsync()]);
  await broker.close();
});

/** The speaker answers each command with these ack states, in order. */
function answer(states: string[], reason?: string) {
  speaker.on('message', (_t, buf) => {
    const cmd = JSON.parse(buf.toString()) as { id: string };
    for (const state of states) {
      const ack: Record<string, unknown> = { id: cmd.id, tsMs: Date.now(), state };
      if (reason) ack['reason'] = reason;
      speaker.publish(deviceTopic('speaker', 'sp-1', 'ack'), JSON.stringify(ack), { qos: 1 });
    }
  });
}

describe('MQTT device commands through the ledger (real broker)', () => {
  it('moves to succeeded only on the device’s own acks, and publishes each change', async () => {
    const got = collect(watcher);
    answer(['accepted', 'playing', 'finished']);
    const { id, done } = devices.issue({ kind: 'speaker', id: 'sp-1' }, play, 'chief1');
    const rec = await done;
    expect(rec.state).toBe('succeeded');
    expect(rec.transitions.map((t) => t.state)).toEqual(['queued', 'sent', 'acked', 'in_progress', 'succeeded']);
    await expect.poll(() => got.filter((m) => JSON.parse(m.payload).id === id).length).toBe(5);
    const last = JSON.parse(got.at(-1)!.payload) as { state: string; record: { issuer: string } };
    expect(last).toMatchObject({ state: 'succeeded', record: { issuer: 'chief1' } });
  });

  it('records a refusal as failed with the device’s reason', async () => {
    answer(['rejected'], 'busy with a higher priority message');
    const rec = await devices.issue({ kind: 'speaker', id: 'sp-1' }, play, 'op').done;
    expect(rec.state).toBe('failed');
    expect(rec.transitions.at(-1)!.detail).toBe('busy with a higher priority message');
  });

  it('times out when the device never answers', async () => {
    const rec = await devices.issue({ kind: 'speaker', id: 'sp-1' }, play, 'op').done;
    expect(rec.state).toBe('timed_out');
    expect(rec.transitions.at(-1)!.detail).toMatch(/no ack/);
  });

  it('times out when the device accepts but never finishes', async () => {
    answer(['accepted']);
    const rec = await devices.issue({ kind: 'speaker', id: 'sp-1' }, play, 'op').done;
    expect(rec.transitions.map((t) => t.state)).toEqual(['queued', 'sent', 'acked', 'timed_out']);
  });

  it('cancels, and ignores a late ack afterwards', async () => {
    const { id, done } = devices.issue({ kind: 'speaker', id: 'sp-1' }, play, 'op');
    ledger.cancel(id);
    expect((await done).state).toBe('cancelled');
    const late = { id, tsMs: Date.now(), state: 'finished' };
    speaker.publish(deviceTopic('speaker', 'sp-1', 'ack'), JSON.stringify(late), { qos: 1 });
    await expect.poll(() => devices.counters.acksReceived).toBe(1);
    expect(ledger.get(id)!.state).toBe('cancelled');
    expect(ledger.refusedTransitions).toBe(1);
  });

  it('refuses to send a command that fails the device schema', async () => {
    const rec = await devices.issue({ kind: 'speaker', id: 'sp-1' }, { ...play, volumePct: 400 }, 'op').done;
    expect(rec.state).toBe('failed');
    expect(rec.transitions.at(-1)!.detail).toMatch(/volumePct/);
  });

  it('sends a schema-valid cmd carrying the ledger id and publishes every record', async () => {
    const got = collect(watcher);
    const cmds = collect(speaker);
    answer(['accepted', 'finished']);
    const { id, done } = devices.issue({ kind: 'speaker', id: 'sp-1' }, play, 'op');
    await done;
    expect(cmds).toHaveLength(1);
    const check = checkPayload<{ id: string }>('speaker', 'cmd', cmds[0]!.payload);
    expect(check.ok && check.value.id).toBe(id);
    await expect.poll(() => got.length).toBeGreaterThanOrEqual(4);
    for (const m of got) expect(JSON.parse(m.payload)).toHaveProperty('record.target', { kind: 'speaker', id: 'sp-1' });
  });
});
