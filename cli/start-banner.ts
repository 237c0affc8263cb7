import type { Site } from '../site/load.ts';
import type { SecretsFile } from '../site/secrets-file.ts';
import { isLoopbackHost, type DemoCredentialUse } from '../site/default-credentials.ts';

export interface BannerInput {
  site: Site;
  secrets: SecretsFile;
  /** What findDemoCredentials matched in this site. */
  demoCredentials: readonly DemoCredentialUse[];
  /** Every address we listen on. */
  hosts: readonly string[];
  mapUrl: string;
  mqttUrl: string;
}

/**
 * What `ringwatch up` prints once running. Passwords are printed only for demo users
 * (their hash matches a published demo password) and only when every listener is on
 * loopback: a real site's passwords never reach a terminal, a log or a screen share.
 */
export function startBanner(b: BannerInput): string {
  const demoUsers = new Set(b.demoCredentials.filter((d) => d.kind === 'user').map((d) => d.id));
  const showLogins = demoUsers.size > 0 && b.hosts.every(isLoopbackHost);
  const logins = showLogins
    ? Object.entries(b.secrets.users ?? {})
        .filter(([u]) => demoUsers.has(u))
        .map(([u, p]) => `    ${u.padEnd(10)} ${p.padEnd(16)} ${b.site.users.find((x) => x.username === u)?.role ?? ''}`)
        .join('\n')
    : '';
  return (
    `\nringwatch is up: ${b.site.site.name}\n` +
    `  map      ${b.mapUrl}\n` +
    `  API      ${b.mapUrl}api/docs (OpenAPI: ${b.mapUrl}api/openapi.json)\n` +
    `  MQTT     ${b.mqttUrl}\n` +
    (logins ? `  logins (demo, loopback only):\n${logins}\n` : '') +
    `Ctrl-C stops everything.\n\n`
  );
}
