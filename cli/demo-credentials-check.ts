import type { Site } from '../site/load.ts';
import { describeDemoCredentials, findDemoCredentials, isLoopbackHost, type DemoCredentialUse } from '../site/default-credentials.ts';
import { UsageError } from './args.ts';

/**
 * A site whose hashes match the published demo secrets may run only where nobody else
 * can reach it: every listener on loopback. Otherwise the start is refused (exit 2)
 * with what matched and what to do. Returns what matched, for the banner.
 */
export async function refuseDemoCredentialsOffLoopback(site: Site, listeners: readonly { name: string; host: string }[]): Promise<DemoCredentialUse[]> {
  const uses = await findDemoCredentials(site);
  if (uses.length === 0) return uses;
  const exposed = listeners.filter((l) => !isLoopbackHost(l.host));
  if (exposed.length > 0) {
    throw new UsageError(
      `${site.file} uses the published demo credentials (${describeDemoCredentials(uses)}) ` +
        `and would listen on ${[...new Set(exposed.map((l) => l.host))].join(', ')} (${exposed.map((l) => l.name).join(', ')}), ` +
        `where anyone on the network could log in with them. Generate your own with "ringwatch hash-secret" ` +
        `(users: --password, devices and services: --device), or listen on 127.0.0.1 only (--host 127.0.0.1).`,
    );
  }
  return uses;
}
