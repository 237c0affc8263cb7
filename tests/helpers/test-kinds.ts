import { importGraph, runtimeClosure, sourceFiles } from './import-graph.ts';

/** What makes a test an integration test when it is anywhere in its run-time import closure. */
const REAL_THINGS =
  /^(node:)?(child_process|net|dgram|http|https|http2|tls|worker_threads)$|^(mqtt|playwright-core|aedes|fastify|influx|@influxdata\/influxdb-client)$|^tests\/helpers\/(broker|influx|browser|control-stack|stack)\.ts$/;

const SOURCE_DIRS = ['control', 'broker', 'mavlink', 'protocol', 'site', 'telemetry', 'simulators', 'system', 'cli', 'util', 'web-map/server', 'web-map/client', 'tests'];

/** Test files (repository-relative) whose imports reach nothing in REAL_THINGS: the unit project. */
export function unitTestFiles(root: string): string[] {
  const files = sourceFiles(root, SOURCE_DIRS);
  const graph = importGraph(root, files);
  return files.filter((f) => f.endsWith('.test.ts') && ![...runtimeClosure(graph, f).keys()].some((to) => REAL_THINGS.test(to)));
}
