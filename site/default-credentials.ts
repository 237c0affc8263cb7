import { fileURLToPath } from 'node:url';
import type { Site } from './load.ts';
import { verifySecret, verifySecretAsync } from './secrets.ts';
import { loadSecretsFile, type SecretsFile } from './secrets-file.ts';

/** The published demo secrets: anyone who has read the repository knows them. */
export const DEMO_SECRETS_FILE = fileURLToPath(new URL('../sites/demo.secrets.yaml', import.meta.url));

export interface DemoCredentialUse {
  kind: 'user' | 'device' | 'service';
  /** The user, device or service in this site whose hash matches a demo secret. */
  id: string;
}

/**
 * Every user, device and service of a site whose stored hash matches one of the
 * published demo secrets, under any name: a renamed user with the demo password counts.
 * User hashes are scrypt (tens of ms each), checked concurrently on libuv's pool.
 */
export async function findDemoCredentials(site: Pick<Site, 'users' | 'credentials'>, demo: SecretsFile = loadSecretsFile(DEMO_SECRETS_FILE)): Promise<DemoCredentialUse[]> {
  const demoPasswords = [...new Set(Object.values(demo.users ?? {}))];
  const demoTokens = [...new Set([...Object.values(demo.devices), ...Object.values(demo.services)])];
  const users = await Promise.all(
    site.users.map(async (u) => {
      for (const p of demoPasswords) if (await verifySecretAsync(p, u.passwordHash)) return { kind: 'user' as const, id: u.username };
      return undefined;
    }),
  );
  const matches = (hash: string) => demoTokens.some((t) => verifySecret(t, hash));
  const devices = Object.entries(site.credentials.devices).filter(([, h]) => matches(h)).map(([id]) => ({ kind: 'device' as const, id }));
  const services = Object.entries(site.credentials.services).filter(([, h]) => matches(h)).map(([id]) => ({ kind: 'service' as const, id }));
  return [...users.filter((u) => u !== undefined), ...devices, ...services];
}

/** Whether a listen address accepts connections from this host only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\./.test(h);
}

/** One line naming what matched, for the refusal message. */
export function describeDemoCredentials(uses: readonly DemoCredentialUse[]): string {
  const of = (k: DemoCredentialUse['kind']) => uses.filter((u) => u.kind === k).map((u) => u.id);
  const parts = [
    of('user').length ? `users ${of('user').join(', ')}` : '',
    of('device').length ? `${of('device').length} device secrets` : '',
    of('service').length ? `services ${of('service').join(', ')}` : '',
  ].filter(Boolean);
  return parts.join('; ');
}
