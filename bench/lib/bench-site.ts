import { hashDeviceSecret, loadSite, type Site } from '../../site/index.ts';

/**
 * The demo site plus `count` MQTT-connected drones `bench-1..N` with deterministic
 * secrets, so the broker process and the load generator agree without a file. Only
 * the broker's view (devices and credentials) is extended; the drones need no MAVLink.
 */
export function benchDeviceIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `bench-${i + 1}`);
}

export const benchSecret = (id: string): string => `bench-secret-${id}`;
export const BENCH_SERVICE_SECRET = 'bench-secret-telemetry';

export function benchSite(count: number): Site {
  const site = loadSite('sites/demo.yaml');
  const devices = new Map(site.devices);
  const creds = { ...site.credentials.devices };
  for (const id of benchDeviceIds(count)) {
    devices.set(id, { kind: 'drone', id });
    creds[id] = hashDeviceSecret(benchSecret(id));
  }
  return {
    ...site,
    devices,
    credentials: { devices: creds, services: { ...site.credentials.services, telemetry: hashDeviceSecret(BENCH_SERVICE_SECRET) } },
  };
}

/** ~200 bytes of valid drone telemetry; `seq` rides in missionSeq so latency can be matched. */
export function droneTelemetry(seq: number, tsMs = 1795398615752): string {
  return JSON.stringify({
    tsMs,
    latDeg: 30.254123,
    lonDeg: 120.143211,
    altAmslM: 112.4,
    altRelM: 60.2,
    headingDeg: 271.5,
    groundSpeedMps: 8.21,
    batteryPct: 76.5,
    batteryV: 22.41,
    mode: 'AUTO',
    armed: true,
    gpsFix: 3,
    satellites: 14,
    missionSeq: seq,
  });
}
