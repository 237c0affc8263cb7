import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { brokerPublishPath } from '../../broker/index.ts';
import { InprocIngest, type PublishPathSource } from '../../telemetry/inproc-ingest.ts';
import { mapMessage } from '../../telemetry/mapping/index.ts';
import { IngestMetrics } from '../../telemetry/metrics.ts';
import { startTelemetryService } from '../../telemetry/service.ts';
import { Spool } from '../../telemetry/spool.ts';
import type { TelemetryStore } from '../../telemetry/store/types.ts';
import { BatchWriter } from '../../telemetry/writer.ts';
import { collect, connectAs } from '../helpers/broker.ts';
import { until } from '../helpers/wait.ts';
import { brokerWithDrone as brokerWithDroneAt, telemetryPayload } from './ingest-helpers.ts';

const silent = pino({ level: 'silent' });
const DRONE = 'drone-1';
const topicOf = (id: string) => `ringwatch/v1/drone/${id}/telemetry`;

/** A store whose writes never complete: points stay queued and in the spool. */
const stuckStore = { init: async () => undefined, write: () => new Promise<void>(() => undefined), close: async () => undefined } as unknown as TelemetryStore;

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function spoolParts(opts: { maxQueuedPoints?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'rw-inproc-'));
  const decode = (topic: string, payload: Buffer) => {
    const r = mapMessage('lakeside', topic, payload);
    return r.ok ? r.point : undefined;
  };
  const { spool } = Spool.open({ dir, decode });
  const metrics = new IngestMetrics();
  const writer = new BatchWriter(stuckStore, spool, metrics, { flushIntervalMs: 60_000, ...opts });
  cleanups.push(() => {
    writer.close();
    spool.close();
    rmSync(dir, { recursive: true, force: true });
  });
  /** Every spooled line on disk now (read synchronously, as a crash right now would leave it). */
  const onDisk = () => readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('');
  return { dir, spool, metrics, writer, onDisk };
}

const brokerWithDrone = () => brokerWithDroneAt(DRONE, cleanups);

describe("in-process ingest on the broker's publish path", () => {
  it('spools every QoS 1 message before the broker writes its PUBACK', async () => {
    const { broker, drone } = await brokerWithDrone();
    const parts = spoolParts();
    const ingest = new InprocIngest(brokerPublishPath(broker.server.broker), { site: 'lakeside', logger: silent }, parts.spool, parts.writer, parts.metrics);
    await ingest.start();
    // What the broker writes to the drone's socket, in order, beside what the spool holds
    // at that instant: each PUBACK must find its message already on disk.
    const missingAtPuback: number[] = [];
    const payloads: string[] = [];
    broker.server.broker.aedes.on('client', (client) => {
      if (client.id !== DRONE) return;
      const conn = client.conn as unknown as { write: (chunk: unknown, ...rest: unknown[]) => boolean };
      const write = conn.write.bind(conn);
      conn.write = (chunk, ...rest) => {
        if (Buffer.isBuffer(chunk) && chunk[0] === 0x40) {
          const disk = parts.onDisk();
          // Every message published so far whose PUBACK is being written must be on disk.
          const acked = payloads.length;
          for (let i = 0; i < acked; i++) if (!disk.includes(payloads[i]!)) missingAtPuback.push(i);
        }
        return write(chunk, ...rest);
      };
    });
    // Reconnect so the hook above wraps this connection.
    await drone.endAsync(true);
    const fresh = await connectAs(broker, DRONE);
    cleanups.push(() => fresh.endAsync(true));
    const base = Date.now() - 60_000;
    for (let i = 0; i < 30; i++) {
      const body = telemetryPayload(base + i * 100, i);
      payloads.push(body);
      await fresh.publishAsync(topicOf(DRONE), body, { qos: 1 });
    }
    expect(missingAtPuback).toEqual([]);
    expect(parts.metrics.accepted).toBe(30);
    expect(parts.writer.queued).toBe(30);
  });

  it('takes only what the broker accepts, wills included, and keeps routing when the tap throws', async () => {
    const { broker, drone } = await brokerWithDrone();
    const seen: string[] = [];
    let explode = false;
    broker.server.broker.tapAccepted((topic) => {
      seen.push(topic);
      if (explode) throw new Error('tap failed');
    });
    // Another drone's topic: refused by the ACL, so never tapped.
    await drone.publishAsync(topicOf('drone-2'), telemetryPayload(Date.now(), 1), { qos: 1 });
    await drone.publishAsync(topicOf(DRONE), telemetryPayload(Date.now(), 2), { qos: 1 });
    expect(seen).toEqual([topicOf(DRONE)]);
    expect(() => broker.server.broker.tapAccepted(() => undefined)).toThrow(/already attached/);

    const watcher = await connectAs(broker, 'telemetry', { clientId: 'telemetry:watch' });
    cleanups.push(() => watcher.endAsync(true));
    await watcher.subscribeAsync('ringwatch/v1/#', { qos: 1 });
    const got = collect(watcher);
    explode = true;
    await drone.publishAsync(topicOf(DRONE), telemetryPayload(Date.now(), 3), { qos: 1 });
    await until(() => got.some((m) => m.topic === topicOf(DRONE)), 'message routed despite the failing tap', 5_000);

    // The drone's will (its offline status) is published for it when it drops.
    const willer = await connectAs(broker, 'drone-1-spk', { will: { topic: 'ringwatch/v1/speaker/drone-1-spk/status', payload: Buffer.from(JSON.stringify({ state: 'offline', tsMs: Date.now() })), qos: 1, retain: true } });
    willer.stream.destroy();
    await until(() => seen.includes('ringwatch/v1/speaker/drone-1-spk/status'), 'will tapped', 5_000);
  });

  it('sheds with a count instead of holding the publisher when the writer is full', async () => {
    const parts = spoolParts({ maxQueuedPoints: 2 });
    let deliver: ((topic: string, payload: Buffer) => void) | undefined;
    const source: PublishPathSource = { attach: (f) => ((deliver = f), () => (deliver = undefined)), publish: () => undefined };
    const reasons: (string | undefined)[] = [];
    const ingest = new InprocIngest(source, { site: 'lakeside', logger: silent, onShedding: (r) => reasons.push(r) }, parts.spool, parts.writer, parts.metrics);
    await ingest.start();
    const base = Date.now() - 60_000;
    for (let i = 0; i < 5; i++) deliver!(topicOf(DRONE), Buffer.from(telemetryPayload(base + i * 100, i)));
    deliver!(topicOf(DRONE), Buffer.from('not json'));
    expect(parts.metrics.accepted).toBe(2);
    expect(parts.metrics.shed['telemetry']).toBe(3);
    expect(parts.metrics.dropped.not_json).toBe(1);
    expect(ingest.sheddingState?.shed).toBe(3);
    expect(reasons).toEqual([expect.stringMatching(/writer backlog full \(2 points unwritten\)/)]);
    await ingest.close();
    expect(deliver).toBeUndefined();
    expect(ingest.connected).toBe(false);
  });

  it('the service takes exactly one source', async () => {
    const base = { site: 'lakeside', store: { backend: 'v1' as const, url: 'http://127.0.0.1:9' }, dataDir: tmpdir(), logger: silent };
    await expect(startTelemetryService(base)).rejects.toThrow(/exactly one of mqtt .* and publishPath/);
    const source: PublishPathSource = { attach: () => () => undefined, publish: () => undefined };
    await expect(startTelemetryService({ ...base, publishPath: source, mqtt: { url: 'mqtt://127.0.0.1:9', password: 'x' } })).rejects.toThrow(/exactly one/);
  });
});
