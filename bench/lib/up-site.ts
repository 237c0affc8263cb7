import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { hashDeviceSecret } from '../../site/secrets.ts';

/**
 * A site file for `ringwatch up` at field scale, written to `dir`: the demo site grown to
 * `drones` drones (the demo's 8, signed, plus unsigned ones on their own UDP ports) and
 * `sensors` simulated sensors (the demo's, then generated checkpoints of two sensors),
 * followed by `probes` perimeter sensors that no simulator runs — the benchmark speaks
 * for them, so its injected events never fight a simulated device over a client id.
 *
 * Written as JSON (a YAML subset) because the site loader caps files at 1 MB and JSON
 * flow style is the compact form; the plain secrets go beside it.
 */
export interface UpBenchSite {
  siteFile: string;
  secretsFile: string;
  droneCount: number;
  /** The simulated sensors are the first `sensorCount` of the site (`ringwatch sim --sensors N`). */
  sensorCount: number;
  probes: { sensorId: string; checkpointId: string; secret: string; position: { latDeg: number; lonDeg: number } }[];
}

type Doc = Record<string, unknown> & {
  checkpoints: { id: string; sensors: { id: string }[] }[];
  drones: Record<string, unknown>[];
  credentials: { devices: Record<string, string> };
};
type SecretsDoc = { devices: Record<string, string> };

const CENTER = { latDeg: 30.27, lonDeg: 120.065 };
/** Inside the control ring (3.6 km), outside the core (150 m): an even golden-angle scatter. */
function scatter(i: number, maxM: number): { latDeg: number; lonDeg: number } {
  const a = i * 2.399963;
  const rM = 200 + ((i * 37) % (maxM - 200));
  return { latDeg: +(CENTER.latDeg + (rM * Math.sin(a)) / 111_320).toFixed(6), lonDeg: +(CENTER.lonDeg + (rM * Math.cos(a)) / 96_200).toFixed(6) };
}

const SENSOR_TYPES = ['anpr_camera', 'perimeter', 'crowd_counter', 'panic_button'] as const;

export function writeUpBenchSite(dir: string, opts: { drones: number; sensors: number; probes: number; firstDronePort: number }): UpBenchSite {
  const doc = parse(readFileSync('sites/demo.yaml', 'utf8')) as Doc;
  const secrets = parse(readFileSync('sites/demo.secrets.yaml', 'utf8')) as SecretsDoc;
  const proto = doc.drones[0]!;
  for (let i = doc.drones.length; i < opts.drones; i++) {
    const { speaker: _s, mavlink, ...rest } = proto as { speaker?: unknown; mavlink: Record<string, unknown> };
    const dock = scatter(i, 3000);
    doc.drones.push({
      ...rest,
      id: `ud-${i + 1}`,
      name: `Bench ${i + 1}`,
      mavlink: { url: `udpout://127.0.0.1:${opts.firstDronePort + i}`, systemId: (i % 250) + 1, autopilot: mavlink['autopilot'] ?? 'ardupilot' },
      dock: { ...dock, altitudeAmslM: 12 },
    });
  }
  const addSensor = (cpId: string, id: string, type: string) => {
    const secret = `bench-${id}`;
    secrets.devices[id] = secret;
    doc.credentials.devices[id] = hashDeviceSecret(secret);
    return { id, type };
  };
  let sensorCount = doc.checkpoints.reduce((n, c) => n + c.sensors.length, 0);
  for (let c = 0; sensorCount < opts.sensors; c++) {
    const id = `ucp-${c + 1}`;
    const sensors = [];
    for (let k = 0; k < 2 && sensorCount < opts.sensors; k++, sensorCount++) sensors.push(addSensor(id, `${id}-${k + 1}`, SENSOR_TYPES[(c + k) % SENSOR_TYPES.length]!));
    doc.checkpoints.push({ id, name: `Bench checkpoint ${c + 1}`, position: scatter(c + 7, 3400), sensors } as Doc['checkpoints'][number]);
  }
  const probes: UpBenchSite['probes'] = [];
  for (let p = 0; p < opts.probes; p++) {
    const checkpointId = `probe-cp-${p + 1}`;
    const sensorId = `probe-${p + 1}`;
    const position = scatter(p * 101 + 3, 3000);
    doc.checkpoints.push({ id: checkpointId, name: `Probe ${p + 1}`, position, sensors: [addSensor(checkpointId, sensorId, 'perimeter')] } as Doc['checkpoints'][number]);
    probes.push({ sensorId, checkpointId, secret: secrets.devices[sensorId]!, position });
  }
  const siteFile = join(dir, 'up-bench.yaml');
  const secretsFile = join(dir, 'up-bench.secrets.yaml');
  writeFileSync(siteFile, JSON.stringify(doc));
  writeFileSync(secretsFile, JSON.stringify(secrets));
  return { siteFile, secretsFile, droneCount: doc.drones.length, sensorCount, probes };
}
