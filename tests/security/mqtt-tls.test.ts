import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startBrokerServer, type BrokerServer } from '../../broker/index.ts';
import { collect, connectAs, credentialsFor, demoSite, nextMessage, type Received } from '../helpers/broker.ts';

/**
 * Issue 12 item 9 (MQTT half): mqtts and wss from certificate files, checked with real
 * clients: Mosquitto's mosquitto_pub/mosquitto_sub with --cafile, and MQTT.js over wss,
 * against a throwaway CA made here with openssl. Plain listeners stay for loopback.
 */
const run = promisify(execFile);
const R = 'ringwatch/v1';
let dir: string;
let server: BrokerServer;
let watcher: MqttClient;
let seen: Received[];
const { site, secrets } = demoSite();
const plain = () => ({ url: `mqtt://127.0.0.1:${server.mqttPort}`, secrets });

async function openssl(...args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

/** A CA and a server certificate for 127.0.0.1/localhost signed by it; a second, unrelated CA. */
async function makeCertificates(): Promise<void> {
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  for (const ca of ['ca', 'other-ca']) {
    await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2', '-subj', `/CN=ringwatch test ${ca}`);
  }
  await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  await openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.cnf');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ringwatch-mqtt-tls-'));
  await makeCertificates();
  server = await startBrokerServer({
    site,
    host: '127.0.0.1',
    mqttPort: 0,
    wsPort: null,
    logger: pino({ level: 'silent' }),
    tls: { files: { certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server.key') }, mqttsPort: 0, wssPort: 0 },
  });
  watcher = await connectAs(plain(), 'control', { clientId: 'control:tls-watch' });
  await watcher.subscribeAsync(`${R}/#`, { qos: 1 });
  seen = collect(watcher);
}, 60_000);
afterAll(async () => {
  await watcher?.endAsync(true);
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const telemetry = (volumePct: number) => JSON.stringify({ tsMs: Date.now(), state: 'idle', volumePct });
const mosquittoLogin = (id: string) => ['-h', '127.0.0.1', '-p', String(server.mqttsPort), '-u', id, '-P', secrets.devices[id] ?? secrets.services[id]!, '-i', id];

describe('mqtts and wss from certificate files', () => {
  test('mosquitto_pub --cafile publishes over mqtts; the message is routed like any other', async () => {
    const arrived = nextMessage(watcher, (m) => m.topic === `${R}/speaker/sp-1/telemetry` && JSON.parse(m.payload).volumePct === 61, 10_000);
    await run('mosquitto_pub', [...mosquittoLogin('sp-1'), '--cafile', join(dir, 'ca.pem'), '-q', '1', '-t', `${R}/speaker/sp-1/telemetry`, '-m', telemetry(61)], { timeout: 15_000 });
    await arrived;
  }, 30_000);

  test('mosquitto_sub --cafile receives over mqtts', async () => {
    const sub = run('mosquitto_sub', [...mosquittoLogin('telemetry').slice(0, -1), 'telemetry:tls', '--cafile', join(dir, 'ca.pem'), '-q', '1', '-t', `${R}/speaker/sp-2/telemetry`, '-C', '1', '-W', '20'], { timeout: 25_000 });
    const device = await connectAs(plain(), 'sp-2');
    // Publish until the subscriber (whose SUBSCRIBE we cannot observe) has one.
    let done = false;
    void sub.finally(() => (done = true)).catch(() => undefined);
    for (let i = 0; i < 40 && !done; i++) {
      await device.publishAsync(`${R}/speaker/sp-2/telemetry`, telemetry(62), { qos: 1 });
      await new Promise((r) => setTimeout(r, 250));
    }
    const { stdout } = await sub;
    expect(JSON.parse(stdout.trim())).toMatchObject({ volumePct: 62 });
    await device.endAsync(true);
  }, 30_000);

  test('a client trusting another CA is refused at the handshake; nothing is routed', async () => {
    const before = seen.length;
    const err = await run('mosquitto_pub', [...mosquittoLogin('sp-3'), '--cafile', join(dir, 'other-ca.pem'), '-t', `${R}/speaker/sp-3/telemetry`, '-m', telemetry(63)], { timeout: 15_000 }).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(err?.code).not.toBe(0);
    expect(err?.stderr ?? '').toMatch(/certificate verify failed|TLS|SSL|protocol error/i);
    await connectAs(plain(), 'sp-3').then((c) => c.publishAsync(`${R}/speaker/sp-3/telemetry`, telemetry(64), { qos: 1 }).then(() => c.endAsync(true)));
    await expect.poll(() => seen.slice(before).filter((m) => m.topic.endsWith('sp-3/telemetry')).map((m) => JSON.parse(m.payload).volumePct)).toEqual([64]);
  }, 30_000);

  test('MQTT.js over wss with the CA logs in and publishes; plain TCP on loopback still works', async () => {
    const ca = readFileSync(join(dir, 'ca.pem'));
    const c = await mqtt.connectAsync(`wss://127.0.0.1:${server.wssPort}`, { ...credentialsFor({ secrets }, 'sp-4'), ca, rejectUnauthorized: true });
    const arrived = nextMessage(watcher, (m) => m.topic === `${R}/speaker/sp-4/telemetry`);
    await c.publishAsync(`${R}/speaker/sp-4/telemetry`, telemetry(65), { qos: 1 });
    expect(JSON.parse((await arrived).payload)).toMatchObject({ volumePct: 65 });
    await c.endAsync(true);
    expect(server.mqttPort).toBeGreaterThan(0);
    const untrusted = await mqtt.connectAsync(`wss://127.0.0.1:${server.wssPort}`, { ...credentialsFor({ secrets }, 'sp-4'), rejectUnauthorized: true, connectTimeout: 5_000 }).catch((e: Error) => e);
    expect(untrusted).toBeInstanceOf(Error);
  }, 30_000);

  test('a missing certificate file is a start-up error naming the file', async () => {
    await expect(startBrokerServer({ site, mqttPort: 0, wsPort: null, tls: { files: { certFile: join(dir, 'nope.pem'), keyFile: join(dir, 'server.key') } } })).rejects.toThrow(/nope\.pem/);
  });
});
