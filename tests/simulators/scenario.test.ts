import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSite } from '../../site/index.ts';
import type { EventRequest, FaultRequest } from '../../simulators/fleet/faults.ts';
import { Scheduler } from '../../simulators/fleet/scheduler.ts';
import { loadScenario, parseScenario, ScenarioError } from '../../simulators/scenario/load.ts';
import { runScenario, type ScenarioTarget } from '../../simulators/scenario/runner.ts';

const site = loadSite('sites/demo.yaml');

function issuesOf(text: string): string[] {
  try {
    parseScenario(text, site, 'bad.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return (err as ScenarioError).message.split('\n');
  }
  throw new Error('expected a ScenarioError');
}

describe('scenario files', () => {
  it('the shipped demo scenario loads against the demo site, in time order', () => {
    const s = loadScenario('simulators/scenarios/demo.yaml', site);
    expect(s.steps.length).toBe(7);
    expect(s.steps.map((x) => x.atS)).toEqual([40, 45, 50, 60, 90, 120, 180]);
    expect(s.steps[0]!.action).toMatchObject({ type: 'event', sensorId: 'cp-3-perimeter' });
    expect(s.steps[3]!.action).toMatchObject({ type: 'fault', request: { device: 'drone-2', kind: 'link_loss', durationS: 20 } });
  });

  it('every shipped scenario loads against the demo site', () => {
    const dir = 'simulators/scenarios';
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const f of files) expect(loadScenario(join(dir, f), site).steps.length).toBeGreaterThan(0);
  });

  it('names file, path, line and what is wrong', () => {
    const text = [
      'version: 1', //            1
      'name: broken', //          2
      'speed: -3', //             3
      'timeline:', //             4
      '  - at: 10x', //           5
      '    event: { checkpoint: cp-3, type: perimeter_intrusion }',
      '  - at: 20s', //           7
      '    fault: { device: sp-5, kind: amplifier_fault, bogus: 1 }',
    ].join('\n');
    const lines = issuesOf(text);
    expect(lines).toContain('bad.yaml: /speed (line 3): must be > 0');
    expect(lines).toContain('bad.yaml: /timeline/0/at (line 5): must be seconds (a number) or a duration like 90s, 1m30s, 2h');
    expect(lines).toContain('bad.yaml: /timeline/1/fault/bogus (line 8): unknown property "bogus"');
  });

  it('checks references against the site: devices, checkpoints, what a sensor emits, fault parameters', () => {
    const text = `version: 1
name: refs
devices: { drones: 2 }
timeline:
  - at: 1s
    event: { checkpoint: cp-9, type: vehicle_pass }
  - at: 2s
    event: { sensor: cp-3-perimeter, type: vehicle_pass }
  - at: 3s
    fault: { device: drone-7, kind: link_loss, durationS: 5 }
  - at: 4s
    fault: { device: drone-1, kind: packet_loss }
  - at: 5s
    fault: { device: sp-99, kind: silent }
  - at: 6s
    fault: { device: cp-1-anpr, kind: amplifier_fault }
  - at: 7s
    clear: { device: nope }
  - at: 8s
    event: { sensor: cp-1-anpr, checkpoint: cp-1, type: vehicle_pass }
`;
    const lines = issuesOf(text);
    expect(lines).toEqual([
      expect.stringMatching(/^bad\.yaml: \/timeline\/0\/event\/type \(line 6\): no started sensor at cp-9 emits vehicle_pass/),
      'bad.yaml: /timeline/1/event/type (line 8): sensor cp-3-perimeter (perimeter) does not emit vehicle_pass; it emits perimeter_intrusion',
      'bad.yaml: /timeline/2/fault/device (line 10): drone-7 is not started by this scenario (see /devices)',
      'bad.yaml: /timeline/3/fault/pct (line 12): is required for packet_loss',
      'bad.yaml: /timeline/4/fault/device (line 14): no device "sp-99" in site lakeside',
      expect.stringMatching(/^bad\.yaml: \/timeline\/5\/fault\/kind \(line 16\): a sensor accepts offline, stop_heartbeats/),
      'bad.yaml: /timeline/6/clear/device (line 18): no device "nope" in site lakeside',
      'bad.yaml: /timeline/7/event (line 20): name exactly one of sensor or checkpoint',
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    const lines = issuesOf('version: 1\nname: x\ntimeline: [\n  - at: 1s\n');
    expect(lines[0]).toMatch(/^bad\.yaml: \/ \(line \d\): YAML: /);
  });
});

describe('scenario runner', () => {
  it('executes the timeline in order under time acceleration', async () => {
    const scenario = parseScenario(
      `version: 1
name: t
timeline:
  - at: 90s
    fault: { device: drone-2, kind: link_loss, durationS: 20 }
  - at: 60s
    event: { checkpoint: cp-3, type: perimeter_intrusion }
  - at: 2m
    fault: { device: sp-5, kind: silent, durationS: 30 }
  - at: 60s
    fault: { device: cp-3-crowd, kind: stop_heartbeats }
`,
      site,
    );
    let now = 0;
    const clock = { nowMs: () => now };
    const scheduler = new Scheduler(clock);
    const log: string[] = [];
    const target: ScenarioTarget = {
      triggerEvent: (id: string, req: EventRequest) => void log.push(`${now} event ${req.type} ${id}`),
      injectFault: async (req: FaultRequest) => void log.push(`${now} fault ${req.kind} ${req.device}`),
      clearFaults: async (id: string) => void log.push(`${now} clear ${id}`),
    };
    const run = runScenario(scenario, target, { speed: 10, scheduler, nowMs: clock.nowMs });
    for (let i = 0; i < 200; i++) {
      now += 100;
      scheduler.runDue();
      await new Promise((r) => setImmediate(r));
    }
    await run.done;
    // 10x: t=60s → 6000 ms real; durations are the target's to time (see fleet tests).
    expect(log).toEqual([
      '6000 event perimeter_intrusion cp-3-perimeter',
      '6000 fault stop_heartbeats cp-3-crowd',
      '9000 fault link_loss drone-2',
      '12000 fault silent sp-5',
    ]);
    expect(run.records.map((r) => r.summary)).toEqual([
      'event perimeter_intrusion at cp-3-perimeter (checkpoint cp-3)',
      'fault stop_heartbeats on cp-3-crowd',
      'fault link_loss on drone-2 for 20s',
      'fault silent on sp-5 for 30s',
    ]);
    scheduler.close();
  });

  it('records a failing step and carries on', async () => {
    const scenario = parseScenario('version: 1\nname: t\ntimeline:\n  - at: 1s\n    clear: { device: sp-1 }\n  - at: 2s\n    clear: { device: sp-2 }\n', site);
    const scheduler = new Scheduler();
    const target: ScenarioTarget = {
      triggerEvent: () => {},
      injectFault: async () => {},
      clearFaults: async (id) => {
        if (id === 'sp-1') throw new Error('boom');
      },
    };
    const run = runScenario(scenario, target, { speed: 100, scheduler, nowMs: Date.now });
    await run.done;
    expect(run.records.map((r) => [r.summary, r.error])).toEqual([
      ['clear faults on sp-1', 'boom'],
      ['clear faults on sp-2', undefined],
    ]);
    scheduler.close();
  });
});
