import { ConfigError, type SiteIssue } from './config-error.ts';

/**
 * Resource limits on a site file, enforced at load before any expensive work, so a
 * file (or a request to POST /api/config/validate) cannot exhaust memory or time.
 * Each refusal names its limit.
 */
export const SITE_LIMITS = {
  /** The demo site is 13 kB; a city with thousands of sensors stays well under this. */
  maxFileBytes: 1024 * 1024,
  /** YAML alias expansion (billion laughs): yaml's own count of alias resolutions. */
  maxAliasCount: 100,
  /** Vertices in all polygons together (each polygon is capped at 2,000 by the schema). */
  maxTotalPolygonPoints: 20_000,
} as const;

/** A site file refused for exceeding a resource limit rather than for its content. */
export class SiteLimitError extends ConfigError {
  override name = 'SiteLimitError';
  constructor(file: string, issues: SiteIssue[]) {
    super(file, issues);
  }
}
