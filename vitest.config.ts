import { defineConfig } from 'vitest/config';
import { unitTestFiles } from './tests/helpers/test-kinds.ts';

// A unit test is one whose run-time imports, followed all the way down, open no socket,
// process, thread, broker, InfluxDB or browser (tests/helpers/test-kinds.ts decides, from
// the import graph, so a test that starts importing a broker moves by itself). Unit tests
// share workers without isolation: they hold no global state worth resetting, and
// importing the modules once instead of per file is most of their run time.
const unit = unitTestFiles(process.cwd());

export default defineConfig({
  test: {
    // Integration tests start real brokers, influxd and simulators; give them room
    // on a 2-core machine but never let a hung socket stall CI forever.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: unit, pool: 'threads', isolate: false } },
      { extends: true, test: { name: 'integration', include: ['tests/**/*.test.ts'], exclude: unit, pool: 'forks' } },
    ],
  },
});
