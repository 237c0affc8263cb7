import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { startSystem, type RunningSystem } from '../../system/start-system.ts';
import { startInflux, type InfluxdHandle } from '../../telemetry/influxd.ts';
import { demoSystemOptions, until } from './drill-helpers.ts';

/** The stack in one process, console bundling and a real influxd included, on a busy 2-core machine. */
const TEST_TIMEOUT_MS = 150_000;
/** The worst an API handler could do: hold the main thread this long without yielding. */
const BLOCK_MS = 3_000;
const PUBLISH_EVERY_MS = 50;
/** Acks may bunch on a busy machine, but never by as much as the block. */
const MAX_ACK_GAP_MS = 1_000;

interface ProbeRecord {
  seq: number;
  tsMs: number;
  sentMs: number;
  ackMs?: number;
  error?: string;
}

/** A scrape during the block is answered by the metrics thread within its 1 s deadline for main, plus room. */
const MAX_SCRAPE_MS = 1_500;

interface Fetched {
  startMs: number;
  endMs: number;
  status: number;
  body: string;
  error?: string;
}

/** Wall-clock milliseconds comparable with the probe thread's. */
const nowMs = () => performance.timeOrigin + performance.now();

/**
 * Issue 15, "one event loop for everything": in `ringwatch up` the broker (with
 * telemetry's in-process ingest) runs on its own thread, so a main thread that stops
 * for seconds (a heavy API request) delays no PUBACK. A device on a thread of its own
 * publishes QoS 1 every 50 ms while this thread spins for 3 s; every message must be
 * acknowledged without a gap near the block and stored in InfluxDB, and the lag series
 * on /metrics must show the stall on the main thread and none on the broker's.
 */
describe('drill: the main thread stalls, the broker does not', () => {
  let dir: string | undefined;
  let sys: RunningSystem | undefined;
  let influx: InfluxdHandle | undefined;
  let probe: Worker | undefined;
  let scraper: Worker | undefined;

  afterAll(async () => {
    await probe?.terminate();
    await scraper?.terminate();
    await sys?.close();
    await influx?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps acknowledging and storing QoS 1 publishes through a 3 s busy loop on the main thread', { timeout: TEST_TIMEOUT_MS }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'rw-drill-stall-'));
    influx = await startInflux({ dataDir: join(dir, 'influxdb') });
    const opts = demoSystemOptions(dir, influx.url);
    sys = await startSystem({ ...opts, metricsPort: 0 });
    await until(() => sys!.health().services.telemetry.status === 'ok', 'telemetry ok', 30_000);

    const sensorId = Object.keys(opts.secrets.devices).find((id) => opts.site.devices.get(id)?.kind === 'sensor');
    if (!sensorId) throw new Error('the demo site has no sensor with a secret');
    probe = new Worker(new URL('./puback-probe-worker.mjs', import.meta.url), {
      workerData: { url: sys.mqttUrl, username: sensorId, password: opts.secrets.devices[sensorId], topic: `ringwatch/v1/sensor/${sensorId}/telemetry`, intervalMs: PUBLISH_EVERY_MS },
    });
    const p = probe;
    const messages: { kind: string; sent?: ProbeRecord[] }[] = [];
    p.on('message', (m: { kind: string; sent?: ProbeRecord[] }) => messages.push(m));
    const failed = new Promise<never>((_, reject) => p.once('error', reject));
    await Promise.race([until(() => messages.some((m) => m.kind === 'started'), 'the probe connected', 15_000), failed]);

    // A scraper on a thread of its own, like Prometheus: it scrapes 1 s into the block.
    const healthUrl = sys.metricsUrl!.replace(/metrics$/, 'health');
    scraper = new Worker(new URL('./scrape-probe-worker.mjs', import.meta.url), { workerData: { metricsUrl: sys.metricsUrl, healthUrl } });
    const s = scraper;
    const scraped: { kind: string; metrics?: Fetched; health?: Fetched }[] = [];
    s.on('message', (m: { kind: string; metrics?: Fetched; health?: Fetched }) => scraped.push(m));
    const scraperFailed = new Promise<never>((_, reject) => s.once('error', reject));
    await Promise.race([until(() => scraped.some((m) => m.kind === 'started'), 'the scraper started', 15_000), scraperFailed]);

    // Traffic before the stall, then the stall, then traffic after it.
    await new Promise((r) => setTimeout(r, 1_500));
    s.postMessage({ kind: 'scrape-at', atMs: nowMs() + 1_000 });
    const blockStartMs = nowMs();
    while (nowMs() - blockStartMs < BLOCK_MS) {
      // Spin: nothing on this thread runs until the loop ends.
    }
    const blockEndMs = nowMs();
    await new Promise((r) => setTimeout(r, 1_500));
    p.postMessage('stop');
    await Promise.race([until(() => messages.some((m) => m.kind === 'result'), 'the probe result', 20_000), failed]);
    const sent = messages.find((m) => m.kind === 'result')!.sent!;

    // The probe kept publishing through the block (it does not share this thread).
    const sentDuringBlock = sent.filter((r) => r.sentMs > blockStartMs && r.sentMs < blockEndMs);
    expect(sentDuringBlock.length).toBeGreaterThan((BLOCK_MS / PUBLISH_EVERY_MS) * 0.5);
    // Every publish acknowledged, and the acks kept coming while this thread spun.
    expect(sent.filter((r) => r.ackMs === undefined).map((r) => `#${r.seq}: ${r.error ?? 'no PUBACK'}`)).toEqual([]);
    const ackTimes = sent.map((r) => r.ackMs!).sort((a, b) => a - b);
    const gaps = ackTimes.slice(1).map((t, i) => ({ gapMs: t - ackTimes[i]!, atMs: ackTimes[i]! }));
    const worst = gaps.reduce((w, g) => (g.gapMs > w.gapMs ? g : w), { gapMs: 0, atMs: 0 });
    expect(worst.gapMs, `longest time without a PUBACK (from ${Math.round(worst.atMs - blockStartMs)} ms after the block started)`).toBeLessThan(MAX_ACK_GAP_MS);
    const acksDuringBlock = ackTimes.filter((t) => t > blockStartMs && t < blockEndMs).length;
    expect(acksDuringBlock).toBeGreaterThan((BLOCK_MS / PUBLISH_EVERY_MS) * 0.5);

    // Every acknowledged message reached InfluxDB (spooled before its PUBACK, then written).
    const firstTs = sent[0]!.tsMs;
    const q = `SELECT count("rssiDbm") FROM "raw"."telemetry" WHERE "deviceId" = '${sensorId}' AND time >= ${firstTs}ms`;
    let stored = 0;
    await until(
      async () => {
        const res = (await (await fetch(`${influx!.url}/query?db=ringwatch&q=${encodeURIComponent(q)}`)).json()) as { results: { series?: { values: [string, number][] }[] }[] };
        stored = res.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
        return stored >= sent.length;
      },
      `all ${sent.length} probe messages in InfluxDB`,
      30_000,
    ).catch(() => undefined);
    expect(stored).toBe(sent.length);

    // /metrics and /health answered during the block, from the metrics thread: the broker's
    // figures there, main shown as not answering and none of control's figures made up.
    await Promise.race([until(() => scraped.some((m) => m.kind === 'scraped'), 'the scrape during the block', 30_000), scraperFailed]);
    const during = scraped.find((m) => m.kind === 'scraped')!;
    for (const [name, f] of [['/metrics', during.metrics!], ['/health', during.health!]] as const) {
      expect(f.startMs, `${name} asked during the block`).toBeGreaterThan(blockStartMs);
      expect(f.status, `${name}: ${f.error ?? ''}`).toBe(200);
      expect(f.endMs - f.startMs, `${name} answered within ${MAX_SCRAPE_MS} ms`).toBeLessThan(MAX_SCRAPE_MS);
      expect(f.endMs, `${name} answered before the block ended`).toBeLessThan(blockEndMs);
    }
    const duringMetrics = during.metrics!.body;
    expect(duringMetrics).toContain('ringwatch_thread_answered{thread="main"} 0');
    expect(duringMetrics).toContain('ringwatch_thread_answered{thread="broker"} 1');
    expect(duringMetrics).toMatch(/^ringwatch_broker_messages_in_total \d+/m);
    expect(duringMetrics).toMatch(/^ringwatch_telemetry_healthy 1$/m);
    expect(duringMetrics).not.toMatch(/^ringwatch_control_\w+(\{.*\})? /m);
    expect(duringMetrics).not.toMatch(/^ringwatch_event_loop_lag_max_seconds\{thread="main"\}/m);
    const duringHealth = JSON.parse(during.health!.body) as { status: string; services: Record<string, { status: string; reasons: string[] }> };
    expect(duringHealth.status).toBe('degraded');
    expect(duringHealth.services['control']!.status).toBe('degraded');
    expect(duringHealth.services['control']!.reasons).toEqual([expect.stringMatching(/^control \(main thread\) not answering for \d+ s$/)]);
    expect(duringHealth.services['broker']!.status).toBe('ok');
    expect(duringHealth.services['telemetry']!.status).toBe('ok');

    // After the block both are whole again.
    const after = JSON.parse(await (await fetch(healthUrl)).text()) as typeof duringHealth;
    expect(after.services['control']!.reasons.join('; ')).not.toMatch(/not answering/);
    expect(after.services['control']!.status).toBe('ok');

    // The lag series say where the stall was: on the main thread, not the broker's.
    const metrics = await (await fetch(sys.metricsUrl!)).text();
    expect(metrics).toContain('ringwatch_thread_answered{thread="main"} 1');
    expect(metrics).toMatch(/^ringwatch_control_broker_connected 1$/m);
    const maxLagS = (thread: string) => {
      const m = new RegExp(`^ringwatch_event_loop_lag_max_seconds\\{thread="${thread}"\\} (\\S+)$`, 'm').exec(metrics);
      if (!m) throw new Error(`no ringwatch_event_loop_lag_max_seconds for thread ${thread} on /metrics`);
      return Number(m[1]);
    };
    expect(maxLagS('main')).toBeGreaterThan((BLOCK_MS / 1000) * 0.8);
    expect(maxLagS('broker')).toBeLessThan(MAX_ACK_GAP_MS / 1000);

    // A broker thread that crashes is restarted, and the metrics thread reaches the new one.
    await sys.brokerThread.crash();
    const crashed = JSON.parse(await (await fetch(healthUrl)).text()) as typeof duringHealth;
    expect(crashed.services['broker']!.status).toBe('down');
    expect(await (await fetch(sys.metricsUrl!)).text()).toContain('ringwatch_thread_answered{thread="broker"} 0');
    await until(
      async () => {
        const text = await (await fetch(sys!.metricsUrl!)).text();
        return text.includes('ringwatch_thread_answered{thread="broker"} 1') && /^ringwatch_broker_messages_in_total \d+/m.test(text);
      },
      'the restarted broker thread answers the metrics thread',
      30_000,
    );

    const latencies = sent.map((r) => r.ackMs! - r.sentMs).sort((a, b) => a - b);
    const pct = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!);
    console.log(
      `main-thread stall drill: ${sent.length} QoS 1 publishes (${sentDuringBlock.length} during the ${BLOCK_MS} ms block), all acked and stored; ` +
        `longest gap between PUBACKs ${Math.round(worst.gapMs)} ms; PUBACK latency p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${pct(1)} ms; ` +
        `event-loop lag max: main ${maxLagS('main').toFixed(2)} s, broker ${maxLagS('broker').toFixed(3)} s; ` +
        `during the block /metrics answered in ${Math.round(during.metrics!.endMs - during.metrics!.startMs)} ms, /health in ${Math.round(during.health!.endMs - during.health!.startMs)} ms (${duringHealth.services['control']!.reasons[0]})`,
    );
  });
});
