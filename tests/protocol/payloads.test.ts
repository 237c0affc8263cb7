import { describe, expect, it } from 'vitest';
import { checkPayload, deviceTopic, parseDeviceTopic, MAX_PAYLOAD_BYTES } from '../../protocol/index.ts';

const telemetry = {
  tsMs: 1_700_000_000_000,
  latDeg: 30.27,
  lonDeg: 120.065,
  altAmslM: 62,
  altRelM: 50,
  headingDeg: 90,
  groundSpeedMps: 12,
  batteryPct: 80,
  batteryV: 15.8,
  mode: 'AUTO',
  armed: true,
  gpsFix: 3,
};

describe('device topics', () => {
  it('round-trips a topic', () => {
    const t = deviceTopic('speaker', 'sp-1', 'cmd');
    expect(t).toBe('ringwatch/v1/speaker/sp-1/cmd');
    expect(parseDeviceTopic(t)).toEqual({ kind: 'speaker', deviceId: 'sp-1', channel: 'cmd' });
  });
  it.each([
    'ringwatch/v1/speaker/sp-1',
    'ringwatch/v1/robot/sp-1/cmd',
    'ringwatch/v1/speaker/sp-1/cmd/extra',
    'ringwatch/v1/speaker/SP 1/cmd',
    'ringwatch/v1/speaker/+/cmd',
    'ringwatch/v2/speaker/sp-1/cmd',
  ])('refuses %s', (t) => expect(parseDeviceTopic(t)).toBeUndefined());
});

describe('payload validation', () => {
  it('accepts valid drone telemetry', () => {
    expect(checkPayload('drone', 'telemetry', JSON.stringify(telemetry))).toEqual({ ok: true, value: telemetry });
  });
  it('names the out-of-range field', () => {
    const r = checkPayload('drone', 'telemetry', JSON.stringify({ ...telemetry, batteryPct: 140 }));
    expect(r).toEqual({ ok: false, reason: 'schema', message: 'field /batteryPct: must be <= 100' });
  });
  it('refuses unknown fields (units must be in names)', () => {
    const r = checkPayload('drone', 'telemetry', JSON.stringify({ ...telemetry, speed: 3 }));
    expect(r).toMatchObject({ ok: false, message: 'field /: unknown property "speed"' });
  });
  it('refuses non-JSON and oversize payloads', () => {
    expect(checkPayload('sensor', 'event', '{nope')).toMatchObject({ ok: false, reason: 'not_json' });
    expect(checkPayload('sensor', 'event', 'x'.repeat(MAX_PAYLOAD_BYTES + 1))).toMatchObject({ ok: false, reason: 'oversize' });
  });
  it('names the bad field inside a command union', () => {
    const play = { id: 'c1', tsMs: 1, issuer: 'chief', action: 'play', source: { kind: 'tts', text: 'hi', lang: 'en' }, volumePct: 80, loop: false, priority: 500 };
    expect(checkPayload('speaker', 'cmd', JSON.stringify(play))).toMatchObject({ ok: false, message: 'field /priority: must be <= 100' });
    expect(checkPayload('speaker', 'cmd', JSON.stringify({ ...play, action: 'dance' }))).toMatchObject({
      message: 'field /action: must be one of ["play","stop","set_volume"]',
    });
    expect(checkPayload('speaker', 'cmd', JSON.stringify({ ...play, priority: 50 }))).toMatchObject({ ok: true });
  });
  it('validates acks and events', () => {
    expect(checkPayload('speaker', 'ack', JSON.stringify({ id: 'c1', tsMs: 5, state: 'playing' }))).toMatchObject({ ok: true });
    expect(checkPayload('speaker', 'ack', JSON.stringify({ id: 'c1', tsMs: 5, state: 'maybe' }))).toMatchObject({ ok: false });
    const ev = { id: 'e1', tsMs: 5, type: 'perimeter_intrusion', severity: 'high', checkpointId: 'cp-3' };
    expect(checkPayload('sensor', 'event', JSON.stringify(ev))).toMatchObject({ ok: true });
    expect(checkPayload('sensor', 'event', JSON.stringify({ ...ev, severity: 'urgent' }))).toMatchObject({ ok: false, reason: 'schema' });
  });
});
