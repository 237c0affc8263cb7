import Fastify, { type FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ErrorObject } from 'ajv';
import { describeAjvError } from '../../protocol/index.ts';
import { EventRequest, FaultRequest } from './faults.ts';
import { SimError } from './errors.ts';
import type { SimFleet } from '../fleet.ts';

export interface SimApi {
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

const ErrorBody = Type.Object({ error: Type.String(), message: Type.String() });
const Ok = Type.Object({ ok: Type.Boolean() });

/**
 * The simulator's runtime fault API, on loopback only: an engineer (or a test) breaks a
 * device while the control service is running, the way a scenario step would.
 */
export function buildSimApi(fleet: Pick<SimFleet, 'injectFault' | 'clearFaults' | 'triggerEvent' | 'devices'>): FastifyInstance {
  // Reject unknown fields rather than strip them (fastify's default): a misspelt
  // parameter must not silently become a different fault.
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024, ajv: { customOptions: { removeAdditional: false, coerceTypes: false } } });
  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown; code?: string }, _req, reply) => {
    if (err instanceof SimError) return reply.status(err.statusCode).send({ error: err.code, message: err.message });
    if (err.validation) return reply.status(400).send({ error: 'invalid_body', message: describeAjvError(err.validation as ErrorObject[]) });
    const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
    return reply.status(status).send({ error: err.code ?? 'internal', message: err.message });
  });
  app.get('/devices', async () => ({ devices: fleet.devices() }));
  app.post('/faults', { schema: { body: FaultRequest, response: { 200: Ok, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody } } }, async (req) => {
    await fleet.injectFault(req.body as FaultRequest);
    return { ok: true };
  });
  app.delete<{ Params: { device: string } }>('/faults/:device', async (req) => {
    await fleet.clearFaults(req.params.device);
    return { ok: true };
  });
  app.post('/events', { schema: { body: EventRequest, response: { 400: ErrorBody, 404: ErrorBody, 409: ErrorBody } } }, async (req) => {
    return { event: fleet.triggerEvent(req.body as EventRequest) };
  });
  return app;
}

export async function startSimApi(fleet: Parameters<typeof buildSimApi>[0], opts: { port: number }): Promise<SimApi> {
  const app = buildSimApi(fleet);
  await app.listen({ host: '127.0.0.1', port: opts.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return { url: `http://127.0.0.1:${port}`, app, close: () => app.close() };
}
