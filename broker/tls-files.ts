import { readFileSync } from 'node:fs';

/** A certificate chain and its key (PEM text), as node:tls takes them; the HTTP side's shape too. */
export interface TlsFiles {
  cert: string | Buffer;
  key: string | Buffer;
  /** Only for a chain the server must present that is not in `cert`. */
  ca?: string | Buffer;
}

/** Where the PEM files are, as given on the command line or in configuration. */
export interface TlsPaths {
  certFile: string;
  keyFile: string;
  caFile?: string;
}

/**
 * Reads the PEM files once at start-up; a missing or unreadable file is a clear error
 * naming the file rather than a TLS failure on the first connection.
 */
export function readTlsFiles(paths: TlsPaths): TlsFiles {
  const read = (what: string, file: string): Buffer => {
    try {
      const pem = readFileSync(file);
      if (!pem.includes('-----BEGIN')) throw new Error('not a PEM file');
      return pem;
    } catch (err) {
      throw new Error(`TLS ${what} ${file}: ${(err as Error).message}`, { cause: err });
    }
  };
  return {
    cert: read('certificate', paths.certFile),
    key: read('key', paths.keyFile),
    ...(paths.caFile ? { ca: read('CA file', paths.caFile) } : {}),
  };
}
