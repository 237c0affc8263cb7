// aedes-persistence's abstract test suite (node:test), run against our session store:
// the indexed async layer directly and the callback layer aedes uses. Started by
// tests/broker/session-store.test.ts with `node --import tsx --test`.
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { IndexedMemoryPersistence, createSessionStore } from '../../../broker/session-store.ts';

const require = createRequire(import.meta.url);
const abstractPersistence = require('aedes-persistence/abstract.js') as (opts: object) => void;

abstractPersistence({ test, persistence: () => new IndexedMemoryPersistence(), testAsync: true });
abstractPersistence({ test, persistence: (opts: object) => createSessionStore(opts) });
