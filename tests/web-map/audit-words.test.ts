import { describe, expect, it } from 'vitest';
import { auditAction, auditTarget, type AuditRow, type AuditWording } from '../../web-map/client/audit-words.ts';

const w: AuditWording = {
  act: (key, p) => ({ broadcast: 'Sent a broadcast', command: `Drone command: ${p?.['command']}`, fault: `Fault ${p?.['kind']}`, alarmResolve: 'Resolved an alarm' })[key],
  drone: (id) => (id === 'drone-1' ? 'Heron 1' : id),
  commandName: (a) => (a === 'rtl' ? 'return home' : a),
};
const row = (action: string, target: string, request?: unknown): AuditRow => ({ tsMs: 1, username: 'chief', action, target, request, outcome: 'ok' });

describe('audit in words', () => {
  it('says what a person did, not the HTTP line', () => {
    expect(auditAction(row('POST /api/broadcasts', '/api/broadcasts'), w)).toBe('Sent a broadcast');
    expect(auditAction(row('POST /api/drones/:id/commands', '/api/drones/drone-1/commands', { action: 'rtl' }), w)).toBe('Drone command: return home');
    expect(auditTarget(row('POST /api/drones/:id/commands', '/api/drones/drone-1/commands', { action: 'rtl' }), w)).toBe('Heron 1');
    expect(auditTarget(row('POST /api/alarms/:id/resolve', '/api/alarms/al-7/resolve'), w)).toBe('al-7');
    expect(auditAction(row('POST /api/sim/faults', '/api/sim/faults', { device: 'sp-1', kind: 'silent' }), w)).toBe('Fault silent');
    expect(auditTarget(row('POST /api/sim/faults', '/api/sim/faults', { device: 'sp-1', kind: 'silent' }), w)).toBe('sp-1');
  });

  it('keeps a route it has no words for as it is, rather than hiding it', () => {
    expect(auditAction(row('POST /api/new-thing', '/api/new-thing'), w)).toBe('POST /api/new-thing');
    expect(auditAction(row('POST /api/patrols/start', '/api/patrols/start'), w)).toBe('POST /api/patrols/start');
  });
});
