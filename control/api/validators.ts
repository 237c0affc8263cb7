import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv-formats is CommonJS; under ESM its default export is the plugin function.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** fastify's own Ajv defaults (@fastify/ajv-compiler), with additional properties kept so they are refused. */
const BASE: Options = { useDefaults: true, removeAdditional: false, addUsedSchema: false, allErrors: false };

/**
 * One validator compiler for the API, by part of the request:
 * - bodies are JSON and must already have the declared types: no coercion, so
 *   `"latDeg": "30.27"` or `[120.06]` is a 400 naming the field rather than a number
 *   that some client bug or attacker smuggled in (a drone was once dispatched on one);
 * - query strings, path parameters and headers are text by nature and are coerced
 *   (`?limit=50` is a number), as fastify does by default.
 */
export function apiValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = addFormats(new Ajv({ ...BASE, coerceTypes: false }));
  const coercing = addFormats(new Ajv({ ...BASE, coerceTypes: 'array' }));
  return ({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema as object);
}
