import type { Drone } from './schema.ts';
import type { SecretsFile } from './secrets-file.ts';

/**
 * The MAVLink signing key of every drone whose site entry names one, by drone id. Fails
 * closed: a drone that names a key the secrets do not hold is an error, never a silently
 * unsigned link. Messages name the drone and the key id, never the key.
 */
export function mavlinkSigningKeys(drones: readonly Pick<Drone, 'id' | 'mavlink'>[], secrets: Pick<SecretsFile, 'mavlinkKeys'> | undefined): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  for (const d of drones) {
    const keyId = d.mavlink.signing?.keyId;
    if (keyId === undefined) continue;
    const hex = secrets?.mavlinkKeys?.[keyId];
    if (hex === undefined) throw new Error(`drone ${d.id}: its MAVLink signing key "${keyId}" is not in the secrets file (mavlinkKeys.${keyId})`);
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`mavlinkKeys.${keyId}: a MAVLink signing key must be 64 hex digits (32 bytes)`);
    keys.set(d.id, Buffer.from(hex, 'hex'));
  }
  return keys;
}
