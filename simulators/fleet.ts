/**
 * A whole site's simulated devices in one process: MAVLink drones on their site ports,
 * loudspeakers and checkpoint sensors on the broker, an optional scenario timeline and
 * an optional fault-injection HTTP API. Used by `ringwatch sim`, tests and `ringwatch up`.
 */
import type { SensorEvent } from '../protocol/index.ts';
import type { SecretsFile, Site } from '../site/index.ts';
import { mavlinkSigningKeys } from '../site/mavlink-keys.ts';
import type { SimDroneHandle, SimDroneOptions } from './drone/types.ts';
import { SimError } from './fleet/errors.ts';
import { checkFaultParams, droneTimesItself, toDroneFault, type EventRequest, type FaultRequest } from './fleet/faults.ts';
import { startFleetDrones, startFleetSpeakers } from './fleet/devices.ts';
import { startSimApi, type SimApi } from './fleet/http-api.ts';
import type { SimSpeakerHandle } from './speaker/device.ts';
import { Scheduler } from './fleet/scheduler.ts';
import { resolveSelection, siteDeviceIds } from './fleet/select.ts';
import type { Scenario } from './scenario/load.ts';
import type { Selection } from './scenario/schema.ts';
import { runScenario, type ScenarioRun } from './scenario/runner.ts';
import type { SimSensorHandle } from './sensor/device.ts';
import { secretsLookup, sensorSpecsOf, startSensorFleet, type SensorFleet } from './sensor/sensor-fleet.ts';

export interface SimFleetOptions {
  site: Site;
  secrets: SecretsFile;
  mqttUrl: string;
  /** Time acceleration; default the scenario's `speed`, else 1. */
  speed?: number;
  scenario?: Scenario;
  /** 'site' (default): each drone listens on the port of its `mavlink.url`; 'any': free ports. */
  droneUdpPorts?: 'site' | 'any';
  /** Override the scenario's device selection (e.g. `--drones 3`). */
  drones?: Selection;
  speakers?: Selection;
  sensors?: Selection;
  seed?: number;
  /** Render every broadcast to WAV here with espeak-ng, when it is installed. */
  wavDir?: string;
  /** Port for the fault-injection HTTP API on 127.0.0.1 (0 = any); undefined = no API. */
  httpPort?: number;
  log?(line: string): void;
  /** Override how drones start (tests); default `startSimDrone` from simulators/drone. */
  startDrone?(opts: SimDroneOptions): Promise<SimDroneHandle>;
  connectConcurrency?: number;
}

export interface DeviceSummary {
  id: string;
  kind: 'drone' | 'speaker' | 'sensor';
  online: boolean;
  faults: string[];
  detail: Record<string, unknown>;
}

export interface SimFleet {
  readonly speed: number;
  readonly drones: ReadonlyMap<string, SimDroneHandle>;
  readonly speakers: ReadonlyMap<string, SimSpeakerHandle>;
  readonly sensors: ReadonlyMap<string, SimSensorHandle>;
  readonly scenarioRun?: ScenarioRun;
  /** http://127.0.0.1:PORT of the fault API, when started. */
  readonly httpUrl?: string;
  /**
   * Applies a fault to a started device. A `durationS` clears it after that many
   * simulated seconds (drones time their own link and GPS outages); clearing removes
   * every fault of that device.
   */
  injectFault(req: FaultRequest): Promise<void>;
  clearFaults(deviceId: string): Promise<void>;
  /** Sends a scripted sensor event now. */
  triggerEvent(req: EventRequest): SensorEvent;
  devices(): DeviceSummary[];
  close(): Promise<void>;
}

export async function startSimFleet(opts: SimFleetOptions): Promise<SimFleet> {
  const { site, scenario } = opts;
  const speed = opts.speed ?? scenario?.speed ?? 1;
  const log = opts.log ?? (() => {});
  const seed = opts.seed ?? scenario?.seed ?? 1;
  const ids = siteDeviceIds(site);
  const want = {
    drones: resolveSelection(opts.drones ?? scenario?.devices?.drones, ids.drones),
    speakers: resolveSelection(opts.speakers ?? scenario?.devices?.speakers, ids.speakers),
    sensors: resolveSelection(opts.sensors ?? scenario?.devices?.sensors, ids.sensors),
  };
  const drones = new Map<string, SimDroneHandle>();
  const droneFaults = new Map<string, string[]>();
  const speakers = new Map<string, SimSpeakerHandle>();
  let sensorFleet: SensorFleet | undefined;
  const scheduler = new Scheduler();
  let api: SimApi | undefined;
  let run: ScenarioRun | undefined;

  const closeAll = async () => {
    run?.cancel();
    scheduler.close();
    await api?.close();
    await Promise.allSettled([
      ...[...drones.values()].map((d) => d.close()),
      ...[...speakers.values()].map((s) => s.close()),
      sensorFleet?.close(),
    ]);
  };

  try {
    // Drones first: drone-mounted speakers read their position from them.
    await startFleetDrones(site, want.drones, drones, {
      speed,
      seed,
      droneUdpPorts: opts.droneUdpPorts ?? 'site',
      signingKeys: mavlinkSigningKeys(site.drones, opts.secrets),
      startDrone: opts.startDrone,
      log,
    });
    for (const id of drones.keys()) droneFaults.set(id, []);
    await startFleetSpeakers(site, want.speakers, speakers, {
      mqttUrl: opts.mqttUrl,
      secrets: opts.secrets,
      speed,
      drones,
      telemetryIntervalS: scenario?.background?.speakerTelemetryIntervalS,
      wavDir: opts.wavDir,
      log,
    });

    const wantedSensors = new Set(want.sensors);
    sensorFleet = await startSensorFleet({
      mqttUrl: opts.mqttUrl,
      specs: sensorSpecsOf(site).filter((s) => wantedSensors.has(s.id)),
      secretOf: secretsLookup(opts.secrets),
      speed,
      seed,
      randomEvents: scenario?.background?.randomEvents,
      ratesPerHour: scenario?.background?.ratesPerHour,
      reportIntervalS: scenario?.background?.sensorReportIntervalS,
      connectConcurrency: opts.connectConcurrency,
    });
    if (want.sensors.length) log(`${want.sensors.length} sensors online at ${site.checkpoints.length} checkpoints`);
  } catch (err) {
    await closeAll();
    throw err;
  }
  const sensors = sensorFleet.sensors;

  const kindOf = (id: string) => {
    if (drones.has(id)) return 'drone' as const;
    if (speakers.has(id)) return 'speaker' as const;
    if (sensors.has(id)) return 'sensor' as const;
    const dev = site.devices.get(id);
    if (dev) throw new SimError('not_started', `${dev.kind} ${id} is in the site but not started in this simulation`);
    throw new SimError('unknown_device', `no device "${id}" in site ${site.site.id}`);
  };

  const clearFaults = async (id: string) => {
    const kind = kindOf(id);
    if (kind === 'drone') {
      drones.get(id)!.clearFaults();
      droneFaults.set(id, []);
    } else if (kind === 'speaker') await speakers.get(id)!.clearFaults();
    else await sensors.get(id)!.clearFaults();
  };

  const injectFault = async (req: FaultRequest) => {
    const kind = kindOf(req.device);
    checkFaultParams(req, kind);
    if (kind === 'drone') {
      drones.get(req.device)!.injectFault(toDroneFault(req));
      droneFaults.get(req.device)!.push(req.kind);
    } else if (kind === 'speaker') await speakers.get(req.device)!.injectFault(req.kind as Parameters<SimSpeakerHandle['injectFault']>[0]);
    else await sensors.get(req.device)!.injectFault(req.kind as Parameters<SimSensorHandle['injectFault']>[0]);
    if (req.durationS !== undefined && !(kind === 'drone' && droneTimesItself(req))) {
      scheduler.after((req.durationS * 1000) / speed, () => {
        clearFaults(req.device).then(
          () => log(`fault ${req.kind} on ${req.device} cleared after ${req.durationS}s`),
          (err: Error) => log(`clearing faults on ${req.device} failed: ${err.message}`),
        );
      });
    }
  };

  const triggerEvent = (req: EventRequest): SensorEvent => {
    let sensorId = req.sensor;
    if (sensorId === undefined) {
      const cp = site.checkpoints.find((c) => c.id === req.checkpoint);
      if (!cp) throw new SimError('unknown_device', `field /checkpoint: no checkpoint "${String(req.checkpoint)}" in site ${site.site.id}`);
      sensorId = cp.sensors.map((s) => s.id).find((id) => sensors.get(id)?.sim.emits.includes(req.type));
      if (!sensorId) throw new SimError('cannot_emit', `field /type: no started sensor at ${cp.id} emits ${req.type}`);
    }
    if (kindOf(sensorId) !== 'sensor') throw new SimError('unknown_device', `field /sensor: ${sensorId} is not a sensor`);
    const { sensor: _s, checkpoint: _c, type, ...overrides } = req;
    void _s;
    void _c;
    try {
      return sensors.get(sensorId)!.sim.trigger(type, overrides);
    } catch (err) {
      throw new SimError('cannot_emit', `field /type: ${(err as Error).message}`);
    }
  };

  const devices = (): DeviceSummary[] => [
    ...[...drones.entries()].map(([id, h]) => ({ id, kind: 'drone' as const, online: true, faults: droneFaults.get(id) ?? [], detail: { systemId: h.systemId, udpPort: h.udpPort, tcpPort: h.tcpPort, ...h.state() } })),
    ...[...speakers.entries()].map(([id, h]) => ({ id, kind: 'speaker' as const, online: h.connection.connected, faults: h.faults(), detail: { ...h.playback.telemetry(), counters: h.playback.counters } })),
    ...[...sensors.entries()].map(([id, h]) => ({
      id,
      kind: 'sensor' as const,
      online: h.connection.connected,
      faults: h.faults(),
      detail: { type: h.sim.spec.type, checkpointId: h.sim.spec.checkpointId, reportIntervalS: h.sim.currentReportIntervalS, counters: h.sim.counters },
    })),
  ];

  const fleet: SimFleet = {
    speed,
    drones,
    speakers,
    sensors,
    injectFault,
    clearFaults,
    triggerEvent,
    devices,
    close: closeAll,
  };

  try {
    if (opts.httpPort !== undefined) {
      api = await startSimApi(
        {
          ...fleet,
          injectFault: async (req) => {
            await injectFault(req);
            log(`api: fault ${req.kind} on ${req.device}${req.durationS !== undefined ? ` for ${req.durationS}s` : ''}`);
          },
          clearFaults: async (id) => {
            await clearFaults(id);
            log(`api: cleared faults on ${id}`);
          },
        },
        { port: opts.httpPort },
      );
      (fleet as { httpUrl?: string }).httpUrl = api.url;
      log(`fault API on ${api.url} (GET /devices, POST /faults, DELETE /faults/:device, POST /events)`);
    }
  } catch (err) {
    await closeAll();
    throw err;
  }

  if (scenario) {
    log(`scenario "${scenario.name}": ${scenario.steps.length} steps at ${speed}x`);
    run = runScenario(scenario, { triggerEvent: (id, req) => void triggerEvent({ ...req, sensor: id, checkpoint: undefined }), injectFault, clearFaults }, {
      speed,
      scheduler,
      nowMs: Date.now,
      onStep: (r) => log(`t=${r.atS}s ${r.summary}${r.error ? ` FAILED: ${r.error}` : ''}`),
    });
    (fleet as { scenarioRun?: ScenarioRun }).scenarioRun = run;
  }
  return fleet;
}
