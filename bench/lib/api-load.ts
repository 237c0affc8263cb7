/**
 * Drives `ringwatch up`'s HTTP API as many logged-in consoles at once (issue 15: does a
 * heavy API keep the broker and the links waiting?). Each client loops over the heaviest
 * reads a console makes — the replay's positions and events over the whole run, a
 * drone's track for one drone after another, the latest state of every device, a patrol
 * preview for the whole fleet, the engineer's link table and the OpenAPI document —
 * with no think time, so the API's thread is as busy as `concurrency` clients can make it.
 *
 * Bodies are read to the end but not parsed: the cost that matters is the server's, and
 * parsing megabytes of JSON here would only take CPU from the system under test on a
 * 2-core machine.
 */

export interface ApiLoadOptions {
  httpUrl: string;
  /** One session token per client, reused round-robin when there are fewer than `concurrency`. */
  tokens: readonly string[];
  concurrency: number;
  /** Upper bound; the caller normally ends the load sooner through the abort signal, after reading /metrics under load. */
  durationMs: number;
  /** Drone ids to walk through for track queries. */
  droneIds: readonly string[];
  /** Start of the history the queries cover (the simulators' start: the whole run). */
  historyFromMs: number;
}

export interface EndpointStats {
  requests: number;
  /** Answers other than 2xx, and requests that failed outright. */
  failed: number;
  /** How the failures ended: HTTP status, or the error's name (a connection the server closed). */
  failures: Record<string, number>;
  /** Still waiting for its answer when the load ended: not in the latencies, which it would cut short. */
  unfinished: number;
  p50Ms: number;
  p99Ms: number;
  /** Mean response size, to show which requests carry the weight. */
  meanKb: number;
}

export interface ApiLoadResult {
  requests: number;
  failed: number;
  reqPerS: number;
  mbPerS: number;
  byEndpoint: Record<string, EndpointStats>;
}

interface Request {
  name: string;
  method: 'GET' | 'POST';
  path: (i: number, nowMs: number) => string;
  body?: string;
}

const PREVIEW: Request = { name: 'patrols/preview', method: 'POST', path: () => '/api/patrols/preview', body: '{}' };

/**
 * The sustained mix, in the proportions one round of a client visits them. Tracks come
 * most often (a console opens one per drone it looks at); the rest once per round. Windows
 * end at the moment of the request, so each query covers the whole run up to then.
 *
 * The patrol preview is not in it: for 1,000 drones it holds the API's thread for
 * seconds in one piece (planPatrol is synchronous), so a few clients asking for it at
 * once would stall the thread for a minute and no other request would be served at all;
 * it is asked once per phase instead (`patrolPreview`).
 */
function requestMix(o: ApiLoadOptions): Request[] {
  const win = (nowMs: number) => `fromMs=${o.historyFromMs}&toMs=${Math.max(nowMs, o.historyFromMs + 1)}`;
  const track: Request = {
    name: 'history/track',
    method: 'GET',
    // maxPoints 2,000: the whole run of a drone at 2 Hz, undecimated.
    path: (i, nowMs) => `/api/history/track/${encodeURIComponent(o.droneIds[i % o.droneIds.length]!)}?${win(nowMs)}&maxPoints=2000`,
  };
  return [
    track,
    // The replay's query as the console makes it (history.ts): the server's default limit of 50,000 rows.
    { name: 'history/positions', method: 'GET', path: (_i, nowMs) => `/api/history/positions?${win(nowMs)}` },
    track,
    { name: 'devices/links', method: 'GET', path: () => '/api/devices/links' },
    track,
    { name: 'history/latest', method: 'GET', path: () => '/api/history/latest' },
    track,
    { name: 'history/events', method: 'GET', path: (_i, nowMs) => `/api/history/events?${win(nowMs)}` },
    { name: 'openapi.json', method: 'GET', path: () => '/api/openapi.json' },
  ];
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

/**
 * Runs the load until `signal` aborts (or `durationMs` passes) and reports what the API
 * answered by then; requests in flight at the abort are dropped, not counted.
 */
export async function runApiLoad(o: ApiLoadOptions, signal?: AbortSignal): Promise<ApiLoadResult> {
  const mix = requestMix(o);
  const stopAtMs = performance.now() + o.durationMs;
  const per = new Map<string, { ms: number[]; failed: number; failures: Record<string, number>; unfinished: number; bytes: number }>();
  let bytes = 0;
  let trackIndex = 0;
  const t0 = performance.now();

  const client = async (c: number) => {
    const auth = { authorization: `Bearer ${o.tokens[c % o.tokens.length]!}` };
    // Clients start at different places in the mix, so at any moment the API serves all kinds.
    for (let k = c; performance.now() < stopAtMs && !signal?.aborted; k++) {
      const req = mix[k % mix.length]!;
      const stats = per.get(req.name) ?? { ms: [], failed: 0, failures: {}, unfinished: 0, bytes: 0 };
      per.set(req.name, stats);
      const started = performance.now();
      let n = 0;
      let failure: string | undefined;
      try {
        const res = await fetch(o.httpUrl + req.path(trackIndex++, Date.now()), {
          method: req.method,
          headers: req.body ? { ...auth, 'content-type': 'application/json' } : auth,
          ...(req.body ? { body: req.body } : {}),
          ...(signal ? { signal } : {}),
        });
        n = (await res.arrayBuffer()).byteLength;
        if (!res.ok) failure = `HTTP ${res.status}`;
      } catch (err) {
        // Aborted at the end of the phase (dropped below), or the connection closed: not an answer.
        failure = ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
      }
      if (signal?.aborted) {
        stats.unfinished++;
        return;
      }
      stats.ms.push(performance.now() - started);
      stats.bytes += n;
      bytes += n;
      if (failure !== undefined) {
        stats.failed++;
        stats.failures[failure] = (stats.failures[failure] ?? 0) + 1;
      }
    }
  };
  let endedAt = 0;
  signal?.addEventListener('abort', () => (endedAt ||= performance.now()), { once: true });
  await Promise.all(Array.from({ length: o.concurrency }, (_, c) => client(c)));

  const elapsedS = ((endedAt || performance.now()) - t0) / 1000;
  const byEndpoint: Record<string, EndpointStats> = {};
  let requests = 0;
  let failed = 0;
  for (const [name, s] of per) {
    requests += s.ms.length;
    failed += s.failed;
    byEndpoint[name] = { requests: s.ms.length, failed: s.failed, failures: s.failures, unfinished: s.unfinished, p50Ms: pct(s.ms, 50), p99Ms: pct(s.ms, 99), meanKb: s.ms.length ? s.bytes / s.ms.length / 1024 : 0 };
  }
  return { requests, failed, reqPerS: requests / elapsedS, mbPerS: bytes / elapsedS / 1e6, byEndpoint };
}

/**
 * One request of each kind in the mix, one after another on the otherwise quiet API: what
 * each costs alone (ms and KB), so the loaded phase's figures can be read against it.
 */
export async function timeEachAlone(o: ApiLoadOptions): Promise<Record<string, { ms: number; kb: number; status: number }>> {
  const out: Record<string, { ms: number; kb: number; status: number }> = {};
  const auth = { authorization: `Bearer ${o.tokens[0]!}` };
  for (const req of [...requestMix(o), PREVIEW]) {
    if (out[req.name]) continue;
    const started = performance.now();
    const res = await fetch(o.httpUrl + req.path(0, Date.now()), { method: req.method, headers: req.body ? { ...auth, 'content-type': 'application/json' } : auth, ...(req.body ? { body: req.body } : {}) });
    const kb = (await res.arrayBuffer()).byteLength / 1024;
    out[req.name] = { ms: performance.now() - started, kb, status: res.status };
  }
  return out;
}

/** One patrol preview for the whole fleet, as a planner opening it: ms until the answer, and its status. */
export async function patrolPreview(o: Pick<ApiLoadOptions, 'httpUrl' | 'tokens'>): Promise<{ ms: number; status: number }> {
  const started = performance.now();
  const res = await fetch(o.httpUrl + PREVIEW.path(0, 0), { method: 'POST', headers: { authorization: `Bearer ${o.tokens[0]!}`, 'content-type': 'application/json' }, body: PREVIEW.body! });
  await res.arrayBuffer();
  return { ms: performance.now() - started, status: res.status };
}
