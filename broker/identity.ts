import type { DeviceKind } from '../protocol/index.ts';
import { SERVICE_IDS, verifySecret, type ServiceId, type Site } from '../site/index.ts';

/** Who is on the other end of an MQTT connection, as established at CONNECT. */
export type Identity =
  | { type: 'device'; id: string; deviceKind: DeviceKind }
  | { type: 'service'; id: ServiceId };

/** Label used for the "connected clients by kind" metric: drone|speaker|sensor|control|telemetry|web. */
export type IdentityLabel = DeviceKind | ServiceId;

export function identityLabel(identity: Identity): IdentityLabel {
  return identity.type === 'device' ? identity.deviceKind : identity.id;
}

export type AuthResult =
  | { ok: true; identity: Identity }
  | { ok: false; reason: 'unknown_user' | 'bad_secret' | 'bad_client_id'; message: string };

function isServiceId(s: string): s is ServiceId {
  return (SERVICE_IDS as readonly string[]).includes(s);
}

/**
 * Client ids are bound to the username. MQTT lets a new connection with an existing
 * client id take over that session [MQTT-3.1.4-2]; if ids were free, any device could
 * knock another off the air or inherit its queued commands. So:
 * - a device's client id is exactly its device id (one session per device; a reconnect
 *   after a half-open drop cleanly replaces the stale one);
 * - a service's client id is its service id or `serviceId:suffix`, because services may
 *   run several instances (two web processes, a standby control).
 */
export function clientIdAllowed(identity: Identity, clientId: string): boolean {
  if (identity.type === 'device') return clientId === identity.id;
  return clientId === identity.id || (clientId.startsWith(identity.id + ':') && clientId.length > identity.id.length + 1);
}

/**
 * Checks CONNECT credentials against the site: username = device id or service id,
 * password = that identity's secret (verified against its hash, constant time).
 */
export function authenticateClient(
  site: Site,
  username: string | undefined,
  password: Buffer | string | undefined,
  clientId: string,
): AuthResult {
  if (!username) return { ok: false, reason: 'unknown_user', message: 'no username' };
  let identity: Identity;
  let hash: string | undefined;
  if (isServiceId(username)) {
    identity = { type: 'service', id: username };
    hash = site.credentials.services[username];
  } else {
    const device = site.devices.get(username);
    if (!device) return { ok: false, reason: 'unknown_user', message: `unknown user "${username}"` };
    identity = { type: 'device', id: device.id, deviceKind: device.kind };
    hash = site.credentials.devices[username];
  }
  // A drone reached only over MAVLink has no MQTT secret: it cannot log in at all.
  if (!hash) return { ok: false, reason: 'unknown_user', message: `"${username}" has no MQTT credentials in this site` };
  const secret = password === undefined ? '' : typeof password === 'string' ? password : password.toString('utf8');
  if (!verifySecret(secret, hash)) return { ok: false, reason: 'bad_secret', message: `wrong secret for "${username}"` };
  if (!clientIdAllowed(identity, clientId)) {
    const expected = identity.type === 'device' ? `"${identity.id}"` : `"${identity.id}" or "${identity.id}:<instance>"`;
    return { ok: false, reason: 'bad_client_id', message: `client id "${clientId}" not allowed for "${username}", use ${expected}` };
  }
  return { ok: true, identity };
}
