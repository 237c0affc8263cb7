import { describe, expect, it } from 'vitest';
import { assessHealth, type HealthInputs } from '../../telemetry/health.ts';

const NOW = 1_800_000_000_000;
const fine: HealthInputs = {
  nowMs: NOW,
  mqttConnected: true,
  store: { reachable: true, schemaReady: true },
  influxd: { state: 'running', pid: 42, restarts: 0, exits: 0 },
  spoolFull: false,
  oldestPendingAgeMs: 200,
};

describe('assessHealth', () => {
  it('is ok with no reasons when everything flows', () => {
    expect(assessHealth(fine)).toEqual({ status: 'ok', reasons: [] });
    const { influxd: _, ...external } = fine;
    expect(assessHealth(external)).toEqual({ status: 'ok', reasons: [] });
  });

  it.each<[string, Partial<HealthInputs>, RegExp]>([
    ['InfluxDB unreachable', { store: { reachable: false, schemaReady: false, lastError: 'connect ECONNREFUSED 127.0.0.1:1', downSinceMs: NOW - 12_000 } }, /^InfluxDB unreachable for 12 s \(connect ECONNREFUSED 127\.0\.0\.1:1\); points wait in the spool$/],
    ['schema not ready', { store: { reachable: undefined, schemaReady: false } }, /database not prepared yet/],
    ['influxd down', { influxd: { state: 'down', pid: undefined, restarts: 2, exits: 3, lastProblem: 'influxd exited (code null, signal SIGKILL)', nextStartAtMs: NOW + 4_000 } }, /^influxd is down: influxd exited \(code null, signal SIGKILL\); restart in 4 s$/],
    ['influxd missing', { influxd: { state: 'missing', pid: undefined, restarts: 0, exits: 0, lastProblem: 'influxd not found' } }, /^influxd is not installed: influxd not found$/],
    ['influxd starting', { influxd: { state: 'starting', pid: undefined, restarts: 1, exits: 1 } }, /influxd is starting \(restarts so far: 1\)/],
    ['shedding', { shedding: { reason: 'spool disk full (ENOSPC)', sinceMs: NOW - 1000, shed: 17 } }, /^spool cannot write \(spool disk full \(ENOSPC\)\): 17 messages shed since /],
    ['spool full', { spoolFull: true }, /spool at its size bound: MQTT acks are held/],
    ['stale backlog', { oldestPendingAgeMs: 75_000 }, /oldest unwritten point is 75 s old/],
    ['broker lost', { mqttConnected: false }, /not connected to the MQTT broker/],
  ])('is degraded with a reason: %s', (_name, change, reason) => {
    const v = assessHealth({ ...fine, ...change });
    expect(v.status).toBe('degraded');
    expect(v.reasons).toHaveLength(1);
    expect(v.reasons[0]).toMatch(reason);
  });

  it('lists every problem at once', () => {
    const v = assessHealth({ ...fine, mqttConnected: false, spoolFull: true, store: { reachable: false, schemaReady: true } });
    expect(v.reasons).toHaveLength(3);
  });
});
