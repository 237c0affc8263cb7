import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { ConfigError, dedupeIssues, type SiteIssue } from './config-error.ts';
import { SITE_LIMITS, SiteLimitError } from './limits.ts';
import { SiteFile, DEFAULT_RESPONSE_TARGET_S, RING_IDS, type RingId, type Ring } from './schema.ts';
import { shapeWithin, pointInShape } from './geometry.ts';
import { describeAjvError } from '../protocol/validate.ts';
import type { DeviceKind } from '../protocol/topics.ts';

export { ConfigError, type SiteIssue } from './config-error.ts';
export { SITE_LIMITS, SiteLimitError } from './limits.ts';

export class SiteError extends ConfigError {
  override name = 'SiteError';
}

export interface DeviceEntry {
  kind: DeviceKind;
  id: string;
  /** For sensors, their checkpoint; for drone speakers, their drone. */
  parentId?: string;
}

export type ResolvedRing = Ring & { responseTargetS: number };

/** A validated site with defaults filled in and lookups prepared. */
export interface Site extends Omit<SiteFile, 'rings'> {
  file: string;
  /** Rings ordered inner → outer: containment, prevention, control. */
  rings: ResolvedRing[];
  devices: Map<string, DeviceEntry>;
}

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validateSiteFile = ajv.compile<SiteFile>(SiteFile);

export function loadSite(file: string): Site {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SiteError(file, [{ path: '/', message: `cannot read: ${(err as Error).message}` }]);
  }
  return parseSite(text, file);
}

export function parseSite(text: string, file = '<site>'): Site {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > SITE_LIMITS.maxFileBytes) {
    throw new SiteLimitError(file, [{ path: '/', message: `file is ${bytes} bytes; the limit is ${SITE_LIMITS.maxFileBytes} bytes (SITE_LIMITS.maxFileBytes)` }]);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new SiteError(
      file,
      doc.errors.map((e) => ({ path: '/', line: lineCounter.linePos(e.pos[0]).line, message: `YAML: ${e.message.split('\n')[0]}` })),
    );
  }
  let data: unknown;
  try {
    // yaml counts alias resolutions and throws past the limit: a billion-laughs file
    // is refused here instead of expanding into gigabytes.
    data = doc.toJS({ maxAliasCount: SITE_LIMITS.maxAliasCount });
  } catch (err) {
    if (err instanceof ReferenceError && /alias/i.test(err.message)) {
      throw new SiteLimitError(file, [{ path: '/', message: `too many YAML alias expansions; the limit is ${SITE_LIMITS.maxAliasCount} (SITE_LIMITS.maxAliasCount)` }]);
    }
    throw new SiteError(file, [{ path: '/', message: `YAML: ${(err as Error).message}` }]);
  }
  const lineOf = (path: string): number | undefined => {
    const segs = path.split('/').filter(Boolean).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    // Walk up until a node with a position exists (a missing property has none).
    for (let n = segs.length; n >= 0; n--) {
      const node = doc.getIn(segs.slice(0, n), true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };

  if (!validateSiteFile(data)) {
    const issues = (validateSiteFile.errors ?? [])
      // Union branches each report; keep the ones that name a concrete problem.
      .filter((e) => e.keyword !== 'anyOf')
      .slice(0, 20)
      .map((e) => {
        const msg = describeAjvError([e]);
        const path = msg.match(/^field (\S+):/)?.[1] ?? (e.instancePath || '/');
        return { path, line: lineOf(e.instancePath), message: msg.replace(/^field \S+: /, '') };
      });
    throw new SiteError(file, dedupeIssues(issues));
  }

  const points = countPolygonPoints(data);
  if (points > SITE_LIMITS.maxTotalPolygonPoints) {
    throw new SiteLimitError(file, [{ path: '/', message: `polygons have ${points} points in all; the limit is ${SITE_LIMITS.maxTotalPolygonPoints} (SITE_LIMITS.maxTotalPolygonPoints)` }]);
  }

  const issues: SiteIssue[] = [];
  const problem = (path: string, message: string) => issues.push({ path, line: lineOf(path), message });
  checkSemantics(data, problem);
  if (issues.length > 0) throw new SiteError(file, issues);

  const rings = RING_IDS.map((id) => {
    const r = data.rings.find((x) => x.id === id)!;
    return { ...r, responseTargetS: r.responseTargetS ?? DEFAULT_RESPONSE_TARGET_S[id] };
  });
  return { ...data, file, rings, devices: indexDevices(data) };
}

function countPolygonPoints(site: SiteFile): number {
  const shapes = [site.core.shape, ...site.rings.map((r) => r.shape), ...site.noFlyZones.map((z) => z.shape)];
  return shapes.reduce((n, s) => n + (s.type === 'polygon' ? s.points.length : 0), 0);
}

function indexDevices(site: SiteFile): Map<string, DeviceEntry> {
  const devices = new Map<string, DeviceEntry>();
  for (const d of site.drones) {
    devices.set(d.id, { kind: 'drone', id: d.id });
    if (d.speaker) devices.set(d.speaker.id, { kind: 'speaker', id: d.speaker.id, parentId: d.id });
  }
  for (const s of site.speakers) devices.set(s.id, { kind: 'speaker', id: s.id });
  for (const c of site.checkpoints) for (const s of c.sensors) devices.set(s.id, { kind: 'sensor', id: s.id, parentId: c.id });
  return devices;
}

/** Rules a schema cannot express: references, uniqueness, ring nesting. */
function checkSemantics(site: SiteFile, problem: (path: string, message: string) => void): void {
  // Rings: each id once; bands sane; each ring inside the next one out.
  const ringIndex = new Map<RingId, number>();
  site.rings.forEach((r, i) => {
    if (ringIndex.has(r.id)) problem(`/rings/${i}/id`, `ring "${r.id}" is defined twice`);
    ringIndex.set(r.id, i);
    if (r.altitudeBandM.minRelM >= r.altitudeBandM.maxRelM) {
      problem(`/rings/${i}/altitudeBandM`, `minRelM (${r.altitudeBandM.minRelM}) must be below maxRelM (${r.altitudeBandM.maxRelM})`);
    }
    if (!site.warnings.some((w) => w.id === r.defaultWarning)) {
      problem(`/rings/${i}/defaultWarning`, `no warning with id "${r.defaultWarning}" in /warnings`);
    }
  });
  const ordered = RING_IDS.map((id) => ringIndex.get(id));
  if (ordered.every((i) => i !== undefined)) {
    const [ci, pi, oi] = ordered as [number, number, number];
    if (!shapeWithin(site.core.shape, site.rings[ci]!.shape)) problem('/core/shape', 'the core must lie inside the containment ring');
    if (!shapeWithin(site.rings[ci]!.shape, site.rings[pi]!.shape)) problem(`/rings/${ci}/shape`, 'the containment ring must lie inside the prevention ring');
    if (!shapeWithin(site.rings[pi]!.shape, site.rings[oi]!.shape)) problem(`/rings/${pi}/shape`, 'the prevention ring must lie inside the control ring');
  }

  // Ids: unique across every device, since the id is the MQTT username and topic segment.
  const seen = new Map<string, string>();
  const claim = (id: string, path: string) => {
    const prior = seen.get(id);
    if (prior) problem(path, `id "${id}" is already used at ${prior}`);
    else seen.set(id, path);
  };
  site.drones.forEach((d, i) => {
    claim(d.id, `/drones/${i}/id`);
    if (d.speaker) claim(d.speaker.id, `/drones/${i}/speaker/id`);
    if (d.cruiseSpeedMps > d.maxSpeedMps) problem(`/drones/${i}/cruiseSpeedMps`, 'must not exceed maxSpeedMps');
  });
  site.speakers.forEach((s, i) => claim(s.id, `/speakers/${i}/id`));
  const checkpointIds = new Set<string>();
  site.checkpoints.forEach((c, i) => {
    if (checkpointIds.has(c.id)) problem(`/checkpoints/${i}/id`, `checkpoint "${c.id}" is defined twice`);
    checkpointIds.add(c.id);
    c.sensors.forEach((s, j) => claim(s.id, `/checkpoints/${i}/sensors/${j}/id`));
    const control = site.rings.find((r) => r.id === 'control');
    if (control && !pointInShape(c.position, control.shape)) problem(`/checkpoints/${i}/position`, 'checkpoint lies outside the control ring');
  });

  // One vehicle per system id on a link, or MAVLink routing breaks.
  const sysIds = new Map<string, number>();
  site.drones.forEach((d, i) => {
    const key = `${d.mavlink.url}#${d.mavlink.systemId}`;
    const prior = sysIds.get(key);
    if (prior !== undefined) problem(`/drones/${i}/mavlink/systemId`, `system id ${d.mavlink.systemId} on ${d.mavlink.url} is already used by /drones/${prior}`);
    else sysIds.set(key, i);
  });

  const warningIds = new Set<string>();
  site.warnings.forEach((w, i) => {
    if (warningIds.has(w.id)) problem(`/warnings/${i}/id`, `warning "${w.id}" is defined twice`);
    warningIds.add(w.id);
  });
  const usernames = new Set<string>();
  site.users.forEach((u, i) => {
    if (usernames.has(u.username)) problem(`/users/${i}/username`, `user "${u.username}" is defined twice`);
    usernames.add(u.username);
  });

  // Credentials: only for known devices; every MQTT-only device (speaker, sensor) needs one.
  for (const id of Object.keys(site.credentials.devices)) {
    if (!seen.has(id)) problem(`/credentials/devices/${id}`, `no device with id "${id}" in this site`);
  }
  const needsCredential = [
    ...site.speakers.map((s, i) => [s.id, `/speakers/${i}`] as const),
    ...site.drones.flatMap((d, i) => (d.speaker ? [[d.speaker.id, `/drones/${i}/speaker`] as const] : [])),
    ...site.checkpoints.flatMap((c, i) => c.sensors.map((s, j) => [s.id, `/checkpoints/${i}/sensors/${j}`] as const)),
  ];
  for (const [id, path] of needsCredential) {
    if (!(id in site.credentials.devices)) problem(path, `device "${id}" has no entry in /credentials/devices`);
  }
}
