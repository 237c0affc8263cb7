/**
 * Who did what, in words: an audit record's `METHOD /route/pattern` becomes the action a
 * person took ("Sent a broadcast", "Drone command: return home") and its concrete path the
 * thing acted on (a drone's name, an alarm, a warning). Pure; the wording comes in.
 */
export interface AuditRow {
  tsMs: number;
  username: string;
  role?: string;
  action: string;
  target: string;
  request?: unknown;
  outcome: 'ok' | 'refused' | 'failed' | string;
  status?: number;
}

export interface AuditWording {
  /** The message for an action key (`audit.act.<key>`), with params. */
  act(key: string, params?: Record<string, string>): string | undefined;
  drone(id: string): string;
  commandName(action: string): string;
}

/** Route pattern → action key. Anything not listed is shown as it is (a new route is still audited). */
const ACTIONS: Record<string, string> = {
  'POST /api/login': 'login',
  'POST /api/logout': 'logout',
  'POST /api/drones/:id/commands': 'command',
  'POST /api/ledger/:id/cancel': 'cancel',
  'POST /api/patrols/start': 'patrolStart',
  'POST /api/patrols/stop': 'patrolStop',
  'POST /api/patrols/preview': 'patrolPreview',
  'POST /api/dispatch': 'dispatch',
  'POST /api/alarms/:id/ack': 'alarmAck',
  'POST /api/alarms/:id/resolve': 'alarmResolve',
  'POST /api/alarms/:id/reassign': 'alarmReassign',
  'POST /api/broadcasts': 'broadcast',
  'POST /api/broadcasts/:id/stop': 'broadcastStop',
  'PUT /api/warnings/:id': 'warningSave',
  'DELETE /api/warnings/:id': 'warningDelete',
  'POST /api/sim/faults': 'fault',
  'POST /api/config/validate': 'validate',
};

export function auditAction(r: AuditRow, w: AuditWording): string {
  const key = ACTIONS[r.action];
  const req = (r.request ?? {}) as Record<string, unknown>;
  if (key === 'command') return w.act('command', { command: w.commandName(String(req['action'] ?? '?')) }) ?? r.action;
  if (key === 'fault') return w.act('fault', { kind: String(req['kind'] ?? '?') }) ?? r.action;
  return (key && w.act(key)) ?? r.action;
}

/** The thing acted on: a drone by name, an alarm, a warning, a device; empty for none. */
export function auditTarget(r: AuditRow, w: AuditWording): string {
  const req = (r.request ?? {}) as Record<string, unknown>;
  const m = /^\/api\/(drones|alarms|warnings|broadcasts|ledger)\/([^/?]+)/.exec(r.target);
  if (m) return m[1] === 'drones' ? w.drone(decodeURIComponent(m[2]!)) : decodeURIComponent(m[2]!);
  if (r.action === 'POST /api/sim/faults' && typeof req['device'] === 'string') return req['device'];
  if (r.action === 'POST /api/patrols/start' || r.action === 'POST /api/patrols/stop') return Array.isArray(req['ringIds']) ? (req['ringIds'] as string[]).join(', ') : '';
  return '';
}
