import { afterEach, describe, expect, it } from 'vitest';
import { controlObservability } from '../../control/observability/metrics.ts';
import { startControlService, type ControlService } from '../../control/service.ts';
import { DEFAULT_TIMEOUTS } from '../../control/timeouts.ts';
import { mavlinkSigningKeys } from '../../site/mavlink-keys.ts';
import { demoSite } from '../helpers/broker.ts';
import { until } from '../helpers/wait.ts';
import { findFreeUdpPort } from '../../util/free-port.ts';
import { startVehiclePeers, type VehiclePeers } from './helpers/vehicle-peers.ts';

/**
 * Issue 15: one heavy request once blocked the shared event loop for 19–25 s, every GCS
 * heartbeat stopped, and every drone was declared lost. Here the main thread (the one the
 * control service, its API and operations run on) is blocked synchronously for longer
 * than the link-lost timeout while signed simulated drones fly on a thread of their own.
 */
const BLOCK_MS = 3500;

let svc: ControlService | undefined;
let peers: VehiclePeers | undefined;
afterEach(async () => {
  await svc?.close();
  await peers?.close();
  svc = undefined;
  peers = undefined;
});

/** Blocks this thread as a long synchronous request would; Atomics.wait rather than a busy loop, so the 2-core machine's other core stays free for the threads under test. */
function blockThisThread(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function maxGapMs(times: number[], fromMs: number, toMs: number): number {
  const inside = times.filter((t) => t >= fromMs && t <= toMs);
  let worst = 0;
  let prev = fromMs;
  for (const t of [...inside, toMs]) {
    worst = Math.max(worst, t - prev);
    prev = t;
  }
  return worst;
}

describe('link thread: a blocked main thread', () => {
  it('delays no GCS heartbeat and declares no drone lost', async () => {
    const { site, secrets } = demoSite();
    const base = site.drones.slice(0, 3);
    const keys = mavlinkSigningKeys(base, secrets);
    expect(keys.size).toBe(3); // signed drones: the thread's heartbeats must pass the vehicles' key checks
    peers = await startVehiclePeers(base, keys);
    const drones = base.map((d, i) => ({ ...d, mavlink: { ...d.mavlink, url: `udpout://127.0.0.1:${peers!.ports[i]}` } }));
    const log: string[] = [];
    // Production heartbeat and link-lost timings: a 1 Hz heartbeat, lost after 3 s.
    svc = await startControlService({ site: { drones }, signingKeys: keys, timeouts: DEFAULT_TIMEOUTS, log: (l) => log.push(l) });
    const vehicles = [...svc.vehicles.values()];
    await until(() => vehicles.every((v) => v.online), 'every drone online', 20_000);
    const lost: string[] = [];
    for (const v of vehicles) v.on('link_lost', () => lost.push(v.droneId));

    const blockStartMs = Date.now();
    blockThisThread(BLOCK_MS);
    const blockEndMs = Date.now();
    // Heartbeats sent after the block have been processed: every sweep that could misjudge has run.
    await until(() => vehicles.every((v) => (v.lastHeartbeatMs ?? 0) > blockEndMs + 1000), 'heartbeats processed after the block', 10_000);

    const report = await peers.report();
    const windowFromMs = blockStartMs - 1000;
    const windowToMs = blockEndMs + 1000;
    const gaps = Object.fromEntries(Object.entries(report).map(([id, r]) => [id, maxGapMs(r.gcsHeartbeatsAtMs, windowFromMs, windowToMs)]));
    const lag = svc.linkThreadStats()?.lag;
    console.log(
      `blocked ${blockEndMs - blockStartMs} ms; longest gap between GCS heartbeats at the drones: ${JSON.stringify(gaps)} ms; ` +
        `link thread lag p99 ${((lag?.p99S ?? NaN) * 1000).toFixed(1)} ms, max ${((lag?.maxS ?? NaN) * 1000).toFixed(1)} ms, utilisation ${((lag?.utilization ?? NaN) * 100).toFixed(1)}%`,
    );
    expect(blockEndMs - blockStartMs).toBeGreaterThanOrEqual(BLOCK_MS - 50);
    for (const [id, gap] of Object.entries(gaps)) expect(gap, `${id}: longest gap between GCS heartbeats`).toBeLessThanOrEqual(1500);
    for (const [id, r] of Object.entries(report)) expect(r.refused, `${id}: GCS frames the drone refused`).toEqual({});
    expect(lost).toEqual([]);
    expect(vehicles.map((v) => [v.droneId, v.online, v.linkLostCount])).toEqual(vehicles.map((v) => [v.droneId, true, 0]));
    // The link thread's own loop never waited anywhere near as long as the main one did.
    expect(lag?.maxS).toBeLessThan(1);
    expect(log.filter((l) => /refused|stopped/.test(l))).toEqual([]);

    // What /metrics says of it: control's registry carries the link thread's series.
    const observed = controlObservability({ control: svc });
    const text = await observed.registry.metrics();
    observed.close();
    const series = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(series('ringwatch_event_loop_lag_max_seconds\\{thread="links"\\}')).toBeLessThan(1);
    expect(series('ringwatch_event_loop_lag_seconds\\{thread="links",quantile="0.99"\\}')).toBeLessThan(1);
    expect(series('ringwatch_event_loop_utilization\\{thread="links"\\}')).toBeGreaterThan(0);
    expect(series('ringwatch_control_link_thread_restarts_total')).toBe(0);
  });

  it('registers the link thread with a shared per-thread lag registry instead, when given one', async () => {
    const drone = demoSite().site.drones[0]!;
    svc = await startControlService({ site: { drones: [{ ...drone, mavlink: { url: `udp://127.0.0.1:${await findFreeUdpPort()}`, systemId: 1 } }] } });
    const registered: string[] = [];
    const observed = controlObservability({ control: svc, threadLag: { register: (thread, source) => (registered.push(thread), expect(source).toBeTypeOf('function'), () => registered.pop()) } });
    expect(registered).toEqual(['links']);
    expect(await observed.registry.metrics()).not.toMatch(/ringwatch_event_loop_lag_seconds/);
    observed.close();
    expect(registered).toEqual([]);
  });
});
