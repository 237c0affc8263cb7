import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describeAjvError } from '../protocol/validate.ts';

/**
 * Plain secrets a *client* needs (simulated devices, our services logging in to the
 * broker). Only the demo ships one; in production each service gets its own secret from
 * its environment (RINGWATCH_MQTT_SECRET) and devices hold theirs.
 */
export const SecretsFile = Type.Object(
  {
    devices: Type.Record(Type.String(), Type.String({ minLength: 1 })),
    services: Type.Record(Type.String(), Type.String({ minLength: 1 })),
    users: Type.Optional(Type.Record(Type.String(), Type.String({ minLength: 1 }))),
    /** MAVLink 2 signing keys by key id (the site's `drones[].mavlink.signing.keyId`): 64 hex digits, 32 bytes. */
    mavlinkKeys: Type.Optional(Type.Record(Type.String(), Type.String({ pattern: '^[0-9a-fA-F]{64}$' }))),
  },
  { additionalProperties: false },
);
export type SecretsFile = Static<typeof SecretsFile>;

const validate = new Ajv({ strict: true }).compile<SecretsFile>(SecretsFile);

export function loadSecretsFile(file: string): SecretsFile {
  let data: unknown;
  try {
    data = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: cannot read secrets: ${(err as Error).message}`, { cause: err });
  }
  if (!validate(data)) throw new Error(`${file}: ${describeAjvError(validate.errors)}`);
  return data;
}

/** `sites/demo.yaml` → `sites/demo.secrets.yaml`. */
export function defaultSecretsPath(siteFile: string): string {
  return siteFile.replace(/\.ya?ml$/, '') + '.secrets.yaml';
}
