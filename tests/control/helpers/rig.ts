import { afterEach } from 'vitest';
import { startSimDrone, type SimDroneHandle, type SimDroneOptions } from '../../../simulators/drone/index.ts';
import { startControlService, type ControlService } from '../../../control/service.ts';
import { MqttBus } from '../../../control/mqtt/bus.ts';
import { FAST_TIMEOUTS, type ControlTimeouts } from '../../../control/timeouts.ts';
import type { Drone } from '../../../site/schema.ts';
import { demoSite, startBroker, type TestBroker } from '../../helpers/broker.ts';
import { mavlinkSigningKeys } from '../../../site/mavlink-keys.ts';
import { until } from '../../helpers/wait.ts';
import type { Vehicle } from '../../../control/vehicle/vehicle.ts';

export interface Rig {
  sims: SimDroneHandle[];
  drones: Drone[];
  svc: ControlService;
  broker: TestBroker | undefined;
  bus: MqttBus | undefined;
  close(): Promise<void>;
}

export interface RigOptions {
  /** How many of the demo site's drones to simulate (default 1). */
  count?: number;
  sim?: Partial<Omit<SimDroneOptions, 'drone'>>;
  timeouts?: Partial<ControlTimeouts>;
  broker?: boolean;
  dataDir?: string;
  telemetryRateHz?: number;
}

/**
 * Real sim drones on loopback UDP (port 0) and the control service dialling them as
 * `udpout://` (it speaks first, as with a vehicle on a radio modem), optionally with a
 * real broker. Always `close()` it.
 */
export async function startRig(o: RigOptions = {}): Promise<Rig> {
  const site = demoSite().site;
  const base = site.drones.slice(0, o.count ?? 1);
  const sims: SimDroneHandle[] = [];
  let broker: TestBroker | undefined;
  let bus: MqttBus | undefined;
  try {
    // The demo drones are signed: each sim signs with its key from the demo secrets, and so does control.
    const signingKeys = mavlinkSigningKeys(base, demoSite().secrets);
    for (const d of base) {
      const signingKey = signingKeys.get(d.id);
      sims.push(await startSimDrone({ speed: 10, prearmDelayS: 0, gpsNoiseM: 0, ...o.sim, drone: d, udpPort: 0, ...(signingKey ? { signingKey } : {}) }));
    }
    const drones = base.map((d, i) => ({ ...d, mavlink: { ...d.mavlink, url: `udpout://127.0.0.1:${sims[i]!.udpPort}` } }));
    if (o.broker) {
      broker = await startBroker();
      bus = await MqttBus.connect({ url: broker.url, username: 'control', password: broker.secrets.services['control']!, clientSuffix: 'rig' });
    }
    const svc = await startControlService({
      site: { drones },
      bus,
      dataDir: o.dataDir,
      timeouts: { ...FAST_TIMEOUTS, ...o.timeouts },
      telemetryRateHz: o.telemetryRateHz ?? 10,
      signingKeys,
    });
    return {
      sims,
      drones,
      svc,
      broker,
      bus,
      async close() {
        await svc.close();
        await bus?.close();
        await Promise.all(sims.map((s) => s.close()));
        await broker?.close();
      },
    };
  } catch (err) {
    await bus?.close();
    await Promise.all(sims.map((s) => s.close()));
    await broker?.close();
    throw err;
  }
}

/** Resolves when `pred` holds, polling every 20 ms; rejects after `timeoutMs`. */
export function waitFor(pred: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  return until(pred, what, timeoutMs, 20);
}

export interface OnlineRig {
  rig: Rig;
  /** drone-1, online and streaming telemetry. */
  v: Vehicle;
  sim: SimDroneHandle;
}

/**
 * Registers an `afterEach` that closes the rig a test started, and returns the starter:
 * a rig whose drone-1 is online and streaming telemetry (and meets `ready`, when given).
 */
export function useOnlineRig(): (o?: RigOptions, ready?: (v: Vehicle) => boolean) => Promise<OnlineRig> {
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });
  return async (o = {}, ready = () => true) => {
    rig = await startRig(o);
    const v = rig.svc.vehicle('drone-1');
    await waitFor(() => v.online && v.telemetry() !== undefined && ready(v), 10_000, 'drone-1 online and streaming');
    return { rig, v, sim: rig.sims[0]! };
  };
}
