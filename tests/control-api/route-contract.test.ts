import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { loadSite } from '../../site/load.ts';
import { buildApiOnly, type ApiOnly } from '../helpers/api-only.ts';

/**
 * Typed edges (issue 13 item 7): every API route states what it answers, so the OpenAPI
 * document is complete and fastify serialises by schema. Walks the routes the API
 * registers (all of them, whatever parts run: a missing part answers 503 at call time).
 */
const site = loadSite('sites/demo.yaml');
const clock = { nowMs: () => 1_800_000_000_000 };
let app: FastifyInstance;

let api: ApiOnly | undefined;
beforeAll(async () => {
  api = await buildApiOnly(site, clock, 'rw-contract-');
  ({ app } = api);
}, 60_000);

afterAll(() => api?.close());

describe('route contract', () => {
  it('walks every API route', () => {
    // A guard on the guard: an empty table would pass the next test vacuously.
    const documented = app.routePermissions.filter((r) => !r.hidden);
    expect(documented.length).toBeGreaterThanOrEqual(30);
  });

  it('every documented route declares a response schema', () => {
    const missing = app.routePermissions.filter((r) => !r.hidden && !r.responseSchema).map((r) => `${r.method} ${r.url}`);
    expect(missing).toEqual([]);
  });
});
