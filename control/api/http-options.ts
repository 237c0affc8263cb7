import type { Logger } from 'pino';

/** Named HTTP timeouts; tests shorten them (control/timeouts.ts does the same for MAVLink). */
export interface HttpTimeouts {
  /** Headers must arrive within this (slowloris). */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this (slow bodies). */
  requestTimeoutMs: number;
  /** A socket with no traffic either way is closed after this; SSE sends a keep-alive every 15 s. */
  idleTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 120_000,
  keepAliveTimeoutMs: 5_000,
};

export const FAST_HTTP_TIMEOUTS: HttpTimeouts = {
  headersTimeoutMs: 1_000,
  requestTimeoutMs: 2_000,
  idleTimeoutMs: 30_000,
  keepAliveTimeoutMs: 1_000,
};

/** PEM certificate chain and key, read from files by the CLI (`--tls-cert`, `--tls-key`). */
export interface TlsFiles {
  cert: string | Buffer;
  key: string | Buffer;
}

/** How the API's HTTP server is run: transport and limits, apart from what the routes need. */
export interface HttpServerOptions {
  /** Serve HTTPS; the session cookie is then marked Secure and HSTS is sent. */
  tls?: TlsFiles;
  timeouts?: Partial<HttpTimeouts>;
  /** Open connections in total; further ones are closed at once (default 4096, well under the fd limit). */
  maxConnections?: number;
  /** Open connections per source address, so one host cannot use up the total (default 256). */
  maxConnectionsPerSource?: number;
  /** Image origins the console may load besides itself (the basemap's tile server). */
  extraImgSrc?: string[];
  /**
   * Addresses of our own reverse proxies (`ringwatch web`) whose X-Forwarded-For names the
   * client; only then is that header believed, so the login throttle sees real clients
   * behind the proxy and nobody else can choose their source address by header.
   */
  trustProxy?: string[];
  /** Where 500s are logged, with their request id (default: nowhere). */
  logger?: Logger;
}

export const DEFAULT_MAX_CONNECTIONS = 4096;
export const DEFAULT_MAX_CONNECTIONS_PER_SOURCE = 256;

/** The origin a tile URL template loads from, as a CSP source (`{s}` subdomains become `*`). */
export function tileOrigin(template: string): string | undefined {
  const m = /^(https?):\/\/([^/]+)/.exec(template);
  if (!m) return undefined;
  return `${m[1]}://${m[2]!.replace(/\{[a-z]\}/g, '*')}`;
}
