import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxV1Store } from '../../telemetry/store/v1.ts';
import { connectAs, startBroker, type TestBroker } from '../helpers/broker.ts';
import { startInflux, type TestInflux } from '../helpers/influx.ts';
import { publishPaced } from '../telemetry/ingest-helpers.ts';
import { getJson, runCli, tinyFilesystem, until, type CliProcess, type HealthRecord } from './drill-helpers.ts';

/**
 * Drill: `ringwatch telemetry` with its spool on a 2 MiB tmpfs and InfluxDB stopped, so
 * the disk fills. It used to wedge: the drained segment kept its space, appends failed
 * every second forever, ENOSPC left a torn line and SIGINT hung. Asserted by counting:
 * shed messages are counted, every accepted one is stored once InfluxDB is back, no
 * segment holds a torn line, appends resume by themselves, and SIGINT on a full disk
 * exits within a bound.
 */
const DRILL_TIMEOUT_MS = 90_000;
const CLI_START_TIMEOUT_MS = 20_000;
/** A graceful stop on a full disk with InfluxDB away: MQTT close ≤ 3 s, drain ≤ 1 s, plus process start-up noise. */
const SIGINT_BOUND_MS = 10_000;
/** ~2 MiB of ~260-byte lines is ~8,000 messages; this many overfill it. */
const FILL = 11_000;

const fs = tinyFilesystem('2m');
if (fs.error) console.warn(`spool-tiny-disk drill skipped: ${fs.error}`);

/** Every line of every segment is whole: each file is empty or ends with a newline. */
function segmentsWhole(dir: string): { files: number; lines: number } {
  let lines = 0;
  const files = readdirSync(dir);
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    if (text.length === 0) continue;
    expect(text.endsWith('\n'), `${f} ends mid-line`).toBe(true);
    lines += text.split('\n').length - 1;
  }
  return { files: files.length, lines };
}

describe.skipIf(fs.error !== undefined)('drill: telemetry spool on a tiny, full disk', () => {
  let broker: TestBroker;
  let influx: TestInflux;
  let device: MqttClient;
  let cli: CliProcess | undefined;

  beforeAll(async () => {
    [broker, influx] = await Promise.all([startBroker(), startInflux()]);
    device = await connectAs(broker, 'control', { clientId: `control:drill-disk-${process.pid}` });
  });
  afterAll(async () => {
    await cli?.stop('SIGKILL', 5_000);
    await device?.endAsync(true);
    await broker?.close();
    await influx?.close();
    fs.unmount();
  });

  it('sheds with a count, never tears a line, recovers when space returns, and stops on SIGINT within a bound', { timeout: DRILL_TIMEOUT_MS }, async () => {
    const spoolDir = join(fs.dir, 'spool');
    const startCli = async () => {
      cli = runCli(['telemetry', '--site', 'sites/demo.yaml', '--mqtt', broker.url, '--influx-url', influx.url, '--database', 'tinydisk',
        '--data-dir', fs.dir, '--client-id', `telemetry:drill-disk-${process.pid}`, '--metrics-port', '0', '--flush-ms', '50', '--log-level', 'warn']);
      const m = await cli.waitFor(/metrics on (http:\/\/\S+)\/metrics/, CLI_START_TIMEOUT_MS);
      return `${m[1]}/health`;
    };
    const health = (url: string) => getJson<HealthRecord>(url);
    const base = Date.now() - 50 * 60_000;

    // 1. InfluxDB away, the disk fills: messages beyond it are shed and counted, not held.
    await influx.stop();
    let url = await startCli();
    await publishPaced(device, 'drone-2', base, 0, FILL, 200, 20);
    await until(async () => (await health(url)).received >= FILL, 'every message received', 30_000);
    const full = await health(url);
    expect(full.status).toBe('degraded');
    expect(full.spool.shedding?.shed).toBeGreaterThan(0);
    expect(full.shed['telemetry']).toBe(FILL - full.accepted);
    expect(full.reasons.join(' ')).toMatch(/spool cannot write \(spool disk full \(ENOSPC\)\)/);
    const whole = segmentsWhole(spoolDir);
    expect(whole.lines).toBe(full.accepted);

    // 2. InfluxDB back: the spool drains, drained segments are released, appends resume by themselves.
    await influx.start();
    await until(async () => (await health(url)).pointsWritten >= full.accepted, 'the spool drained', 30_000);
    await until(async () => (await health(url)).spoolBytes === 0, 'drained segments released', 10_000);
    await publishPaced(device, 'drone-2', base, FILL, FILL + 500, 100, 20);
    await until(async () => (await health(url)).pointsWritten >= full.accepted + 500, 'new messages stored after recovery', 20_000);
    const recovered = await health(url);
    expect(recovered.spool.shedding).toBeNull();
    expect(recovered.shed['telemetry']).toBe(full.shed['telemetry']);
    await until(async () => (await health(url)).status === 'ok', 'health ok again', 15_000);
    // Exactly what was accepted is stored: the shed ones are missing, nothing else is.
    const store = new InfluxV1Store({ url: influx.url, database: 'tinydisk' });
    const rows = await store.positions({ fromMs: base, toMs: base + (FILL + 500) * 100 });
    expect(rows).toHaveLength(full.accepted + 500);
    expect(new Set(rows.map((r) => r.tsMs)).size).toBe(rows.length);

    // 3. Full again with InfluxDB away, then Ctrl-C: it exits, within the bound, with whole lines on disk.
    await influx.stop();
    await publishPaced(device, 'drone-2', base, FILL + 500, 2 * FILL, 200, 20);
    await until(async () => (await health(url)).spool.shedding !== null, 'shedding again', 30_000);
    const stopped = await cli!.stop('SIGINT', 30_000);
    expect(stopped).toMatchObject({ code: 0, killed: false });
    expect(stopped.tookMs).toBeLessThan(SIGINT_BOUND_MS);
    const left = segmentsWhole(spoolDir);
    expect(left.lines).toBeGreaterThan(0);

    // 4. The next start reads the full spool back without a torn or corrupt line.
    await influx.start();
    url = await startCli();
    const again = await health(url);
    expect(again).toMatchObject({ recoveredPoints: left.lines, spool: { tornTails: 0, corruptLines: 0 } });
    await until(async () => (await health(url)).pointsWritten >= left.lines, 'the recovered spool written', 30_000);
    console.info(
      `drill tiny disk: ${full.accepted} of ${FILL} spooled, ${full.shed['telemetry']} shed on ENOSPC; all accepted stored after InfluxDB returned; ` +
        `SIGINT on a full disk closed in ${stopped.tookMs} ms; ${left.lines} lines recovered whole`,
    );
  });
});
