import { describe, expect, it } from 'vitest';
import type { AckPayload, SpeakerCommand, SpeakerEvent } from '../../protocol/index.ts';
import { SpeakerPlayback, type Clip } from '../../simulators/speaker/playback.ts';
import { speechDurationS } from '../../simulators/speaker/speech.ts';

function setup(speed = 1) {
  let now = 1_700_000_000_000;
  const acks: AckPayload[] = [];
  const events: SpeakerEvent[] = [];
  const clips = new Map<string, Clip>([['warn-a', { text: 'Stop and leave now.', lang: 'en' }]]);
  let n = 0;
  const pb = new SpeakerPlayback(
    { nowMs: () => now, speed, clips, nextEventId: () => `ev-${++n}` },
    { ack: (a) => acks.push(a), event: (e) => events.push(e), changed: () => {} },
  );
  /** Advances the clock to each deadline in turn, as the adapter's timer would. */
  const advance = (ms: number) => {
    const end = now + ms;
    for (let i = 0; i < 1000; i++) {
      const d = pb.nextDeadlineMs();
      if (d === undefined || d > end) break;
      now = d;
      pb.tick();
    }
    now = end;
  };
  return { pb, acks, events, advance, now: () => now };
}

const play = (id: string, over: Partial<Extract<SpeakerCommand, { action: 'play' }>> = {}): SpeakerCommand => ({
  id,
  tsMs: 1,
  issuer: 'test',
  action: 'play',
  source: { kind: 'tts', text: 'Please keep order and do not gather here.', lang: 'en' },
  volumePct: 70,
  loop: false,
  priority: 50,
  ...over,
});
const states = (acks: AckPayload[], id: string) => acks.filter((a) => a.id === id).map((a) => a.state + (a.progressPct !== undefined ? `@${a.progressPct}` : ''));

describe('speech duration', () => {
  it('follows text length: Chinese by characters, English by words', () => {
    const zhShort = speechDurationS('请离开。', 'zh-CN');
    const zhLong = speechDurationS('您已进入警戒核心区域，请立即停止并离开，警方正在处置。', 'zh-CN');
    expect(zhLong).toBeGreaterThan(zhShort * 3);
    expect(zhLong).toBeGreaterThan(6);
    expect(zhLong).toBeLessThan(12);
    const en = speechDurationS('You have entered a restricted core area. Stop and leave now. Police are responding.', 'en');
    expect(en).toBeGreaterThan(5);
    expect(en).toBeLessThan(9);
  });
});

describe('SpeakerPlayback', () => {
  it('acks accepted → playing with progress → finished after the speech duration scaled by speed', () => {
    const s = setup(4);
    s.pb.handle(play('c1'));
    const durMs = (speechDurationS('Please keep order and do not gather here.', 'en') * 1000) / 4;
    s.advance(durMs - 5);
    expect(states(s.acks, 'c1')).toEqual(['accepted', 'playing@0', 'playing@25', 'playing@50', 'playing@75']);
    expect(s.pb.telemetry()).toMatchObject({ state: 'playing', playingId: 'c1', volumePct: 70 });
    s.advance(10);
    expect(states(s.acks, 'c1').at(-1)).toBe('finished@100');
    expect(s.pb.telemetry().state).toBe('idle');
  });

  it('higher priority preempts; equal priority is rejected as busy', () => {
    const s = setup();
    s.pb.handle(play('low', { priority: 10 }));
    s.pb.handle(play('same', { priority: 10 }));
    expect(states(s.acks, 'same')).toEqual(['rejected']);
    expect(s.acks.find((a) => a.id === 'same')!.reason).toMatch(/busy.*\/priority/);
    s.pb.handle(play('high', { priority: 90 }));
    expect(states(s.acks, 'low').at(-1)).toMatch(/^preempted/);
    expect(states(s.acks, 'high')).toEqual(['accepted', 'playing@0']);
    expect(s.pb.playingId).toBe('high');
  });

  it('loops until stopped, restarting each iteration', () => {
    const s = setup(10);
    s.pb.handle(play('loop', { loop: true }));
    s.advance(5000);
    const restarts = states(s.acks, 'loop').filter((x) => x === 'playing@0').length;
    expect(restarts).toBeGreaterThanOrEqual(3);
    expect(states(s.acks, 'loop')).not.toContain('finished@100');
    s.pb.handle({ id: 'stop1', tsMs: 1, issuer: 't', action: 'stop' });
    expect(states(s.acks, 'loop').at(-1)).toBe('stopped');
    expect(states(s.acks, 'stop1')).toEqual(['succeeded']);
    expect(s.pb.nextDeadlineMs()).toBeUndefined();
  });

  it('stop by targetId rejects a target that is not playing, naming the field', () => {
    const s = setup();
    s.pb.handle(play('a'));
    s.pb.handle({ id: 'st', tsMs: 1, issuer: 't', action: 'stop', targetId: 'zzz' });
    expect(s.acks.find((a) => a.id === 'st')).toMatchObject({ state: 'rejected', reason: expect.stringContaining('/targetId') });
    s.pb.handle({ id: 'st2', tsMs: 1, issuer: 't', action: 'stop', targetId: 'a' });
    expect(states(s.acks, 'a').at(-1)).toMatch(/^stopped/);
  });

  it('plays library clips, rejects unknown clips and expired commands', () => {
    const s = setup();
    s.pb.handle(play('clip', { source: { kind: 'clip', clipId: 'warn-a' } }));
    expect(states(s.acks, 'clip')).toEqual(['accepted', 'playing@0']);
    s.pb.handle({ id: 'x', tsMs: 1, issuer: 't', action: 'stop' });
    s.pb.handle(play('nope', { source: { kind: 'clip', clipId: 'warn-zz' } }));
    expect(s.acks.find((a) => a.id === 'nope')).toMatchObject({ state: 'rejected', reason: expect.stringContaining('/source/clipId') });
    s.pb.handle(play('old', { expiresAtMs: s.now() - 1 }));
    expect(s.acks.find((a) => a.id === 'old')).toMatchObject({ state: 'rejected', reason: expect.stringContaining('/expiresAtMs') });
  });

  it('ignores a redelivered command id instead of replaying it', () => {
    const s = setup();
    s.pb.handle(play('dup'));
    s.pb.handle(play('dup'));
    expect(states(s.acks, 'dup')).toEqual(['accepted', 'playing@0']);
    expect(s.pb.counters.duplicates).toBe(1);
  });

  it('set_volume changes the volume reported in telemetry', () => {
    const s = setup();
    s.pb.handle({ id: 'v', tsMs: 1, issuer: 't', action: 'set_volume', volumePct: 33 });
    expect(states(s.acks, 'v')).toEqual(['succeeded']);
    expect(s.pb.telemetry().volumePct).toBe(33);
  });

  it('fail_next_play fails one play; amplifier_fault raises an event and fails plays until cleared', () => {
    const s = setup();
    s.pb.injectFault('fail_next_play');
    s.pb.handle(play('f1'));
    expect(states(s.acks, 'f1')).toEqual(['accepted', 'failed']);
    s.pb.handle(play('ok'));
    expect(states(s.acks, 'ok')).toEqual(['accepted', 'playing@0']);
    s.pb.injectFault('amplifier_fault');
    expect(states(s.acks, 'ok').at(-1)).toMatch(/^failed/);
    expect(s.events.map((e) => e.type)).toEqual(['fault']);
    expect(s.pb.telemetry().state).toBe('fault');
    s.pb.handle(play('f2'));
    expect(states(s.acks, 'f2')).toEqual(['accepted', 'failed']);
    s.pb.clearFaults();
    expect(s.events.map((e) => e.type)).toEqual(['fault', 'fault_cleared']);
    s.pb.handle(play('ok2'));
    expect(states(s.acks, 'ok2')).toEqual(['accepted', 'playing@0']);
  });

  it('the amplifier warms while a loop plays at full volume and cools when it stops', () => {
    const s = setup();
    expect(s.pb.telemetry().amplifierTempC).toBe(28);
    s.pb.handle(play('hot', { loop: true, volumePct: 100 }));
    s.advance(240_000); // two time constants
    const hot = s.pb.telemetry().amplifierTempC!;
    expect(hot).toBeGreaterThan(55);
    expect(hot).toBeLessThan(63);
    s.pb.handle({ id: 'cool', tsMs: 1, issuer: 't', action: 'stop' });
    s.advance(600_000);
    expect(s.pb.telemetry().amplifierTempC!).toBeLessThan(29);
  });
});
