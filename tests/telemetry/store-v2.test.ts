import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TelemetryError } from '../../telemetry/errors.ts';
import { InfluxV2Store } from '../../telemetry/store/v2.ts';
import { trackTaskFlux } from '../../telemetry/store/v2-admin.ts';
import { DEFAULT_RETENTION } from '../../telemetry/store/types.ts';
import { droneTelemetry, point, storeContract } from './store-contract.ts';

/*
 * How the 2.x backend is verified here: there is no InfluxDB 2.x on this machine
 * (Debian's influxd 1.6 has no /api/v2). Two layers:
 * 1. The full contract suite runs against a real 2.x/Cloud when RINGWATCH_TEST_INFLUX2_URL,
 *    _TOKEN and _ORG are set (e.g. `docker run influxdb:2`); otherwise it is skipped.
 * 2. Always: a fake HTTP server implementing /api/v2/{orgs,buckets,tasks,write,query}
 *    records what the adapter sends and answers with annotated CSV written by hand from
 *    the documented format. This proves the wire side (paths, org/bucket/precision
 *    parameters, token auth, line protocol, bucket retention rules, the Flux text we
 *    send, CSV parsing, error mapping) — not that the Flux computes the right answer.
 */
const env = process.env;
const real = env['RINGWATCH_TEST_INFLUX2_URL'];
if (real) {
  let n = 0;
  storeContract('InfluxDB 2.x (real server from RINGWATCH_TEST_INFLUX2_URL)', async () => ({
    makeStore: async () =>
      new InfluxV2Store({ url: real, token: env['RINGWATCH_TEST_INFLUX2_TOKEN'] ?? '', org: env['RINGWATCH_TEST_INFLUX2_ORG'] ?? '', bucketPrefix: `contract-${Date.now()}-${++n}` }),
  }));
}

interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  auth: string | undefined;
  body: string;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let s = '';
    req.on('data', (c: Buffer) => (s += c.toString()));
    req.on('end', () => resolve(s));
  });
}

describe('InfluxDB 2.x adapter on the wire (fake /api/v2 server)', () => {
  let server: Server;
  let url: string;
  let log: Recorded[];
  let buckets: { id: string; name: string; retentionRules: { type: string; everySeconds: number }[] }[];
  let tasks: { id: string; name: string; flux: string }[];
  let queryAnswer: string;
  let writeStatus: number;

  beforeEach(async () => {
    log = [];
    buckets = [];
    tasks = [];
    queryAnswer = '';
    writeStatus = 204;
    server = createServer(async (req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const body = await readBody(req);
      log.push({ method: req.method ?? '', path: u.pathname, query: u.searchParams, auth: req.headers.authorization, body });
      const json = (code: number, v: unknown) => res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(v));
      if (u.pathname === '/api/v2/orgs') return json(200, { orgs: [{ id: 'org1', name: u.searchParams.get('org') }] });
      if (u.pathname === '/api/v2/buckets' && req.method === 'GET') {
        const name = u.searchParams.get('name');
        return json(200, { buckets: buckets.filter((b) => !name || b.name === name) });
      }
      if (u.pathname === '/api/v2/buckets' && req.method === 'POST') {
        const b = JSON.parse(body) as (typeof buckets)[number];
        buckets.push({ ...b, id: `b${buckets.length}` });
        return json(201, b);
      }
      if (u.pathname === '/api/v2/tasks' && req.method === 'GET') return json(200, { tasks });
      if (u.pathname === '/api/v2/tasks' && req.method === 'POST') {
        const t = JSON.parse(body) as { flux: string };
        tasks.push({ id: 't1', name: /name: "([^"]+)"/.exec(t.flux)?.[1] ?? '', flux: t.flux });
        return json(201, {});
      }
      if (u.pathname === '/api/v2/write') {
        if (writeStatus !== 204) return json(writeStatus, { code: 'invalid', message: 'nope' });
        return res.writeHead(204).end();
      }
      if (u.pathname === '/api/v2/query') return res.writeHead(200, { 'content-type': 'text/csv' }).end(queryAnswer);
      json(404, { message: 'not found' });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const a = server.address();
    url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  });
  afterEach(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  const store = () => new InfluxV2Store({ url, token: 'tok-123', org: 'police', bucketPrefix: 'rw' });

  it('creates one bucket per retention class and the downsampling task, once', async () => {
    const s = store();
    await s.init();
    await s.init();
    expect(buckets.map((b) => [b.name, b.retentionRules[0]?.everySeconds])).toEqual([
      ['rw-raw', 7 * 86400],
      ['rw-track', 90 * 86400],
      ['rw-long', 730 * 86400],
    ]);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]?.flux).toBe(trackTaskFlux(s.names, DEFAULT_RETENTION));
    expect(tasks[0]?.flux).toContain('aggregateWindow(every: 10s, fn: last');
    expect(tasks[0]?.flux).toContain('to(bucket: "rw-track", org: "police")');
    expect(log.every((r) => r.auth === 'Token tok-123')).toBe(true);
    const info = await s.describeRetention();
    expect(info.downsampling).toEqual(['rw-track-10s']);
  });

  it('writes line protocol with nanosecond identity timestamps to the right bucket', async () => {
    const s = store();
    const ts = 1_800_000_000_123;
    await s.write([
      droneTelemetry('drone-1', ts, 0),
      point('ringwatch/v1/sensor/cp-1-anpr/event', { id: 'ev-1', tsMs: ts, type: 'vehicle_pass', severity: 'info', checkpointId: 'cp-1', plate: 'A "1"' }),
    ]);
    const writes = log.filter((r) => r.path === '/api/v2/write');
    expect(writes.map((w) => [w.query.get('org'), w.query.get('bucket'), w.query.get('precision')]).sort()).toEqual([
      ['police', 'rw-long', 'ns'],
      ['police', 'rw-raw', 'ns'],
    ]);
    const raw = writes.find((w) => w.query.get('bucket') === 'rw-raw')!.body;
    expect(raw).toBe(
      'telemetry,deviceId=drone-1,kind=drone,site=lakeside altAmslM=80,altRelM=60,armed=T,batteryPct=90,batteryV=22.1,gpsFix=3,groundSpeedMps=8.5,headingDeg=0,latDeg=30.5,lonDeg=114.3,mode="AUTO",satellites=14 1800000000123000000',
    );
    const long = writes.find((w) => w.query.get('bucket') === 'rw-long')!.body;
    expect(long).toMatch(/^event,deviceId=cp-1-anpr,kind=sensor,severity=info,site=lakeside,type=vehicle_pass checkpointId="cp-1",id="ev-1",plate="A \\"1\\"" 1800000000123\d{6}$/);
    expect(long.endsWith('123000000')).toBe(false); // id-derived sub-ms nanoseconds
  });

  it('maps 5xx to a retryable error and 4xx to a rejection', async () => {
    const s = store();
    writeStatus = 503;
    const e1 = await s.write([droneTelemetry('drone-1', 1, 0)]).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(TelemetryError);
    expect((e1 as TelemetryError).retryable).toBe(true);
    writeStatus = 400;
    const e2 = await s.write([droneTelemetry('drone-1', 1, 0)]).catch((e: unknown) => e);
    expect((e2 as TelemetryError).code).toBe('TEL_STORE_REJECTED');
  });

  it('sends Flux for latest state and reads the pivoted annotated CSV', async () => {
    const s = store();
    queryAnswer = [
      '#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,string,string,string,string,double,double,string,boolean',
      '#group,false,false,true,true,false,true,true,true,true,false,false,false,false',
      '#default,_result,,,,,,,,,,,,',
      ',result,table,_start,_stop,_time,_measurement,deviceId,kind,site,latDeg,lonDeg,mode,armed',
      ',,0,2026-11-16T00:00:00Z,2026-11-23T00:00:00Z,2026-11-22T23:59:58.5Z,telemetry,drone-1,drone,lakeside,30.5,114.3,AUTO,true',
      ',,1,2026-11-16T00:00:00Z,2026-11-23T00:00:00Z,2026-11-22T23:50:00Z,telemetry,drone-2,drone,lakeside,30.6,114.4,RTL,false',
      '',
    ].join('\r\n');
    const latest = await s.latestState();
    const queries = log.filter((r) => r.path === '/api/v2/query').map((r) => (JSON.parse(r.body) as { query: string }).query);
    expect(queries[0]).toContain('from(bucket: "rw-raw")');
    expect(queries[0]).toContain('|> range(start: -7d)');
    expect(queries[0]).toContain('|> last()');
    expect(queries[0]).toContain('pivot(rowKey: ["_time"], columnKey: ["_field"], valuesColumn: "_value")');
    expect(queries[1]).toContain('r._measurement == "status"');
    const d1 = latest.find((d) => d.deviceId === 'drone-1');
    expect(d1).toMatchObject({ kind: 'drone', site: 'lakeside', lastSeenMs: Date.parse('2026-11-22T23:59:58.5Z'), fields: { latDeg: 30.5, mode: 'AUTO', armed: true } });
    expect(latest.find((d) => d.deviceId === 'drone-2')?.fields['armed']).toBe(false);
  });

  it('asks for a decimated track with aggregateWindow when the count exceeds the budget', async () => {
    const s = store();
    const countCsv = [
      '#datatype,string,long,string,long',
      '#group,false,false,true,false',
      '#default,_result,,,',
      ',result,table,deviceId,_value',
      ',,0,drone-1,600',
      '',
    ].join('\r\n');
    queryAnswer = countCsv;
    const now = Date.now();
    await s.track('drone-1', { fromMs: now - 600_000, toMs: now }, 50).catch(() => undefined);
    const queries = log.filter((r) => r.path === '/api/v2/query').map((r) => (JSON.parse(r.body) as { query: string }).query);
    expect(queries[0]).toContain('r.deviceId == "drone-1"');
    expect(queries[0]).toContain('|> count()');
    expect(queries[1]).toMatch(/aggregateWindow\(every: 12245ms, fn: last, createEmpty: false, timeSrc: "_start"\)/);
  });
});
