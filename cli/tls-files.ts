import { readFileSync } from 'node:fs';
import type { TlsFiles } from '../control/api/http-options.ts';
import { UsageError } from './args.ts';

export const TLS_USAGE = `  --tls-cert FILE      serve HTTPS with this PEM certificate chain (with --tls-key);
                       the session cookie is then marked Secure and HSTS is sent
  --tls-key FILE       the certificate's PEM private key (keep it 0600)`;

/** `--tls-cert` and `--tls-key`, both or neither, read now so a bad path fails at start (exit 2). */
export function readTlsFlags(values: Record<string, string | boolean | undefined>): TlsFiles | undefined {
  const cert = values['tls-cert'];
  const key = values['tls-key'];
  if (cert === undefined && key === undefined) return undefined;
  if (typeof cert !== 'string' || typeof key !== 'string') throw new UsageError('--tls-cert and --tls-key go together: give both, or neither for plain HTTP');
  const read = (file: string, what: string) => {
    try {
      const text = readFileSync(file, 'utf8');
      if (!/-----BEGIN [A-Z ]+-----/.test(text)) throw new Error('not a PEM file');
      return text;
    } catch (err) {
      throw new UsageError(`--${what} ${file}: ${(err as Error).message}`);
    }
  };
  return { cert: read(cert, 'tls-cert'), key: read(key, 'tls-key') };
}
