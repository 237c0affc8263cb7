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
export async function registerSecurityHeaders(app: FastifyInstance, o: { tls: boolean; extraImgSrc: string[] }): Promise<void> {
  await app.register(fastifyHelmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
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
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: o.tls ? { maxAge: 180 * 24 * 3600, includeSubDomains: false } : false,
    crossOriginEmbedderPolicy: false,
  });
}
