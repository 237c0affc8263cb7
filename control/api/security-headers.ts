import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/**
 * Security headers on every answer (API, console, docs). The CSP fits the console as
 * built: scripts and styles from our origin only; inline `style` attributes allowed
 * (Leaflet's marker labels set colours inline) but no inline scripts or style
 * elements; images also from the basemap's tile server; no framing by anyone
 * (clickjacking a broadcast button). Under TLS, HSTS and upgrade-insecure-requests;
 * without TLS neither, since upgrading would break a plain-HTTP console on the LAN.
 */
export interface HeaderOptions {
  tls: boolean;
  extraImgSrc: string[];
}

function cspDirectives(o: HeaderOptions): Record<string, string[]> {
  return {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    styleSrcAttr: ["'unsafe-inline'"],
    imgSrc: ["'self'", 'data:', 'blob:', ...o.extraImgSrc],
    fontSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    ...(o.tls ? { upgradeInsecureRequests: [] } : {}),
  };
}

export async function registerSecurityHeaders(app: FastifyInstance, o: HeaderOptions): Promise<void> {
  await app.register(fastifyHelmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: cspDirectives(o) },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: o.tls ? { maxAge: 180 * 24 * 3600, includeSubDomains: false } : false,
    crossOriginEmbedderPolicy: false,
  });
}

/**
 * Route-level helmet config for the Swagger UI pages: the same policy, except that
 * Swagger UI injects one inline style element (its hash changes with each release).
 * Scripts stay 'self' only, so this does not open the docs to script injection.
 */
export function docsHelmetConfig(o: HeaderOptions): { contentSecurityPolicy: { useDefaults: false; directives: Record<string, string[]> } } {
  return { contentSecurityPolicy: { useDefaults: false, directives: { ...cspDirectives(o), styleSrc: ["'self'", "'unsafe-inline'"] } } };
}
