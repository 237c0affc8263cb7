import { describe, expect, it } from 'vitest';
import { describeEvent, positionsAt, type Wording } from '../../web-map/client/history-model.ts';
import { EN, translator, type Lang, type MessageKey } from '../../web-map/client/i18n.ts';

const wording = (lang: Lang): Wording => {
  const t = translator(lang);
  return {
    t: (k, p) => t(k as MessageKey, p),
    ring: (id) => t(`ringName.${id}` as MessageKey),
    device: (id) => ({ 'drone-1': 'Heron 1', 'drone-2': 'Heron 2' })[id] ?? id,
    word: (prefix, code) => (`${prefix}.${code}` in EN ? t(`${prefix}.${code}` as MessageKey) : code),
  };
};

describe('history list lines', () => {
  it('describes alarm, ledger and audit records and sensor events', () => {
    const en = wording('en');
    expect(describeEvent({ tsMs: 1, group: 'alarms', record: { ringId: 'prevention', state: 'open', responder: { droneId: 'drone-1', timeToSceneS: 94.6 } } }, en)).toBe('Alarm · Prevention ring · open → Heron 1 95 s');
    expect(describeEvent({ tsMs: 1, group: 'alarms', record: { ringId: 'control', state: 'resolved' } }, en)).toBe('Alarm · Control ring · resolved');
    expect(describeEvent({ tsMs: 1, group: 'broadcasts', record: { state: 'done', issuer: 'chief', counts: { pending: 0, finished: 3, no_answer: 1 } } }, en)).toBe('Broadcast finished by chief: 4/4 answered');
    expect(describeEvent({ tsMs: 1, group: 'ledger', record: { kind: 'rtl', state: 'succeeded', target: { id: 'drone-2' } } }, en)).toBe('Return home → done (Heron 2)');
    expect(describeEvent({ tsMs: 1, group: 'audit', record: { username: 'chief', action: 'POST /api/broadcasts', outcome: 'ok' } }, en)).toBe('chief: POST /api/broadcasts — allowed');
    expect(describeEvent({ tsMs: 1, group: 'events', deviceId: 'cp-3-perimeter', type: 'perimeter_intrusion', severity: 'high' }, en)).toBe('cp-3-perimeter: Perimeter intrusion [high]');
  });

  it('says the same in Chinese', () => {
    const zh = wording('zh-CN');
    expect(describeEvent({ tsMs: 1, group: 'alarms', record: { ringId: 'prevention', state: 'open', responder: { droneId: 'drone-1', timeToSceneS: 94.6 } } }, zh)).toBe('警情 · 防范圈 · 未处理 → Heron 1 95 秒');
    expect(describeEvent({ tsMs: 1, group: 'ledger', record: { kind: 'rtl', state: 'timed_out', target: { id: 'drone-2' } } }, zh)).toBe('返航 → 无应答（超时）（Heron 2）');
    expect(describeEvent({ tsMs: 1, group: 'broadcasts', record: { state: 'done', issuer: 'chief', counts: { finished: 2 } } }, zh)).toBe('喊话已结束，发起人 chief：2/2 已应答');
    expect(describeEvent({ tsMs: 1, group: 'events', deviceId: 'cp-3-perimeter', type: 'perimeter_intrusion', severity: 'high' }, zh)).toBe('cp-3-perimeter：周界入侵 [高]');
  });

  it('replays the last position of each device at a moment', () => {
    const sorted = [
      { deviceId: 'a', tsMs: 1, latDeg: 1, lonDeg: 1 },
      { deviceId: 'b', tsMs: 2, latDeg: 2, lonDeg: 2 },
      { deviceId: 'a', tsMs: 3, latDeg: 3, lonDeg: 3 },
    ];
    const at = positionsAt(sorted, 2);
    expect(at.get('a')?.latDeg).toBe(1);
    expect(at.get('b')?.latDeg).toBe(2);
    expect(positionsAt(sorted, 3).get('a')?.latDeg).toBe(3);
  });
});
