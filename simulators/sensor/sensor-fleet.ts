import type { SensorEventType } from '../../protocol/index.ts';
import type { SecretsFile, Site } from '../../site/index.ts';
import { createRng } from '../fleet/rng.ts';
import { Scheduler } from '../fleet/scheduler.ts';
import { createSimSensor, type SimSensorHandle } from './device.ts';
import type { SensorType } from './events.ts';
import type { SensorSpec } from './sensor-sim.ts';

export interface SensorFleetOptions {
  mqttUrl: string;
  /** Sensors to simulate (from `sensorSpecsOf(site)`, filtered, or synthetic ones for load). */
  specs: readonly SensorSpec[];
  secretOf(id: string): string | undefined;
  speed?: number;
  seed?: number;
  randomEvents?: boolean;
  ratesPerHour?: Partial<Record<SensorEventType, number>>;
  reportIntervalS?: number;
  /**
   * CONNECTs in flight at once (default 100). Measured with bench/sim.bench.ts, 2,000
   * sensors connect in about 3-10 s whether 20, 100 or all 2,000 are in flight, so the
   * bound is not for speed: it caps the burst a broker sees when a whole site's sensors
   * (re)start together, and the sockets and buffers half-open at any one time.
   */
  connectConcurrency?: number;
  connectTimeoutMs?: number;
}

export interface SensorFleet {
  readonly sensors: ReadonlyMap<string, SimSensorHandle>;
  readonly scheduler: Scheduler;
  close(): Promise<void>;
}

/** Every sensor of every checkpoint in the site, with its checkpoint id. */
export function sensorSpecsOf(site: Site): SensorSpec[] {
  return site.checkpoints.flatMap((c) =>
    c.sensors.map((s) => {
      const spec: SensorSpec = { id: s.id, type: s.type as SensorType, checkpointId: c.id };
      if (s.emits) spec.emits = s.emits;
      return spec;
    }),
  );
}

export function secretsLookup(secrets: SecretsFile): (id: string) => string | undefined {
  return (id) => secrets.devices[id];
}

/**
 * Starts many sensors that share one scheduler and one seeded RNG stream per sensor,
 * connecting in bounded batches. Resolves when every sensor is online; if any cannot
 * connect, closes the ones that did and rejects naming the first failure.
 */
export async function startSensorFleet(opts: SensorFleetOptions): Promise<SensorFleet> {
  const speed = opts.speed ?? 1;
  const scheduler = new Scheduler();
  const rng = createRng(opts.seed ?? 1);
  const sensors = new Map<string, SimSensorHandle>();
  for (const spec of opts.specs) {
    const secret = opts.secretOf(spec.id);
    if (secret === undefined) throw new Error(`sensor ${spec.id}: no secret in the secrets file`);
    const handle = createSimSensor(
      spec,
      { mqttUrl: opts.mqttUrl, secret, connectTimeoutMs: opts.connectTimeoutMs },
      {
        scheduler,
        rng: rng.fork(),
        nowMs: Date.now,
        speed,
        randomEvents: opts.randomEvents,
        ratesPerHour: opts.ratesPerHour,
        reportIntervalS: opts.reportIntervalS,
      },
    );
    sensors.set(spec.id, handle);
  }
  const close = async () => {
    scheduler.close();
    await Promise.all([...sensors.values()].map((s) => s.close()));
  };
  const queue = [...sensors.values()];
  const failures: Error[] = [];
  const worker = async () => {
    for (let s = queue.shift(); s && failures.length === 0; s = queue.shift()) {
      try {
        await s.connection.connect();
        s.sim.start();
      } catch (err) {
        failures.push(err as Error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.connectConcurrency ?? 100) }, worker));
  if (failures.length > 0) {
    await close();
    throw failures[0]!;
  }
  return { sensors, scheduler, close };
}
