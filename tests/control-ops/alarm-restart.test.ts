import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alarm } from '../../control/alarms/alarm.ts';
import { AlarmFile } from '../../control/ops/alarm-file.ts';
import { startOperations, type Operations } from '../../control/ops/operations.ts';
import { WarningLibrary } from '../../control/ops/warning-library.ts';
import { startControlStack, eventually, type ControlStack } from '../helpers/control-stack.ts';

/**
 * Issue 14 item 6: open and acknowledged alarms, their responders and their history
 * survive a restart of operations (kept in alarms.jsonl, 0600, like the ledger).
 */
let stack: ControlStack;
let restarted: Operations | undefined;
const auth = (t: string) => ({ authorization: `Bearer ${t}` });

beforeAll(async () => {
  stack = await startControlStack({ speed: 10, drones: ['drone-1'], speakers: [] });
  await eventually('drone-1 reporting', () => stack.ops.fleet.telemetry('drone-1'), 60_000);
}, 90_000);

afterAll(async () => {
  restarted?.close();
  await stack?.close();
});

describe('alarms survive a restart', () => {
  it('restores an acknowledged alarm with its responder and history, and resolving it after the restart releases the drone', async () => {
    const op = await stack.login('operator');
    const cp3 = stack.site.checkpoints.find((c) => c.id === 'cp-3')!;
    const r = await stack.api.inject({ method: 'POST', url: '/api/dispatch', headers: auth(op), payload: { ...cp3.position, note: 'restart drill', playWarning: false } });
    expect(r.statusCode).toBe(202);
    const alarm = r.json() as Alarm;
    expect(alarm.responder?.droneId).toBe('drone-1');
    expect((await stack.api.inject({ method: 'POST', url: `/api/alarms/${alarm.id}/ack`, headers: auth(op) })).statusCode).toBe(200);
    await eventually('drone-1 on scene', () => stack.ops.alarms.get(alarm.id)?.responder?.onSceneAtMs, 60_000);
    const before = structuredClone(stack.ops.alarms.get(alarm.id)!);

    const file = join(stack.dataDir, 'alarms.jsonl');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // Operations stop (the process would exit here) and a new one starts on the same data.
    stack.ops.close();
    restarted = await startOperations({
      site: stack.site,
      control: stack.control,
      warnings: new WarningLibrary(stack.site.warnings, stack.dataDir),
      hub: stack.hub,
      time: stack.time,
      alarmsFile: file,
    });
    const back = restarted.alarms.get(alarm.id)!;
    expect(back).toBeDefined();
    expect(back.state).toBe('acknowledged');
    expect(back.ackedBy).toBe('operator');
    expect(back.responder).toMatchObject({ droneId: 'drone-1', onSceneAtMs: before.responder!.onSceneAtMs, commandIds: before.responder!.commandIds });
    expect(back.history!.map((h) => h.what)).toEqual(expect.arrayContaining([expect.stringMatching(/^raised/), 'dispatched: drone-1', 'acknowledged', expect.stringMatching(/on scene/)]));
    // The responder is still taken by the alarm: no other dispatch may take it.
    expect(restarted.fleet.task('drone-1')).toMatchObject({ kind: 'alarm', alarmId: alarm.id });
    expect(restarted.alarms.list('open').map((a) => a.id)).toContain(alarm.id);
    // Resolved after the restart: the drone, in the air, is sent home.
    const res = restarted.dispatch.resolve(alarm.id, 'operator');
    expect('error' in res).toBe(false);
    expect(restarted.alarms.get(alarm.id)!.responder!.release).toBe('sent home');
    await eventually('drone-1 heading home', () => stack.fleet.drones.get('drone-1')!.state().mode === 'RTL', 20_000);
  }, 120_000);

  it('skips a torn line and keeps the latest version of each alarm', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-alarms-'));
    try {
      const f = new AlarmFile(join(dir, 'control', 'alarms.jsonl'));
      const a = { id: 'a1', state: 'open', raisedAtMs: 1, position: { latDeg: 30, lonDeg: 120 } } as Alarm;
      f.write(a, 1);
      f.write({ ...a, state: 'acknowledged' }, 2);
      appendFileSync(f.file, '{"tsMs":3,"alarm":{"id":"a1","sta');
      const back = new AlarmFile(f.file).load(10);
      expect(back).toHaveLength(1);
      expect(back[0]!.state).toBe('acknowledged');
      expect(statSync(f.file).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
