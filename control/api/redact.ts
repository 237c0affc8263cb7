/**
 * Secrets out of anything we store or forward (the audit trail goes to a JSONL file,
 * MQTT and InfluxDB, and every operator can read it). A site file sent to validation
 * once put 26 password hashes in front of every operator.
 *
 * - values under a key that names a secret (secret, password, hash, token, key…) are
 *   replaced whole, whatever their type;
 * - anything that looks like one of our hashes (`scrypt$…`, `sha256$…`) is replaced
 *   inside any string, e.g. in a YAML document carried as text;
 * - long strings are cut, since an audit record says what was done, not carries files.
 */
export const REDACTED = '[redacted]';
const SECRET_KEY = /secret|passw|pwd|hash|token|key|credential|authorization|cookie/i;
const HASH_VALUE = /\b(?:scrypt|sha256)\$[A-Za-z0-9_$.=+/-]+/g;
export const MAX_STORED_STRING = 4096;

export function redactSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') {
    const clean = value.replace(HASH_VALUE, REDACTED);
    return clean.length > MAX_STORED_STRING ? `${clean.slice(0, MAX_STORED_STRING)}… [${clean.length - MAX_STORED_STRING} more characters not stored]` : clean;
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth > 20) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? REDACTED : redactSecrets(v, depth + 1);
  return out;
}
