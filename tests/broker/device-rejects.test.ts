import { describe, expect, test } from 'vitest';
import { DeviceRejectCounter } from '../../broker/device-rejects.ts';
import { MetricsRegistry } from '../../broker/metrics.ts';

const REASONS = ['auth', 'acl', 'schema'] as const;

describe('per-device refusal counts', () => {
  test('counts by device and reason, only the ids it was given', () => {
    const c = new DeviceRejectCounter(['sp-1', 'cp-1-anpr'], REASONS);
    c.add('sp-1', 'schema');
    c.add('sp-1', 'schema');
    c.add('sp-1', 'acl');
    c.add('cp-1-anpr', 'auth');
    for (let i = 0; i < 10_000; i++) c.add(`attacker-${i}`, 'auth');
    expect(c.of('sp-1')).toEqual({ schema: 2, acl: 1 });
    expect(c.of('cp-1-anpr')).toEqual({ auth: 1 });
    expect(c.of('attacker-1')).toEqual({});
    expect(c.top(10)).toEqual({ devices: { 'sp-1': { schema: 2, acl: 1 }, 'cp-1-anpr': { auth: 1 } }, omitted: 0 });
  });

  test('a reason it does not know is not counted (a newer caller, an older counter)', () => {
    const c = new DeviceRejectCounter(['sp-1'], REASONS);
    c.add('sp-1', 'rate' as never);
    expect(c.of('sp-1')).toEqual({});
  });

  test('top lists the devices with most refusals first and counts the rest as omitted', () => {
    const ids = Array.from({ length: 50 }, (_, i) => `sp-${i}`);
    const c = new DeviceRejectCounter(ids, REASONS);
    ids.forEach((id, i) => {
      for (let n = 0; n < i; n++) c.add(id, 'acl');
    });
    const { devices, omitted } = c.top(3);
    expect(Object.keys(devices)).toEqual(['sp-49', 'sp-48', 'sp-47']);
    // sp-0 has none: neither listed nor omitted.
    expect(omitted).toBe(46);
    expect(c.top(0)).toEqual({ devices: {}, omitted: 49 });
  });

  test('the broker metrics count per device beside the totals by reason', () => {
    const m = new MetricsRegistry(['sp-1']);
    m.reject('schema', 'sp-1');
    m.reject('schema', 'stranger');
    m.reject('connection_cap');
    expect(m.snapshot().rejects).toEqual({ schema: 2, connection_cap: 1 });
    expect(m.byDevice.top(10)).toEqual({ devices: { 'sp-1': { schema: 1 } }, omitted: 0 });
  });
});
