import { describe, expect, it } from 'vitest';
import { brokerLine, rejectReasonName, type BrokerView } from '../../web-map/client/broker-health.ts';
import { translator } from '../../web-map/client/i18n.ts';

const en = translator('en');
const zh = translator('zh-CN');

const status = (over: Partial<NonNullable<BrokerView['status']>> = {}): NonNullable<BrokerView['status']> => ({
  brokerId: 'b1',
  tsMs: 10_000,
  startedAtMs: 1000,
  clients: { control: 1, speaker: 13 },
  clientsTotal: 14,
  messagesIn: 1,
  messagesOut: 1,
  rejects: {},
  rejectsTotal: 0,
  devices: {},
  devicesOmitted: 0,
  health: { status: 'ok', reasons: [] },
  ageMs: 2000,
  stale: false,
  ...over,
});

describe('the broker line in the engineer\'s services', () => {
  it('says control is connected, how old the broker\'s status is and how many clients it has', () => {
    expect(brokerLine(en, { link: { connected: true }, status: status() })).toEqual({ status: 'ok', text: 'connected, status 2.0 s ago, 14 clients', reasons: [] });
    expect(brokerLine(zh, { link: { connected: true }, status: status() }).text).toBe('已连接，状态 2.0 秒前，14 个客户端');
  });

  it('says when control lost the broker, whatever the last status said', () => {
    expect(brokerLine(en, { link: { connected: false, changedAtMs: 1, changedAgoMs: 12_000 }, status: status() })).toEqual({ status: 'down', text: 'control lost the broker 12 s ago', reasons: [] });
    expect(brokerLine(zh, { link: { connected: false, changedAgoMs: 12_000 } }).text).toBe('控制服务与消息服务断开（12 秒前）');
  });

  it('is degraded without a status, with a stale one, or when the broker says so (in the console\'s words)', () => {
    expect(brokerLine(en, { link: { connected: true } }).status).toBe('degraded');
    expect(brokerLine(en, { link: { connected: true }, status: status({ ageMs: 40_000, stale: true }) })).toMatchObject({ status: 'degraded', text: 'connected, but the broker’s last status came 40 s ago' });
    const busy = status({ health: { status: 'degraded', reasons: [{ code: 'shed', value: 3 }, { code: 'loop_delay', value: 400 }, { code: 'newer_code', value: 1 }] } });
    expect(brokerLine(zh, { link: { connected: true }, status: busy })).toMatchObject({ status: 'degraded', reasons: ['3 条投递因订阅方读取过慢被丢弃', '事件循环延迟高达 400 毫秒', 'newer_code 1'] });
  });

  it('mentions a link that came back lately; unknown when the API does not answer', () => {
    expect(brokerLine(en, { link: { connected: true, changedAgoMs: 3000 }, status: status() }).reasons).toEqual(['link back 3.0 s ago: messages sent meanwhile may be missing']);
    expect(brokerLine(en, undefined)).toEqual({ status: 'unknown', text: 'no answer from the control API', reasons: [] });
  });

  it('names refusal reasons of the broker and of MAVLink links; an unknown code as it is', () => {
    expect(rejectReasonName(en, 'not_json')).toBe('not JSON');
    expect(rejectReasonName(zh, 'acl')).toBe('越权');
    expect(rejectReasonName(zh, 'badSignature')).toBe('签名错误');
    expect(rejectReasonName(zh, 'brand_new')).toBe('brand_new');
  });
});
