import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

/**
 * Two hash kinds, chosen by what is being protected:
 * - user passwords are chosen by people (low entropy), so they get scrypt, which is
 *   deliberately slow: `scrypt$N$r$p$salt$hash`;
 * - device and service secrets are generated 128-bit+ random tokens, for which a salted
 *   SHA-256 is already infeasible to brute-force and costs microseconds, which matters
 *   when 2,000 sensors reconnect at once: `sha256$salt$hash`.
 * Salts and hashes are base64url.
 */

const SCRYPT_N = 16384;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const KEY_LEN = 32;

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, KEY_LEN, { N: SCRYPT_N, r: SCRYPT_R, p: SCRYPT_P });
  return `scrypt$${SCRYPT_N}$${SCRYPT_R}$${SCRYPT_P}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

export function hashDeviceSecret(secret: string): string {
  const salt = randomBytes(12);
  const hash = createHash('sha256').update(salt).update(secret).digest();
  return `sha256$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/** A fresh random token for a device or service (24 bytes, base64url). */
export function generateSecret(): string {
  return randomBytes(24).toString('base64url');
}

/** Constant-time check of a secret against either hash kind. Malformed hashes never match. */
export function verifySecret(secret: string, stored: string): boolean {
  const parts = stored.split('$');
  if (parts[0] === 'sha256' && parts.length === 3) {
    const salt = Buffer.from(parts[1]!, 'base64url');
    const expected = Buffer.from(parts[2]!, 'base64url');
    const actual = createHash('sha256').update(salt).update(secret).digest();
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
  if (parts[0] === 'scrypt' && parts.length === 6) {
    const [, n, r, p, saltB64, hashB64] = parts as [string, string, string, string, string, string];
    const expected = Buffer.from(hashB64, 'base64url');
    if (expected.length < 16) return false;
    const actual = scryptSync(secret, Buffer.from(saltB64, 'base64url'), expected.length, {
      N: Number(n),
      r: Number(r),
      p: Number(p),
      maxmem: 256 * 1024 * 1024,
    });
    return timingSafeEqual(expected, actual);
  }
  return false;
}

/**
 * The same check without blocking the event loop: scrypt takes tens of milliseconds,
 * which an HTTP server must not spend on its only thread per login.
 */
export async function verifySecretAsync(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts[0] !== 'scrypt' || parts.length !== 6) return verifySecret(secret, stored);
  const [, n, r, p, saltB64, hashB64] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hashB64, 'base64url');
  if (expected.length < 16) return false;
  const actual = await new Promise<Buffer>((resolve, reject) =>
    scrypt(secret, Buffer.from(saltB64, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: 256 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
  return timingSafeEqual(expected, actual);
}
