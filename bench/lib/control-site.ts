import type { Site } from '../../site/load.ts';
import type { SecretsFile } from '../../site/secrets-file.ts';
import { hashDeviceSecret } from '../../site/secrets.ts';

/**
 * The demo site grown for the control benchmark: `drones` drones (docks spread on a
 * ring of outposts) and `speakers` extra fixed speakers scattered over the rings, each
 * with a generated secret.
 */
export function controlBenchSite(base: Site, baseSecrets: SecretsFile, opts: { drones: number; speakers: number }): { site: Site; secrets: SecretsFile } {
  const secrets: SecretsFile = { devices: { ...baseSecrets.devices }, services: { ...baseSecrets.services }, users: { ...baseSecrets.users } };
  const credentials = { devices: { ...base.credentials.devices }, services: base.credentials.services };
  const c = { latDeg: 30.27, lonDeg: 120.065 };
  const drones = Array.from({ length: opts.drones }, (_, i) => {
    const t = base.drones[i % base.drones.length]!;
    const a = (2 * Math.PI * i) / opts.drones;
    const rM = 300 + (i % 5) * 600;
    return {
      ...t,
      id: `bd-${i + 1}`,
      name: `Bench ${i + 1}`,
      mavlink: { ...t.mavlink, url: `udpout://127.0.0.1:${20000 + i}`, systemId: (i % 250) + 1 },
      dock: { latDeg: c.latDeg + (rM * Math.sin(a)) / 111_320, lonDeg: c.lonDeg + (rM * Math.cos(a)) / 96_200, altitudeAmslM: 12 },
      speaker: undefined,
    };
  });
  const speakers = Array.from({ length: opts.speakers }, (_, i) => {
    const id = `bs-${i + 1}`;
    secrets.devices[id] = `bench-${id}-${i}`;
    credentials.devices[id] = hashDeviceSecret(secrets.devices[id]!);
    const a = i * 2.399963; // golden angle: an even scatter
    const rM = 200 + ((i * 37) % 3200);
    return { id, name: `Bench speaker ${i + 1}`, position: { latDeg: c.latDeg + (rM * Math.sin(a)) / 111_320, lonDeg: c.lonDeg + (rM * Math.cos(a)) / 96_200 }, audibleRangeM: 200 };
  });
  const devices = new Map(base.devices);
  for (const s of speakers) devices.set(s.id, { kind: 'speaker', id: s.id });
  for (const d of drones) devices.set(d.id, { kind: 'drone', id: d.id });
  return { site: { ...base, drones: drones.map(({ speaker: _s, ...d }) => d), speakers: [...base.speakers, ...speakers], credentials, devices }, secrets };
}
