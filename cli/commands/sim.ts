import { resolve } from 'node:path';
import { defaultSecretsPath, loadSecretsFile, loadSite } from '../../site/index.ts';
import { startSimFleet } from '../../simulators/fleet.ts';
import { loadScenario, ScenarioError } from '../../simulators/scenario/load.ts';
import type { Selection } from '../../simulators/scenario/schema.ts';
import { parsePort, requireString, UsageError, waitForStopSignal, type Command } from '../args.ts';
import { DEFAULT_MQTT_URL } from '../../protocol/ports.ts';

const usage = `Usage: ringwatch sim --site FILE [--scenario FILE] [--speed X] [--mqtt URL] [--secrets FILE]
                     [--drones N|all|none] [--speakers N|all|none] [--sensors N|all|none]
                     [--drone-ports site|any] [--http-port N] [--wav-dir DIR] [--seed N]

Starts the site's simulated devices: ArduPilot-like drones on the UDP (or TCP) port of
their mavlink.url (udpout://127.0.0.1:14561 means the sim listens on 14561), loudspeakers
and checkpoint sensors on the broker; plays a scenario timeline if given. Ctrl-C closes
everything (devices publish status offline).

  --site FILE        site file (e.g. sites/demo.yaml)
  --scenario FILE    scenario YAML (e.g. simulators/scenarios/demo.yaml)
  --speed X          time acceleration (default: the scenario's speed, else 1)
  --mqtt URL         broker URL (default ${DEFAULT_MQTT_URL})
  --secrets FILE     plain device secrets (default: the site file's .secrets.yaml)
  --drones SEL       which drones: all (default), none, or the first N of the site
  --speakers SEL     which loudspeakers (fixed, then drone-mounted): all, none or N
  --sensors SEL      which checkpoint sensors: all, none or N
  --drone-ports P    site (default): the site's ports; any: free ports (several sims at once)
  --http-port N      fault API on 127.0.0.1:N (0 = any free port; default: off)
                     GET /devices  POST /faults {device,kind,durationS?,pct?,delayMs?}
                     DELETE /faults/:device  POST /events {checkpoint|sensor,type,...}
  --wav-dir DIR      render each broadcast to DIR/<speaker>-<command>.wav (needs espeak-ng)
  --seed N           random seed for background events (default: the scenario's, else 1)`;

function parseSelection(v: string | boolean | undefined, name: string): Selection | undefined {
  if (v === undefined) return undefined;
  if (v === 'all' || v === 'none') return v;
  const n = Number(v);
  if (typeof v === 'string' && Number.isInteger(n) && n >= 0) return n;
  throw new UsageError(`--${name} must be all, none or a count, got "${String(v)}"`);
}

export const simCommand: Command = {
  name: 'sim',
  summary: 'simulate a site: MAVLink drones, loudspeakers, checkpoint sensors, scenarios',
  usage,
  options: {
    site: { type: 'string' },
    scenario: { type: 'string' },
    speed: { type: 'string' },
    mqtt: { type: 'string' },
    secrets: { type: 'string' },
    drones: { type: 'string' },
    speakers: { type: 'string' },
    sensors: { type: 'string' },
    'drone-ports': { type: 'string' },
    'http-port': { type: 'string' },
    'wav-dir': { type: 'string' },
    seed: { type: 'string' },
  },
  async run(values) {
    const siteFile = requireString(values, 'site', usage);
    const site = loadSite(siteFile);
    const secrets = loadSecretsFile(typeof values['secrets'] === 'string' ? values['secrets'] : defaultSecretsPath(siteFile));
    let scenario;
    if (typeof values['scenario'] === 'string') {
      try {
        scenario = loadScenario(values['scenario'], site);
      } catch (err) {
        if (err instanceof ScenarioError) throw new UsageError(`invalid scenario:\n${err.message}`);
        throw err;
      }
    }
    let speed: number | undefined;
    if (values['speed'] !== undefined) {
      speed = Number(values['speed']);
      if (!Number.isFinite(speed) || speed <= 0 || speed > 1000) throw new UsageError(`--speed must be > 0 and at most 1000, got "${String(values['speed'])}"`);
    }
    const ports = values['drone-ports'] ?? 'site';
    if (ports !== 'site' && ports !== 'any') throw new UsageError(`--drone-ports must be site or any, got "${String(ports)}"`);
    let seed: number | undefined;
    if (values['seed'] !== undefined) {
      seed = Number(values['seed']);
      if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer`);
    }
    const mqttUrl = typeof values['mqtt'] === 'string' ? values['mqtt'] : DEFAULT_MQTT_URL;
    const log = (line: string) => process.stdout.write(`sim: ${line}\n`);

    const fleet = await startSimFleet({
      site,
      secrets,
      mqttUrl,
      speed,
      scenario,
      seed,
      droneUdpPorts: ports,
      drones: parseSelection(values['drones'], 'drones'),
      speakers: parseSelection(values['speakers'], 'speakers'),
      sensors: parseSelection(values['sensors'], 'sensors'),
      httpPort: values['http-port'] === undefined ? undefined : parsePort(values['http-port'], 'http-port', 0),
      wavDir: typeof values['wav-dir'] === 'string' ? resolve(values['wav-dir']) : undefined,
      log,
    });
    log(
      `site ${site.site.id} at ${fleet.speed}x: ${fleet.drones.size} drones, ${fleet.speakers.size} speakers, ` +
        `${fleet.sensors.size} sensors on ${mqttUrl}${scenario ? `; scenario "${scenario.name}"` : ''}. Ctrl-C to stop.`,
    );
    void fleet.scenarioRun?.done.then(() => log('scenario timeline complete; devices keep running'));
    const sig = await waitForStopSignal();
    log(`${sig}, closing`);
    await fleet.close();
  },
};
