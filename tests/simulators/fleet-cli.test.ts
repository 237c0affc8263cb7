import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import type { MqttClient } from 'mqtt';
import { connectAs, startBroker, type TestBroker } from '../helpers/broker.ts';
import { recorder } from './fleet-recorder.ts';

let broker: TestBroker;
let control: MqttClient;
let child: ChildProcess | undefined;

beforeEach(async () => {
  broker = await startBroker();
  control = await connectAs(broker, 'control', { clientId: 'control:cli' });
});

afterEach(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await control.endAsync();
  await broker.close();
});

function waitForLine(proc: ChildProcess, re: RegExp, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no line matching ${re} within ${timeoutMs} ms; output:\n${buf}`)), timeoutMs);
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = buf.split('\n').find((l) => re.test(l));
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
  });
}

describe('ringwatch sim', () => {
  it('starts the site devices on the broker, plays the scenario, and closes them on SIGINT', async () => {
    const rec = recorder(control);
    await control.subscribeAsync('ringwatch/v1/+/+/status', { qos: 1 });
    await control.subscribeAsync('ringwatch/v1/sensor/cp-3-perimeter/event', { qos: 1 });
    child = spawn(
      process.execPath,
      ['bin/ringwatch.js', 'sim', '--site', 'sites/demo.yaml', '--scenario', 'simulators/scenarios/demo.yaml', '--speed', '100', '--mqtt', broker.url, '--drones', 'none', '--speakers', '3', '--sensors', 'all'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const ready = await waitForLine(child, /Ctrl-C to stop/);
    expect(ready).toMatch(/0 drones, 3 speakers, 17 sensors/);
    // t=40s at 100x: the scripted intrusion at cp-3 arrives within about half a second.
    const ev = await rec.waitFor((m) => m.channel === 'event' && m.deviceId === 'cp-3-perimeter', 'scripted intrusion', 10_000);
    expect(ev.body).toMatchObject({ type: 'perimeter_intrusion', checkpointId: 'cp-3', severity: 'high' });
    await rec.waitFor((m) => m.deviceId === 'sp-3' && m.body['state'] === 'online', 'sp-3 online');
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
    const off = await rec.waitFor((m) => m.deviceId === 'sp-3' && m.body['state'] === 'offline', 'sp-3 offline');
    expect(off.body['reason']).toBe('shutdown');
  });

  it('refuses an invalid scenario naming file, path and line', async () => {
    child = spawn(process.execPath, ['bin/ringwatch.js', 'sim', '--site', 'sites/demo.yaml', '--scenario', 'sites/demo.yaml', '--mqtt', broker.url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child!.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/^ringwatch: invalid scenario:\nsites\/demo\.yaml: \/name \(line \d+\): is required\n/);
    expect(stderr).toMatch(/sites\/demo\.yaml: \/site \(line \d+\): unknown property "site"/);
  });
});
