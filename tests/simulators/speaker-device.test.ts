import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { checkPayload, deviceTopic, type SpeakerCommand } from '../../protocol/index.ts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimSpeaker, type SimSpeakerHandle } from '../../simulators/speaker/device.ts';
import { createWavRenderer, hasEspeakNg } from '../../simulators/speaker/tts-wav.ts';
import type { Clip } from '../../simulators/speaker/playback.ts';
import { connectAs, startBroker, type TestBroker } from '../helpers/broker.ts';
import { recorder } from './fleet-recorder.ts';

const SPEED = 20;
const clips = new Map<string, Clip>([['warn-containment-en', { text: 'You have entered a restricted core area. Stop and leave now.', lang: 'en' }]]);

let broker: TestBroker;
let control: MqttClient;
let rec: ReturnType<typeof recorder>;
const speakers: SimSpeakerHandle[] = [];
let n = 0;

beforeEach(async () => {
  broker = await startBroker();
  control = await connectAs(broker, 'control', { clientId: `control:t${++n}` });
  rec = recorder(control);
  await control.subscribeAsync('ringwatch/v1/speaker/#', { qos: 1 });
});

afterEach(async () => {
  await Promise.all(speakers.splice(0).map((s) => s.close()));
  await control.endAsync();
  await broker.close();
});

async function speaker(id: string, position = () => ({ latDeg: 30.27, lonDeg: 120.06 }), wav?: ReturnType<typeof createWavRenderer>) {
  const s = await startSimSpeaker({ id, mqttUrl: broker.url, secret: broker.secrets.devices[id]!, speed: SPEED, clips, position, telemetryIntervalS: 2, wav });
  speakers.push(s);
  return s;
}

function play(id: string, over: Partial<Extract<SpeakerCommand, { action: 'play' }>> = {}): SpeakerCommand {
  return { id, tsMs: Date.now(), issuer: 'test', action: 'play', source: { kind: 'tts', text: '请注意，您所在区域为公安防控区，请保持秩序。', lang: 'zh-CN' }, volumePct: 80, loop: false, priority: 50, ...over };
}
const send = (to: string, cmd: SpeakerCommand) => control.publishAsync(deviceTopic('speaker', to, 'cmd'), JSON.stringify(cmd), { qos: 1 });
const terminal = (id: string, state: string) => (m: { channel: string; body: Record<string, unknown> }) => m.channel === 'ack' && m.body['id'] === id && m.body['state'] === state;

describe('loudspeaker simulator on the real broker', () => {
  it('announces itself online (retained) and acks a play accepted → playing with progress → finished', async () => {
    await speaker('sp-1');
    const status = await rec.waitFor((m) => m.deviceId === 'sp-1' && m.channel === 'status', 'status online');
    expect(status.body).toMatchObject({ state: 'online' });
    const t0 = Date.now();
    await send('sp-1', play('c-1'));
    await rec.waitFor(terminal('c-1', 'finished'), 'finished ack');
    const elapsed = Date.now() - t0;
    const states = rec.acks('c-1').map((a) => `${String(a['state'])}${a['progressPct'] !== undefined ? '@' + String(a['progressPct']) : ''}`);
    expect(states).toEqual(['accepted', 'playing@0', 'playing@25', 'playing@50', 'playing@75', 'finished@100']);
    // ~5.6 simulated seconds of speech at 20x ≈ 280 ms.
    expect(elapsed).toBeGreaterThan(150);
    expect(elapsed).toBeLessThan(3000);
    for (const m of rec.seen.filter((x) => x.deviceId === 'sp-1')) {
      expect(checkPayload('speaker', m.channel, JSON.stringify(m.body)).ok).toBe(true);
    }
    const tele = rec.seen.filter((m) => m.deviceId === 'sp-1' && m.channel === 'telemetry').map((m) => m.body);
    expect(tele.some((t) => t['state'] === 'playing' && t['playingId'] === 'c-1' && t['volumePct'] === 80)).toBe(true);
    expect(tele.at(-1)).toMatchObject({ latDeg: 30.27, lonDeg: 120.06 });
  });

  it('preempts by higher priority, rejects equal priority as busy, stops a loop', async () => {
    await speaker('sp-2');
    await send('sp-2', play('lo', { loop: true, priority: 10 }));
    await rec.waitFor(terminal('lo', 'playing'), 'loop playing');
    await send('sp-2', play('eq', { priority: 10 }));
    const busy = await rec.waitFor(terminal('eq', 'rejected'), 'equal priority rejected');
    expect(busy.body['reason']).toMatch(/busy/);
    // The loop restarts several times before it is preempted.
    await rec.waitFor(() => rec.acks('lo').filter((a) => a['progressPct'] === 0).length >= 2, 'second loop iteration');
    await send('sp-2', play('hi', { priority: 90, loop: true, source: { kind: 'clip', clipId: 'warn-containment-en' } }));
    await rec.waitFor(terminal('lo', 'preempted'), 'preempted ack');
    await rec.waitFor(terminal('hi', 'playing'), 'hi playing');
    await send('sp-2', { id: 'stop-1', tsMs: Date.now(), issuer: 'test', action: 'stop', targetId: 'hi' });
    await rec.waitFor(terminal('hi', 'stopped'), 'stopped ack');
    await rec.waitFor(terminal('stop-1', 'succeeded'), 'stop succeeded');
    expect(rec.acks('hi').some((a) => a['state'] === 'finished')).toBe(false);
  });

  it('rejects invalid commands with a reason naming the field; counts what it cannot parse', async () => {
    const s = await speaker('sp-3');
    await send('sp-3', play('bad-clip', { source: { kind: 'clip', clipId: 'no-such-clip' } }));
    const r = await rec.waitFor(terminal('bad-clip', 'rejected'), 'rejected unknown clip');
    expect(r.body['reason']).toMatch(/field \/source\/clipId/);
    // The broker drops schema-invalid commands, so feed one as a non-validating broker would.
    s.handleRaw(Buffer.from(JSON.stringify({ ...play('bad-vol'), volumePct: 140 })));
    const v = await rec.waitFor(terminal('bad-vol', 'rejected'), 'rejected volume');
    expect(v.body['reason']).toMatch(/field \/volumePct/);
    s.handleRaw(Buffer.from('{not json'));
    expect(s.counters.unparseable).toBe(1);
  });

  it('an ungraceful drop leaves the will: retained status offline', async () => {
    const s = await speaker('sp-4');
    await rec.waitFor((m) => m.deviceId === 'sp-4' && m.channel === 'status' && m.body['state'] === 'online', 'online');
    await s.injectFault('offline');
    await rec.waitFor((m) => m.deviceId === 'sp-4' && m.channel === 'status' && m.body['state'] === 'offline', 'will offline');
    // A late subscriber sees the retained offline status.
    const late = await connectAs(broker, 'web', { clientId: `web:late${n}` });
    const lateRec = recorder(late);
    await late.subscribeAsync(deviceTopic('speaker', 'sp-4', 'status'), { qos: 1 });
    const retained = await lateRec.waitFor(() => true, 'retained status');
    expect(retained.retain).toBe(true);
    expect(retained.body).toMatchObject({ state: 'offline', reason: 'connection_lost' });
    await late.endAsync();
    await s.clearFaults();
    await rec.waitFor((m) => m.deviceId === 'sp-4' && m.channel === 'status' && m.body['state'] === 'online' && rec.seen.indexOf(m) > rec.seen.findIndex((x) => x.body['state'] === 'offline'), 'online again');
  });

  it('silent: commands get no ack; amplifier fault: fault event and failed plays', async () => {
    const s = await speaker('sp-5');
    await s.injectFault('silent');
    await send('sp-5', play('ignored'));
    await rec.waitFor(() => s.counters.ignoredSilent === 1, 'command ignored');
    await s.clearFaults();
    await s.injectFault('amplifier_fault');
    const ev = await rec.waitFor((m) => m.deviceId === 'sp-5' && m.channel === 'event', 'fault event');
    expect(ev.body).toMatchObject({ type: 'fault', severity: 'high' });
    await send('sp-5', play('amp'));
    await rec.waitFor(terminal('amp', 'failed'), 'failed ack');
    expect(rec.acks('ignored')).toEqual([]);
  });

  it('reports the live position it is given (drone-mounted speakers follow their drone)', async () => {
    const pos = { latDeg: 30.25, lonDeg: 120.05 };
    await speaker('drone-1-spk', () => ({ ...pos }));
    await rec.waitFor((m) => m.deviceId === 'drone-1-spk' && m.channel === 'telemetry' && m.body['latDeg'] === 30.25, 'first position');
    pos.latDeg = 30.26;
    pos.lonDeg = 120.061;
    await rec.waitFor((m) => m.deviceId === 'drone-1-spk' && m.channel === 'telemetry' && m.body['latDeg'] === 30.26 && m.body['lonDeg'] === 120.061, 'moved position');
  });

  it.skipIf(!hasEspeakNg())('renders what it broadcast to a WAV file with espeak-ng', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-wav-'));
    try {
      const wav = createWavRenderer(dir)!;
      await speaker('sp-6', undefined, wav);
      await send('sp-6', play('wav-1'));
      await rec.waitFor(terminal('wav-1', 'finished'), 'finished');
      await wav.idle();
      expect(wav.written).toEqual([join(dir, 'sp-6-wav-1.wav')]);
      const head = readFileSync(wav.written[0]!).subarray(0, 12).toString('latin1');
      expect(head.startsWith('RIFF') && head.endsWith('WAVE')).toBe(true);
      expect(readFileSync(wav.written[0]!).length).toBeGreaterThan(20_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
