import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ApiDeps } from '../deps.ts';

/** The site as the console needs it: no credentials, no password hashes. */
export function siteRoutes(deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/site', { schema: { tags: ['site'], response: { 200: Type.Object({}, { additionalProperties: true }) } } }, async () => {
      const { site } = deps;
      return {
        site: site.site,
        core: site.core,
        rings: site.rings,
        checkpoints: site.checkpoints,
        speakers: site.speakers,
        drones: site.drones.map((d) => ({ id: d.id, name: d.name, dock: d.dock, cruiseSpeedMps: d.cruiseSpeedMps, maxSpeedMps: d.maxSpeedMps, enduranceS: d.enduranceS, speaker: d.speaker, autopilot: d.mavlink.autopilot ?? 'ardupilot' })),
        noFlyZones: site.noFlyZones,
        // The site file's warnings: the clips its speakers hold (the library may differ since).
        clips: site.warnings,
      };
    });
  };
}
