import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

/** The demo drone the field suite flies: docked just north of the rings' centre. */
export const FIELD_DRONE_ID = 'drone-1';
/** The ring it patrols and the ring its alarm falls in (containment: 1-minute target). */
export const FIELD_RING_ID = 'containment';

export interface FieldDock {
  latDeg: number;
  lonDeg: number;
  altitudeAmslM: number;
}

export interface FieldSite {
  siteFile: string;
  dock: FieldDock;
  /** The containment ring's altitude band and response target, as the site declares them. */
  ring: { center: { latDeg: number; lonDeg: number }; radiusM: number; minRelM: number; maxRelM: number; responseTargetS: number };
  /** The plain demo secrets (operator login, the web service's MQTT secret). */
  secretsFile: string;
}

/**
 * Writes the field test's site: the demo site reduced to one drone (demo drone-1, no
 * mounted speaker) whose MAVLink endpoint is the autopilot under test, with no fixed
 * speakers and no checkpoints, so nothing but the scenario raises an alarm or starts a
 * simulated device. Rings, no-fly zones, users and credentials are the demo's.
 */
export function writeFieldSite(dir: string, mavlink: { url: string; systemId: number; autopilot: 'ardupilot' | 'px4' }): FieldSite {
  const demo = new URL('../../sites/demo.yaml', import.meta.url).pathname;
  const site = parse(readFileSync(demo, 'utf8')) as Record<string, unknown> & {
    site: { id: string; name: string };
    drones: { id: string; mavlink: unknown; speaker?: unknown; dock: FieldDock }[];
    rings: { id: string; shape: { type: string; center?: { latDeg: number; lonDeg: number }; radiusM?: number }; responseTargetS?: number; altitudeBandM: { minRelM: number; maxRelM: number } }[];
  };
  const drone = site.drones.find((d) => d.id === FIELD_DRONE_ID);
  const ring = site.rings.find((r) => r.id === FIELD_RING_ID);
  if (!drone || !ring || ring.shape.type !== 'circle' || !ring.shape.center || ring.shape.radiusM === undefined) {
    throw new Error(`sites/demo.yaml no longer has ${FIELD_DRONE_ID} and a circular ${FIELD_RING_ID} ring: update tests/field/field-site.ts`);
  }
  delete drone.speaker;
  drone.mavlink = mavlink;
  site.site = { ...site.site, id: 'field', name: 'Field test (demo site, one drone)' };
  site.drones = [drone];
  site['speakers'] = [];
  site['checkpoints'] = [];
  // Device credentials belong to the speakers and sensors left out; the services' stay.
  (site['credentials'] as { devices?: unknown }).devices = {};
  const siteFile = join(dir, 'site.yaml');
  writeFileSync(siteFile, stringify(site));
  const secretsFile = join(dir, 'site.secrets.yaml');
  copyFileSync(new URL('../../sites/demo.secrets.yaml', import.meta.url).pathname, secretsFile);
  return {
    siteFile,
    secretsFile,
    dock: drone.dock,
    ring: {
      center: ring.shape.center,
      radiusM: ring.shape.radiusM,
      minRelM: ring.altitudeBandM.minRelM,
      maxRelM: ring.altitudeBandM.maxRelM,
      responseTargetS: ring.responseTargetS ?? 60,
    },
  };
}
