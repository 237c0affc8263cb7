import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONTROL_ERRORS, ControlError } from '../../control/errors.ts';
import { ApiError, toApiError } from '../../control/api/http-errors.ts';
import { BroadcastError } from '../../control/ops/broadcast-service.ts';

/** One error vocabulary for control (issue 13 item 7): one table, one class, one mapping. */
describe('control error vocabulary', () => {
  it('gives every code an HTTP error status and a message', () => {
    for (const [code, e] of Object.entries(CONTROL_ERRORS)) {
      expect(code).toMatch(/^(API|CTL|BCAST)_ERR_[A-Z_]+$/);
      expect(e.status, code).toBeGreaterThanOrEqual(400);
      expect(e.status, code).toBeLessThan(600);
      expect(e.message.length, code).toBeGreaterThan(3);
    }
  });

  it('maps each kind of control error once, by its code, to its status', () => {
    expect(toApiError(new ControlError('CTL_ERR_UNKNOWN_DRONE', 'drone-9'))).toEqual({
      statusCode: 404,
      code: 'CTL_ERR_UNKNOWN_DRONE',
      error: 'Not Found',
      message: 'no drone with this id on the site: drone-9',
    });
    expect(toApiError(new ApiError('API_ERR_NO_FLY', 'the target is inside waterworks'))).toMatchObject({ statusCode: 422, code: 'API_ERR_NO_FLY', message: 'the target is inside waterworks' });
    expect(toApiError(new ApiError('API_ERR_VALIDATION', 'querystring/toMs must be after fromMs'))).toMatchObject({ statusCode: 400, code: 'API_ERR_VALIDATION' });
    // A broadcast refusal is answered with its own code and status, not re-mapped by a route.
    expect(toApiError(new BroadcastError('BCAST_ERR_NO_SPEAKERS', 'the target selects no speaker'))).toMatchObject({ statusCode: 400, code: 'BCAST_ERR_NO_SPEAKERS' });
    expect(toApiError(new BroadcastError('BCAST_ERR_UNKNOWN_BROADCAST', 'no broadcast b-1'))).toMatchObject({ statusCode: 404, code: 'BCAST_ERR_UNKNOWN_BROADCAST' });
    // Anything else says nothing but that it failed.
    expect(toApiError(new Error('secret path /etc/x'))).toEqual({ statusCode: 500, code: 'API_ERR_INTERNAL', error: 'Internal Server Error', message: 'internal error; see the server log' });
  });

  it('names no code in the console that the control service does not have (WEB_ERR_ is the web server’s)', () => {
    for (const file of ['web-map/client/messages-en.ts', 'web-map/client/messages-zh.ts']) {
      const mapped = [...readFileSync(file, 'utf8').matchAll(/'err\.code\.([A-Z_]+)'/g)].map((m) => m[1]!);
      expect(mapped.length, file).toBeGreaterThan(10);
      const unknown = mapped.filter((c) => !(c in CONTROL_ERRORS) && !c.startsWith('WEB_ERR_'));
      expect(unknown, file).toEqual([]);
    }
  });
});
