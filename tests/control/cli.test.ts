import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimDrone, type SimDroneHandle } from '../../simulators/drone/index.ts';
import { checkPayload, deviceTopic } from '../../protocol/index.ts';
import { connectAs, demoSite, nextMessage, startBroker, type TestBroker } from '../helpers/broker.ts';
import { mavlinkSigningKeys } from '../../site/mavlink-keys.ts';

let broker: TestBroker | undefined;
let sim: SimDroneHandle | undefined;
let sink: Socket | undefined;
let child: ChildProcess | undefined;
let dir: string | undefined;

afterEach(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await sim?.close();
  sink?.close();
  await broker?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  broker = sim = sink = child = dir = undefined;
});

/**
 * The CLI runs through tsx, which transforms the control service's whole import graph at
 * start: ~2.5 s of CPU here, so tens of seconds on a machine busy with other work. That
 * is a start-up cost, not a timeout of the product: wait generously.
 */
const CLI_OUTPUT_TIMEOUT_MS = 60_000;

function waitForOutput(c: ChildProcess, re: RegExp, timeoutMs = CLI_OUTPUT_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`no ${re} in output: ${out}`)), timeoutMs);
    c.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (re.test(out)) {
        clearTimeout(t);
        resolve(out);
      }
    });
  });
}

describe('ringwatch control (CLI)', () => {
  it('prints its usage', async () => {
    const c = spawn(process.execPath, ['bin/ringwatch.js', 'control', '--help']);
    const out = await waitForOutput(c, /--data-dir DIR/);
    expect(out).toMatch(/Usage: ringwatch control --site FILE/);
  }, CLI_OUTPUT_TIMEOUT_MS + 10_000);

  it('connects the site’s drones, publishes their telemetry, and closes cleanly on SIGINT', async () => {
    broker = await startBroker();
    const site = demoSite().site;
    // The demo site signs drone-1's link: the simulated drone signs with the same key.
    const signingKey = mavlinkSigningKeys(site.drones, demoSite().secrets).get(site.drones[0]!.id);
    sim = await startSimDrone({ drone: site.drones[0]!, udpPort: 0, speed: 5, prearmDelayS: 0, ...(signingKey ? { signingKey } : {}) });
    // The other seven demo drones point at a socket of ours that never answers.
    sink = createSocket('udp4');
    await new Promise<void>((r) => sink!.bind(0, '127.0.0.1', () => r()));
    const sinkPort = sink.address().port;
    dir = mkdtempSync(join(tmpdir(), 'control-cli-'));
    let yaml = readFileSync('sites/demo.yaml', 'utf8');
    yaml = yaml.replace(/udpout:\/\/127\.0\.0\.1:1456(\d)/g, (_m, n: string) => `udpout://127.0.0.1:${n === '1' ? sim!.udpPort : sinkPort}`);
    const siteFile = join(dir, 'site.yaml');
    writeFileSync(siteFile, yaml);

    const watcher = await connectAs(broker, 'telemetry', { clientId: 'telemetry:cli' });
    try {
      await watcher.subscribeAsync('ringwatch/v1/drone/drone-1/#', { qos: 1 });
      const telemetry = nextMessage(watcher, (m) => m.topic === deviceTopic('drone', 'drone-1', 'telemetry'), CLI_OUTPUT_TIMEOUT_MS + 15_000);
      child = spawn(
        process.execPath,
        ['bin/ringwatch.js', 'control', '--site', siteFile, '--mqtt', broker.url, '--secrets', 'sites/demo.secrets.yaml', '--data-dir', join(dir, 'data')],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
      const out = waitForOutput(child, /drone-1 online/);
      await out;
      const t = await telemetry;
      expect(checkPayload('drone', 'telemetry', t.payload).ok).toBe(true);

      const offline = nextMessage(watcher, (m) => m.topic === deviceTopic('drone', 'drone-1', 'status') && m.payload.includes('offline'));
      const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
      child.kill('SIGINT');
      expect(await exited, stderr).toBe(0);
      expect(JSON.parse((await offline).payload)).toMatchObject({ state: 'offline', via: 'control' });
    } finally {
      await watcher.endAsync();
    }
  }, 2 * CLI_OUTPUT_TIMEOUT_MS);

  it('refuses to start without --site', async () => {
    const c = spawn(process.execPath, ['bin/ringwatch.js', 'control']);
    let err = '';
    c.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    const code = await new Promise<number | null>((r) => c.once('exit', r));
    expect(code).toBe(2);
    expect(err).toMatch(/--site is required/);
  }, CLI_OUTPUT_TIMEOUT_MS);
});
