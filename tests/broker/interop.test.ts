import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBroker, type TestBroker } from '../helpers/broker.ts';

/** Drives our broker with Debian's mosquitto clients (libmosquitto 2.x), not with mqtt.js. */
let broker: TestBroker;
const children: ChildProcessWithoutNullStreams[] = [];
beforeAll(async () => {
  broker = await startBroker();
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await broker.close();
});

function run(cmd: string, args: string[]): { child: ChildProcessWithoutNullStreams; out: () => string; exit: Promise<number> } {
  const child = spawn(cmd, args);
  children.push(child);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  return { child, out: () => out, exit };
}

function login(id: string, clientId = id): string[] {
  const secret = broker.secrets.devices[id] ?? broker.secrets.services[id]!;
  return ['-h', '127.0.0.1', '-p', String(broker.port), '-u', id, '-P', secret, '-i', clientId, '-V', 'mqttv311'];
}

test('mosquitto_pub (device) → our broker → mosquitto_sub (service)', async () => {
  const payload = JSON.stringify({ tsMs: 1700000000000, type: 'vehicle_pass', id: 'ev-1', severity: 'info', checkpointId: 'cp-1', plate: 'ABC123' });
  // Publish only once the broker has the subscription (its stdout is block-buffered on a
  // pipe, so we ask the broker instead); -C 1 exits after one message.
  const subscribed = new Promise<void>((resolve) => broker.server.broker.aedes.once('subscribe', () => resolve()));
  const sub = run('mosquitto_sub', [...login('telemetry', 'telemetry:interop'), '-t', 'ringwatch/v1/#', '-q', '1', '-C', '1', '-v', '-W', '10']);
  await subscribed;
  const pub = run('mosquitto_pub', [...login('cp-1-anpr'), '-t', 'ringwatch/v1/sensor/cp-1-anpr/event', '-q', '1', '-m', payload]);
  expect(await pub.exit).toBe(0);
  expect(await sub.exit).toBe(0);
  expect(sub.out()).toContain(`ringwatch/v1/sensor/cp-1-anpr/event ${payload}`);
});

test('mosquitto_pub with a wrong secret is refused as not authorised', async () => {
  const pub = run('mosquitto_pub', [...login('sp-1').map((a, i, all) => (all[i - 1] === '-P' ? 'wrong' : a)), '-t', 'ringwatch/v1/speaker/sp-1/telemetry', '-m', '{}']);
  expect(await pub.exit).not.toBe(0);
  expect(pub.out()).toMatch(/not authori[sz]ed/i);
});

test('a retained status set by mosquitto_pub is read back by mosquitto_sub', async () => {
  const status = JSON.stringify({ tsMs: 1700000000000, state: 'online', firmware: 'mosq-1' });
  const pub = run('mosquitto_pub', [...login('sp-10'), '-t', 'ringwatch/v1/speaker/sp-10/status', '-q', '1', '-r', '-m', status]);
  expect(await pub.exit).toBe(0);
  const sub = run('mosquitto_sub', [...login('web', 'web:interop'), '-t', 'ringwatch/v1/speaker/sp-10/status', '-C', '1', '-W', '10']);
  expect(await sub.exit).toBe(0);
  expect(sub.out().trim()).toBe(status);
});
