import { readFileSync } from 'node:fs';
import { Type, type TSchema } from '@sinclair/typebox';
import { Ajv, type ValidateFunction } from 'ajv';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError, type SiteIssue } from '../../site/load.ts';
import { dedupeIssues } from '../../site/config-error.ts';
import { describeAjvError, type SensorEventType } from '../../protocol/index.ts';
import type { Site } from '../../site/index.ts';
import { checkFaultParams, type EventRequest, type FaultRequest } from '../fleet/faults.ts';
import { SimError } from '../fleet/errors.ts';
import { resolveSelection, siteDeviceIds } from '../fleet/select.ts';
import { DEFAULT_EMITS, type SensorType } from '../sensor/events.ts';
import { durationS, ScenarioFile, TimelineStep } from './schema.ts';

export type ScenarioIssue = SiteIssue;

export class ScenarioError extends ConfigError {
  override name = 'ScenarioError';
}

export type ScenarioAction =
  | { type: 'event'; sensorId: string; request: EventRequest }
  | { type: 'fault'; request: FaultRequest }
  | { type: 'clear'; device: string };

export interface ScenarioStep {
  /** Simulated seconds from the start. */
  atS: number;
  /** Index in the file's timeline, for logs and errors. */
  index: number;
  note?: string;
  action: ScenarioAction;
}

/** A validated scenario, checked against its site; steps sorted by time (file order for ties). */
export interface Scenario extends Omit<ScenarioFile, 'timeline'> {
  file: string;
  steps: ScenarioStep[];
}

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
// The timeline is a union by step kind; validate the envelope first, then each step
// against the one branch its key selects, so errors name the field that is wrong rather
// than every branch it did not match.
const validateEnvelope = ajv.compile({ ...ScenarioFile, properties: { ...ScenarioFile.properties, timeline: Type.Array(Type.Object({}), { maxItems: 10_000 }) } });
const stepBranches = new Map<string, ValidateFunction>(
  (TimelineStep.anyOf as TSchema[]).map((b) => [Object.keys((b as unknown as { properties: object }).properties).find((k) => k !== 'at' && k !== 'note')!, ajv.compile(b)]),
);

export function loadScenario(file: string, site: Site): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ScenarioError(file, [{ path: '/', message: `cannot read: ${(err as Error).message}` }]);
  }
  return parseScenario(text, site, file);
}

export function parseScenario(text: string, site: Site, file = '<scenario>'): Scenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ScenarioError(file, doc.errors.map((e) => ({ path: '/', line: lineCounter.linePos(e.pos[0]).line, message: `YAML: ${e.message.split('\n')[0]}` })));
  }
  const lineOf = lineFinder(doc, lineCounter);
  const issues: ScenarioIssue[] = [];
  const problem = (path: string, message: string) => issues.push({ path, line: lineOf(path), message });
  const reportAjv = (v: ValidateFunction, base: string) => {
    for (const e of (v.errors ?? []).filter((x) => x.keyword !== 'anyOf').slice(0, 20)) {
      const msg = describeAjvError([e]);
      let rel = msg.match(/^field (\S+):/)?.[1] ?? (e.instancePath || '/');
      // Point at the unknown key itself, so the line number is the offending line.
      if (e.keyword === 'additionalProperties') rel = `${e.instancePath}/${String(e.params['additionalProperty'])}`;
      // `at` is a union of number and pattern; one message for both branches reads better.
      const text = /\/at$/.test(rel) ? 'must be seconds (a number) or a duration like 90s, 1m30s, 2h' : msg.replace(/^field \S+: /, '');
      problem(base + (rel === '/' ? '' : rel) || '/', text);
    }
  };

  const data: unknown = doc.toJS();
  if (!validateEnvelope(data)) reportAjv(validateEnvelope, '');
  const raw = data as ScenarioFile;
  const timeline: unknown = (data as { timeline?: unknown } | null)?.timeline;
  (Array.isArray(timeline) ? timeline : []).forEach((step: Record<string, unknown>, i) => {
    if (typeof step !== 'object' || step === null) return;
    const keys = Object.keys(step).filter((k) => k !== 'at' && k !== 'note');
    const kind = keys.find((k) => stepBranches.has(k));
    if (!kind || keys.length !== 1) {
      return problem(`/timeline/${i}`, `a step has "at" and exactly one of ${[...stepBranches.keys()].join(', ')}; found ${keys.length ? keys.join(', ') : 'none'}`);
    }
    const v = stepBranches.get(kind)!;
    if (!v(step)) reportAjv(v, `/timeline/${i}`);
  });
  if (issues.length > 0) throw new ScenarioError(file, dedupeIssues(issues));

  const steps = checkAgainstSite(raw, site, problem);
  if (issues.length > 0) throw new ScenarioError(file, dedupeIssues(issues));
  const { timeline: _timeline, ...rest } = raw;
  void _timeline;
  return { ...rest, file, steps };
}

/** References, sensor capabilities and fault parameters: what the schema cannot see. */
function checkAgainstSite(raw: ScenarioFile, site: Site, problem: (path: string, message: string) => void): ScenarioStep[] {
  const ids = siteDeviceIds(site);
  const started = new Set<string>();
  for (const kind of ['drones', 'speakers', 'sensors'] as const) {
    const sel = raw.devices?.[kind];
    if (Array.isArray(sel)) {
      sel.forEach((id, j) => {
        if (!ids[kind].includes(id)) problem(`/devices/${kind}/${j}`, `no ${kind.slice(0, -1)} "${id}" in site ${site.site.id}`);
      });
    }
    for (const id of resolveSelection(sel, ids[kind])) started.add(id);
  }
  const sensorInfo = new Map<string, { type: SensorType; emits: readonly SensorEventType[]; checkpointId: string }>();
  for (const c of site.checkpoints) {
    for (const s of c.sensors) sensorInfo.set(s.id, { type: s.type as SensorType, emits: s.emits ?? DEFAULT_EMITS[s.type as SensorType], checkpointId: c.id });
  }
  const notStarted = (id: string) => `${id} is not started by this scenario (see /devices)`;

  const steps: ScenarioStep[] = [];
  raw.timeline.forEach((step, i) => {
    const base = `/timeline/${i}`;
    const atS = durationS(step.at);
    const push = (action: ScenarioAction) => steps.push(step.note === undefined ? { atS, index: i, action } : { atS, index: i, note: step.note, action });
    if ('event' in step) {
      const ev = step.event;
      if ((ev.sensor === undefined) === (ev.checkpoint === undefined)) {
        return problem(`${base}/event`, 'name exactly one of sensor or checkpoint');
      }
      let sensorId: string | undefined;
      if (ev.sensor !== undefined) {
        const info = sensorInfo.get(ev.sensor);
        if (!info) return problem(`${base}/event/sensor`, `no sensor "${ev.sensor}" in site ${site.site.id}`);
        if (!info.emits.includes(ev.type) && ev.type !== 'tamper') return problem(`${base}/event/type`, `sensor ${ev.sensor} (${info.type}) does not emit ${ev.type}; it emits ${info.emits.join(', ')}`);
        sensorId = ev.sensor;
      } else {
        const cp = site.checkpoints.find((c) => c.id === ev.checkpoint);
        if (!cp) return problem(`${base}/event/checkpoint`, `no checkpoint "${ev.checkpoint}" in site ${site.site.id}`);
        sensorId = cp.sensors.map((s) => s.id).find((id) => started.has(id) && (ev.type === 'tamper' || sensorInfo.get(id)!.emits.includes(ev.type)));
        if (!sensorId) return problem(`${base}/event/type`, `no started sensor at ${cp.id} emits ${ev.type} (sensors: ${cp.sensors.map((s) => `${s.id} ${s.type}`).join(', ')})`);
      }
      if (!started.has(sensorId)) return problem(`${base}/event/sensor`, notStarted(sensorId));
      return push({ type: 'event', sensorId, request: ev });
    }
    if ('fault' in step) {
      const dev = site.devices.get(step.fault.device);
      if (!dev) return problem(`${base}/fault/device`, `no device "${step.fault.device}" in site ${site.site.id}`);
      if (!started.has(dev.id)) return problem(`${base}/fault/device`, notStarted(dev.id));
      try {
        checkFaultParams(step.fault, dev.kind);
      } catch (err) {
        const m = (err as SimError).message.match(/^field \/(\S+): (.*)$/s);
        return problem(`${base}/fault${m ? '/' + m[1] : ''}`, m ? m[2]! : (err as Error).message);
      }
      return push({ type: 'fault', request: step.fault });
    }
    const device = step.clear.device;
    if (!site.devices.has(device)) return problem(`${base}/clear/device`, `no device "${device}" in site ${site.site.id}`);
    if (!started.has(device)) return problem(`${base}/clear/device`, notStarted(device));
    return push({ type: 'clear', device });
  });
  // Stable: steps at the same time keep file order.
  return steps.sort((a, b) => a.atS - b.atS || a.index - b.index);
}

/** Maps a JSON pointer to the YAML line of the nearest node that exists (as site/load.ts does). */
function lineFinder(doc: Document, lineCounter: LineCounter): (path: string) => number | undefined {
  return (path) => {
    const segs = path.split('/').filter(Boolean).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    for (let n = segs.length; n >= 0; n--) {
      const node = doc.getIn(segs.slice(0, n), true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
}

