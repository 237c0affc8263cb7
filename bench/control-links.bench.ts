/**
 * npm run bench:control-links
 *
 * 1. CPU and memory of one control process speaking for N simulated drones (default 1000,
 *    BENCH_DRONES to change) at realistic stream rates, publishing telemetry at 2 Hz to a
 *    real MQTT broker (mosquitto, child process). The sim drones run in a child process
 *    (this file with --sims), so process.cpuUsage() here measures the control side alone.
 * 2. Mission upload (+ read-back) time for 100 items at 0% and 20% packet loss, with the
 *    production timeouts (1500 ms ack, 250 ms per item, 5 retries).
 * Bounded: every phase has a deadline; the whole run stops by itself.
 */
import { runBench, type Figures } from './lib/runs.ts';
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { findFreePort as freePort } from '../util/free-port.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Drone } from '../site/schema.ts';

const N = Number(process.env['BENCH_DRONES'] ?? 1000);
const MEASURE_S = Number(process.env['BENCH_MEASURE_S'] ?? 15);

function makeDrone(i: number, port: number): Drone {
  return {
    id: `bench-${i + 1}`,
    name: `Bench ${i + 1}`,
    mavlink: { url: `udpout://127.0.0.1:${port}`, systemId: (i % 250) + 1, autopilot: 'ardupilot' },
    dock: { latDeg: 30.27 + (i % 40) * 1e-4, lonDeg: 120.065 + Math.floor(i / 40) * 1e-4, altitudeAmslM: 12 },
    cruiseSpeedMps: 12,
    maxSpeedMps: 18,
    enduranceS: 1800,
  };
}

// ---------------------------------------------------------------- child: the sim drones
async function runSims(): Promise<void> {
  const { startSimDrone } = await import('../simulators/drone/index.ts');
  const count = Number(process.argv[3]);
  const handles: import('../simulators/drone/index.ts').SimDroneHandle[] = [];
  for (let i = 0; i < count; i++) {
    // prearmDelayS 0: the mission drone is ready at once; telemetry is what we measure.
    handles.push(await startSimDrone({ drone: makeDrone(i, 0), udpPort: 0, prearmDelayS: 0, gpsNoiseM: 0.3 }));
  }
  process.send!({ type: 'ready', ports: handles.map((h) => h.udpPort) });
  process.on('message', (m: { type: string; index?: number; pct?: number }) => {
    if (m.type === 'loss') {
      const h = handles[m.index!]!;
      h.clearFaults();
      if (m.pct! > 0) h.injectFault({ kind: 'packet_loss', pct: m.pct! });
      process.send!({ type: 'loss_set' });
    }
    if (m.type === 'close') void Promise.all(handles.map((h) => h.close())).then(() => process.exit(0));
  });
}

// ---------------------------------------------------------------- parent: the control side

function waitMessage<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`child did not send "${type}" in ${timeoutMs} ms`)), timeoutMs);
    const on = (m: { type: string }) => {
      if (m.type !== type) return;
      clearTimeout(t);
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
  });
}

async function until(pred: () => boolean, timeoutMs: number, stepMs = 200): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (pred()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return pred();
}

async function main(): Promise<Figures> {
  const figures: Figures = {};
  const { startControlService } = await import('../control/service.ts');
  const { MqttBus } = await import('../control/mqtt/bus.ts');
  const { waypoint } = await import('../control/vehicle/plan-item.ts');

  const dir = mkdtempSync(join(tmpdir(), 'bench-control-'));
  const mqttPort = await freePort();
  writeFileSync(join(dir, 'mosquitto.conf'), `listener ${mqttPort} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none\n`);
  const mosquitto = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
  const sims = fork(new URL(import.meta.url).pathname, ['--sims', String(N + 1)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const hardStop = setTimeout(() => {
    console.error('bench: hard time limit reached, stopping');
    sims.kill('SIGKILL');
    mosquitto.kill('SIGKILL');
    process.exit(2);
  }, 10 * 60_000);
  hardStop.unref();

  try {
    const t0 = Date.now();
    const { ports } = await waitMessage<{ ports: number[] }>(sims, 'ready', 5 * 60_000);
    console.log(`sims: ${N + 1} sim drones up in a child process in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await until(() => false, 300); // let mosquitto bind
    const bus = await MqttBus.connect({ url: `mqtt://127.0.0.1:${mqttPort}`, username: 'control', password: 'bench', clientSuffix: 'bench' });
    const drones = ports.slice(0, N).map((p, i) => makeDrone(i, p));
    const missionDrone = makeDrone(N, ports[N]!);

    const cpu0 = process.cpuUsage();
    const svc = await startControlService({ site: { drones }, bus, dataDir: dir, telemetryRateHz: 2 });
    const vs = [...svc.vehicles.values()];
    const allOnline = await until(() => vs.every((v) => v.online), 60_000);
    const streaming = await until(() => vs.filter((v) => v.telemetry() !== undefined).length >= N * 0.99, 60_000);
    const cpuStart = process.cpuUsage(cpu0);
    console.log(
      `control: ${vs.filter((v) => v.online).length}/${N} online (${allOnline ? 'all' : 'not all'}), ` +
        `${vs.filter((v) => v.telemetry() !== undefined).length} streaming (${streaming ? 'ok' : 'short'}) after ${((Date.now() - t0) / 1000).toFixed(1)} s; ` +
        `start-up CPU ${((cpuStart.user + cpuStart.system) / 1e6).toFixed(1)} s`,
    );

    // Steady state.
    const rx0 = svc.stats().links.reduce((s, l) => s + l.rxPackets, 0);
    const pub0 = svc.gateway!.counters.telemetryPublished;
    const c0 = process.cpuUsage();
    const w0 = process.hrtime.bigint();
    const { monitorEventLoopDelay } = await import('node:perf_hooks');
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const bus0 = { ...bus.counters };
    let maxRss = 0;
    const sampler = setInterval(() => (maxRss = Math.max(maxRss, process.memoryUsage().rss)), 500);
    await new Promise((r) => setTimeout(r, MEASURE_S * 1000));
    clearInterval(sampler);
    lag.disable();
    const c = process.cpuUsage(c0);
    const wallS = Number(process.hrtime.bigint() - w0) / 1e9;
    const rx = svc.stats().links.reduce((s, l) => s + l.rxPackets, 0) - rx0;
    const pub = svc.gateway!.counters.telemetryPublished - pub0;
    const mem = process.memoryUsage();
    const corePct = ((c.user + c.system) / 1e6 / wallS) * 100;
    const online = vs.filter((v) => v.online).length;
    const lossy = vs.filter((v) => (v.linkMeter.qualityPct ?? 100) < 99).length;
    console.log(`\n== telemetry: ${N} drones, ${MEASURE_S} s steady state`);
    console.log(`  MAVLink in      ${(rx / wallS).toFixed(0)} msg/s (${(rx / wallS / N).toFixed(1)} per drone)`);
    console.log(`  MQTT out        ${(pub / wallS).toFixed(0)} telemetry msg/s (${(pub / wallS / N).toFixed(2)} Hz per drone)`);
    console.log(`  CPU             ${corePct.toFixed(1)}% of one core  (target: < 100%, ratio ${(corePct / 100).toFixed(2)})`);
    console.log(`  memory          rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB (max ${(maxRss / 2 ** 20).toFixed(0)}), heap ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB`);
    console.log(
      `  MQTT client     ${bus.counters.published - bus0.published} sent, ${bus.counters.droppedBackpressure - bus0.droppedBackpressure} QoS 0 dropped (broker backed up)`,
    );
    console.log(`  event loop lag  p50 ${(lag.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(lag.percentile(99) / 1e6).toFixed(1)} ms`);
    console.log(`  links           ${online}/${N} online, ${lossy} with <99% link quality, bad frames ${svc.stats().links.reduce((s, l) => s + l.badFrames, 0)}`);
    Object.assign(figures, { cpuPctOfOneCore: Math.round(corePct * 10) / 10, rssMiB: Math.round(mem.rss / 2 ** 20), online, eventLoopLagP99Ms: Math.round(lag.percentile(99) / 1e5) / 10 });
    await svc.close();

    // Mission upload on a dedicated drone, production timeouts.
    console.log(`\n== mission upload: 100 items + read-back, production timeouts`);
    const ms = await startControlService({ site: { drones: [missionDrone] } });
    const v = ms.vehicle(missionDrone.id);
    await until(() => v.online, 10_000, 50);
    const items = Array.from({ length: 100 }, (_, i) => waypoint({ latDeg: 30.27 + i * 1e-4, lonDeg: 120.065, altRelM: 40 }));
    for (const pct of [0, 20]) {
      sims.send({ type: 'loss', index: N, pct });
      await waitMessage(sims, 'loss_set', 5000);
      const runs: number[] = [];
      let resends = 0;
      let status = '';
      for (let k = 0; k < 3; k++) {
        const t = Date.now();
        const r = await v.mission.upload(items);
        runs.push(Date.now() - t);
        resends += r.resends;
        status = r.status;
        if (r.status !== 'success') break;
      }
      const d0 = Date.now();
      const d = await v.mission.download();
      const downloadMs = Date.now() - d0;
      runs.sort((a, b) => a - b);
      figures[`missionUpload${pct}PctLossS`] = runs[Math.floor(runs.length / 2)]! / 1000;
      console.log(
        `  ${String(pct).padStart(2)}% loss: ${status}, median ${(runs[Math.floor(runs.length / 2)]! / 1000).toFixed(2)} s ` +
          `(runs ${runs.map((x) => (x / 1000).toFixed(2)).join(', ')} s), ${resends} resends over ${runs.length} runs; ` +
          `a download alone: ${d.status} in ${(downloadMs / 1000).toFixed(2)} s`,
      );
    }
    await ms.close();
    await bus.close();
  } finally {
    sims.send({ type: 'close' });
    await Promise.race([new Promise((r) => sims.once('exit', r)), new Promise((r) => setTimeout(r, 5000))]);
    sims.kill('SIGKILL');
    mosquitto.kill();
    rmSync(dir, { recursive: true, force: true });
    clearTimeout(hardStop);
  }
  return figures;
}

if (process.argv[2] === '--sims') void runSims();
else await runBench('bench:control-links', import.meta.url, main);
