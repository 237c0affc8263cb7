import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import ts from 'typescript';
import { importGraph, runtimeClosure, runtimeCycles, sourceFiles, type ImportGraph } from './helpers/import-graph.ts';

/**
 * The shape of the code, as a test (issue 13, item 4): pure cores know no sockets, files
 * or clocks; dependencies point down (api → ops → domain → vehicle/geo, services never
 * into simulators, the CLI or tests); no runtime import cycles. Read with the TypeScript
 * parser (already a dependency, and exact about `import type` under
 * verbatimModuleSyntax, which decides whether an edge exists at run time).
 */
const ROOT = process.cwd();
const SOURCE_DIRS = ['control', 'broker', 'mavlink', 'protocol', 'site', 'telemetry', 'simulators', 'system', 'cli', 'util', 'web-map/server', 'web-map/client', 'bench', 'scripts', 'tests'];
const files = sourceFiles(ROOT, SOURCE_DIRS);
const graph: ImportGraph = importGraph(ROOT, files);

/** Pure domain logic: (inputs, injected clock) → outputs. */
const PURE = [
  /^control\/planning\//,
  /^control\/coverage\//,
  /^control\/dispatch\//,
  /^control\/geo\//,
  /^control\/broadcast\/(delivery|targets)\.ts$/,
  /^control\/alarms\//,
  /^control\/auth\/roles\.ts$/,
  /^control\/ledger\/machine\.ts$/,
  /^control\/vehicle\/result\.ts$/,
  /^control\/timeouts\.ts$/,
  /^broker\/acl\.ts$/,
  /^protocol\//,
  /^mavlink\/link\.ts$/,
];
const pureFiles = files.filter((f) => PURE.some((re) => re.test(f)));

/** Packages that open sockets, files, processes or threads, or log. */
const IO_PACKAGE = /^(node:)?(fs|fs\/promises|net|dgram|http|https|http2|tls|child_process|worker_threads|cluster|readline)$|^(aedes.*|fastify|@fastify\/.*|mqtt|mqtt-packet|influx|@influxdata\/.*|ws|pino|sql\.js|mqemitter.*|ioredis|playwright-core)$/;

/** Where a layer may be imported from. */
const LAYERS: { name: string; files: RegExp; importableFrom: RegExp }[] = [
  { name: 'the HTTP API (control/api)', files: /^control\/api\//, importableFrom: /^(control\/api|control\/start-control-app\.ts|system|cli|tests|bench|web-map\/server)\b/ },
  { name: 'operations (control/ops)', files: /^control\/ops\//, importableFrom: /^(control\/ops|control\/api|control\/start-control-app\.ts|system|cli|tests|bench|web-map\/server)\b/ },
  { name: 'the simulators', files: /^simulators\//, importableFrom: /^(simulators|system|cli|tests|bench|scripts)\b/ },
  { name: 'the one-process system (system/)', files: /^system\//, importableFrom: /^(system|cli|tests|bench)\b/ },
  { name: 'the CLI', files: /^cli\//, importableFrom: /^(cli|bin|tests|bench)\b/ },
  { name: 'tests', files: /^tests\//, importableFrom: /^(tests|bench)\b/ },
];

describe('architecture', () => {
  it('reads the whole tree', () => {
    // A guard on the guard: a wrong root or filter would make every rule pass vacuously.
    expect(files.length).toBeGreaterThan(300);
    expect(pureFiles.length).toBeGreaterThan(30);
  });

  it('pure modules reach no I/O, operations or API module, even indirectly', () => {
    const found: string[] = [];
    for (const f of pureFiles) {
      for (const [to, path] of runtimeClosure(graph, f)) {
        if (IO_PACKAGE.test(to) || /^control\/(ops|api)\/|^(system|cli|simulators)\//.test(to)) found.push(path.join(' → '));
      }
    }
    expect(found).toEqual([]);
  });

  it('pure modules read no clock and start no timer of their own (clocks are injected)', () => {
    const found: string[] = [];
    for (const f of pureFiles.filter((x) => x !== 'control/timeouts.ts')) {
      for (const use of ambientTimeUses(f)) found.push(`${f}: ${use}`);
    }
    expect(found).toEqual([]);
  });

  it('dependencies point down: nothing imports a layer above it', () => {
    const found: string[] = [];
    for (const [from, edges] of graph) {
      for (const e of edges) {
        if (!e.local) continue;
        for (const layer of LAYERS) {
          if (layer.files.test(e.to) && !layer.files.test(from) && !layer.importableFrom.test(from)) {
            found.push(`${from} imports ${e.to}${e.typeOnly ? ' (type)' : ''}: ${layer.name} is above it`);
          }
        }
      }
    }
    expect(found).toEqual([]);
  });

  it('has no runtime import cycles (type-only imports are erased and may cross)', () => {
    expect(runtimeCycles(graph)).toEqual([]);
  });

  it('control takes device MQTT in through its one inbound router (subscribed once, validated once)', () => {
    const found: string[] = [];
    for (const f of files.filter((x) => x.startsWith('control/') && x !== 'control/mqtt/inbound-router.ts' && x !== 'control/mqtt/bus.ts')) {
      for (const use of brokerSubscriptions(f)) found.push(`${f}: ${use}`);
    }
    expect(found).toEqual([]);
  });

  it('the planner speaks in mission steps: control/planning reaches neither node-mavlink nor MAVLink plan items', () => {
    // Issue 13 item 6: frames, MAV_CMD parameters and wire sequences are the business of
    // control/vehicle/mission-encoder.ts alone. Type-only imports count too: a planner
    // that names PlanItem builds MAVLink slots, whether or not the import is erased.
    const WIRE = /^node-mavlink$|^control\/vehicle\/plan-item\.ts$/;
    const planning = files.filter((f) => f.startsWith('control/planning/'));
    expect(planning.length).toBeGreaterThan(5);
    const found: string[] = [];
    for (const f of planning) {
      for (const [to, path] of closure(graph, f)) if (WIRE.test(to)) found.push(path.join(' → '));
    }
    expect(found).toEqual([]);
  });

  it('vehicle capabilities take a small view: only vehicle-context.ts names the whole Vehicle in control/vehicle', () => {
    // Issue 13 item 5: ActionApi, PlanApi, the outcome watchers... take the views in
    // vehicle-context.ts, so a signature says what a capability touches. A type-only import
    // of vehicle.ts counts: `v: Vehicle` is exactly the whole-vehicle signature refused.
    const VEHICLE = 'control/vehicle/vehicle.ts';
    const capabilities = files.filter((f) => f.startsWith('control/vehicle/') && f !== VEHICLE && f !== 'control/vehicle/vehicle-context.ts');
    expect(capabilities.length).toBeGreaterThan(15);
    const found: string[] = [];
    for (const f of capabilities) {
      for (const e of graph.get(f) ?? []) if (e.to === VEHICLE) found.push(`${f} imports vehicle.ts${e.typeOnly ? ' (type)' : ''}`);
    }
    expect(found).toEqual([]);
  });

  it('the simulators stand apart from control: simulators/ imports nothing of control/, even as a type', () => {
    // A simulator that borrows control's types agrees with control by construction, and
    // tests against it prove nothing. What both must agree on (the mission item, topics,
    // payloads) lives in protocol/.
    const sims = files.filter((f) => f.startsWith('simulators/'));
    expect(sims.length).toBeGreaterThan(20);
    const found: string[] = [];
    for (const f of sims) {
      for (const e of graph.get(f) ?? []) if (e.local && e.to.startsWith('control/')) found.push(`${f} imports ${e.to}${e.typeOnly ? ' (type)' : ''}`);
    }
    expect(found).toEqual([]);
  });

  it('resolves every relative import to a file in the tree', () => {
    const missing: string[] = [];
    for (const [from, edges] of graph) {
      for (const e of edges) if (e.local && !graph.has(e.to) && !isNonTsAsset(e.to)) missing.push(`${from} → ${e.to}`);
    }
    expect(missing).toEqual([]);
  });
});

/** Everything `from` imports, directly or through other files, type-only edges included, with the path that reaches it. */
function closure(g: ImportGraph, from: string): Map<string, string[]> {
  const seen = new Map<string, string[]>([[from, [from]]]);
  const queue = [from];
  while (queue.length > 0) {
    const f = queue.shift()!;
    for (const e of g.get(f) ?? []) {
      if (seen.has(e.to)) continue;
      seen.set(e.to, [...seen.get(f)!, e.to]);
      if (e.local) queue.push(e.to);
    }
  }
  seen.delete(from);
  return seen;
}

function isNonTsAsset(path: string): boolean {
  return !path.endsWith('.ts');
}

/**
 * Subscriptions to the broker outside the inbound router: `<...bus>.subscribe(...)`, or any
 * `.subscribe('ringwatch/...')`. (The live hub's `hub.subscribe(listener)` is neither.)
 */
function brokerSubscriptions(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(`${ROOT}/${file}`, 'utf8'), ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && /^subscribe(Async)?$/.test(n.expression.name.text)) {
      const receiver = n.expression.expression.getText(sf);
      const first = n.arguments[0];
      const topicArg = first && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first) || ts.isTemplateExpression(first)) && first.getText(sf).slice(1).startsWith('ringwatch/');
      if (/bus$|client$/i.test(receiver) || topicArg) out.push(`${n.getText(sf).slice(0, 60)} at line ${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** `Date.now()`, `new Date()` without arguments, `Math.random()`, `setTimeout`/`setInterval` in a file's code (comments ignored). */
function ambientTimeUses(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(`${ROOT}/${file}`, 'utf8'), ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isCallExpression(n)) {
      const callee = n.expression.getText(sf);
      if (['Date.now', 'Math.random', 'setTimeout', 'setInterval', 'performance.now'].includes(callee)) {
        out.push(`${callee}() at line ${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`);
      }
    } else if (ts.isNewExpression(n) && n.expression.getText(sf) === 'Date' && (n.arguments?.length ?? 0) === 0) {
      out.push(`new Date() at line ${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}
