import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import type { AedesOptions } from 'aedes';

const require = createRequire(import.meta.url);

/** ioredis options from a redis:// URL (host, port, password, db). */
export function redisOptions(url: string): { host: string; port: number; password?: string; db?: number } {
  const u = new URL(url);
  if (u.protocol !== 'redis:') throw new Error(`--redis must be a redis:// URL, got "${url}"`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined;
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db !== undefined && Number.isInteger(db) ? { db } : {}),
  };
}

/**
 * Backends that let several broker instances act as one: mqemitter-redis carries every
 * publish to all instances, aedes-persistence-redis shares retained messages, sessions
 * and wills. aedes 1.x wants a promise-based persistence, which aedes-persistence-redis
 * 11 provides as asyncPersistence.js (its main export wraps it for callback-era aedes).
 */
export function redisBackends(url: string): { mq: NonNullable<AedesOptions['mq']>; persistence: NonNullable<AedesOptions['persistence']> } {
  const opts = redisOptions(url);
  const mqemitterRedis = require('mqemitter-redis') as (o: object) => NonNullable<AedesOptions['mq']>;
  const AsyncRedisPersistence = require('aedes-persistence-redis/asyncPersistence.js') as new (o: object) => NonNullable<
    AedesOptions['persistence']
  >;
  const persistence = new AsyncRedisPersistence({ ...opts }) as { createRetainedStreamCombi(patterns: string[]): AsyncIterable<unknown> };
  // aedes 1.2 pipes the retained-message stream (`.pipe`), while this persistence returns
  // an async iterable; adapt it here rather than patch either library.
  const retained = persistence.createRetainedStreamCombi.bind(persistence);
  persistence.createRetainedStreamCombi = (patterns) => Readable.from(retained(patterns));
  return { mq: mqemitterRedis({ ...opts }), persistence: persistence as NonNullable<AedesOptions['persistence']> };
}
