import { readFileSync } from 'node:fs';
import type { TSchema } from '@sinclair/typebox';
import { expect, test } from 'vitest';
import { ACK_STATES, CHANNELS, DEVICE_KINDS, PAYLOAD_SCHEMAS } from '../../protocol/index.ts';

/** docs/protocol.md is hand-written from the schemas; this keeps the two from drifting apart. */
const doc = readFileSync('docs/protocol.md', 'utf8');

function fieldsOf(schema: TSchema, out = new Set<string>()): Set<string> {
  const s = schema as { properties?: Record<string, TSchema>; anyOf?: TSchema[]; const?: unknown };
  for (const b of s.anyOf ?? []) fieldsOf(b, out);
  for (const [name, sub] of Object.entries(s.properties ?? {})) {
    out.add(name);
    fieldsOf(sub, out);
  }
  return out;
}

function literalsOf(schema: TSchema, out = new Set<string>()): Set<string> {
  const s = schema as { properties?: Record<string, TSchema>; anyOf?: TSchema[]; const?: unknown };
  if (typeof s.const === 'string') out.add(s.const);
  for (const b of s.anyOf ?? []) literalsOf(b, out);
  for (const sub of Object.values(s.properties ?? {})) literalsOf(sub, out);
  return out;
}

test.each(DEVICE_KINDS.flatMap((kind) => CHANNELS.map((channel) => [kind, channel] as const)))(
  'every field and enum value of %s/%s is documented',
  (kind, channel) => {
    const schema = PAYLOAD_SCHEMAS[kind][channel];
    const missing = [...fieldsOf(schema), ...literalsOf(schema)].filter((name) => !doc.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  },
);

test('every ack state is documented in the ack table', () => {
  for (const state of ACK_STATES) expect(doc).toMatch(new RegExp(`\\| \`${state}\` \\|`));
});
