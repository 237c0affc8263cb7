import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterEach, expect, test } from 'vitest';
import { connectAs, credentialsFor, demoSite } from '../helpers/broker.ts';

let child: ChildProcessWithoutNullStreams | undefined;
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
});

function run(args: string[]): { out: () => string; exit: Promise<number | null> } {
  const c = spawn(process.execPath, ['bin/ringwatch.js', ...args]);
  child = c;
  let out = '';
  c.stdout.on('data', (d: Buffer) => (out += d.toString()));
  c.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return { out: () => out, exit: new Promise((r) => c.on('close', (code) => r(code))) };
}

test('ringwatch broker --help prints its options', async () => {
  const r = run(['broker', '--help']);
  expect(await r.exit).toBe(0);
  expect(r.out()).toMatch(/--mqtt-port N[\s\S]*--ws-port N[\s\S]*--redis URL/);
});

test('ringwatch broker logs its ports, serves the site and closes cleanly on SIGINT', async () => {
  const r = run(['broker', '--site', 'sites/demo.yaml', '--mqtt-port', '0', '--ws-port', '0']);
  const port = await new Promise<number>((resolve, reject) => {
    child!.stdout.on('data', () => {
      const m = /"mqttPort":(\d+)/.exec(r.out());
      if (m) resolve(Number(m[1]));
    });
    child!.once('close', () => reject(new Error(`exited early:\n${r.out()}`)));
  });
  const device = await connectAs({ url: `mqtt://127.0.0.1:${port}`, secrets: demoSite().secrets }, 'sp-1');
  await device.publishAsync('ringwatch/v1/speaker/sp-1/telemetry', JSON.stringify({ tsMs: 1, state: 'idle', volumePct: 3 }), { qos: 1 });
  child!.kill('SIGINT');
  expect(await r.exit).toBe(0);
  expect(r.out()).toMatch(/"nodeFlags":\[[^\]]*"--max-semi-space-size=32"/);
  expect(r.out()).toMatch(/"msg":"broker closed"/);
  expect(r.out()).toMatch(/"messagesIn":1/);
  await device.endAsync(true);
});

test('ringwatch broker without --site is a usage error', async () => {
  const r = run(['broker']);
  expect(await r.exit).toBe(2);
  expect(r.out()).toMatch(/--site is required/);
});

test.each([
  [['--tls-cert', 'x.pem'], /--tls-cert and --tls-key go together/],
  [['--mqtts-port', '0'], /--mqtts-port needs --tls-cert and --tls-key/],
  [['--tls-cert', 'nope.pem', '--tls-key', 'nope.key'], /TLS certificate nope\.pem/],
  [['--max-connections', '0'], /--max-connections must be a whole number/],
])('ringwatch broker %j is a usage error', async (flags, message) => {
  const r = run(['broker', '--site', 'sites/demo.yaml', '--mqtt-port', '0', '--no-ws', ...flags]);
  expect(await r.exit).toBe(2);
  expect(r.out()).toMatch(message);
});

test('ringwatch broker --tls-cert/--tls-key offers mqtts beside plain MQTT', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ringwatch-cli-tls-'));
  try {
    await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { cwd: dir });
    const r = run(['broker', '--site', 'sites/demo.yaml', '--mqtt-port', '0', '--no-ws', '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem'), '--mqtts-port', '0', '--no-wss']);
    const port = await new Promise<number>((resolve, reject) => {
      child!.stdout.on('data', () => {
        const m = /"mqttsPort":(\d+)/.exec(r.out());
        if (m) resolve(Number(m[1]));
      });
      child!.once('close', () => reject(new Error(`exited early:\n${r.out()}`)));
    });
    expect(r.out()).toMatch(/broker listening: mqtt:\/\/127\.0\.0\.1:\d+, mqtts:\/\/127\.0\.0\.1:\d+/);
    const device = await mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, { ...credentialsFor({ secrets: demoSite().secrets }, 'sp-1'), ca: readFileSync(join(dir, 'cert.pem')) });
    await device.endAsync(true);
    child!.kill('SIGINT');
    expect(await r.exit).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);
