import type { TSchema } from '@sinclair/typebox';
import type { Site } from '../../site/load.ts';
import type { SiteValidator } from '../../site/site-validator.ts';
import type { TelemetryStore } from '../../telemetry/store/types.ts';
import type { Permission } from '../auth/roles.ts';
import type { RingCoverage } from '../coverage/coverage.ts';
import type { EventHub } from '../live/event-hub.ts';
import type { Operations } from '../ops/operations.ts';
import type { WarningLibrary } from '../ops/warning-library.ts';
import type { ControlService } from '../service.ts';
import type { Clock } from '../timeouts.ts';
import type { AuditLog } from './audit-log.ts';
import type { SessionStore, SessionUser } from './sessions.ts';

// What routes and app.ts share lives here, apart from app.ts, so that the route files
// depend on it and app.ts on them, one way, with no cycle through app.ts.

declare module 'fastify' {
  interface FastifyRequest {
    user?: SessionUser;
  }
  interface FastifyInstance {
    /**
     * Every route with the permission it requires and whether it declares a response
     * schema (hidden: left out of the OpenAPI document), for docs and the contract tests.
     */
    routePermissions: { method: string; url: string; permission: Permission | 'public' | 'read'; responseSchema: boolean; hidden: boolean }[];
  }
  interface FastifyContextConfig {
    /** The permission a route needs; mutating routes must name one. `public` needs no login. */
    permission?: Permission | 'public';
    /** Audit this route's calls (default: every non-GET route). */
    audit?: boolean;
  }
}

/** What the API needs from the rest of the control service: ports, not implementations. */
export interface ApiDeps {
  site: Site;
  clock: Clock;
  sessions: SessionStore;
  audit: AuditLog;
  warnings: WarningLibrary;
  hub: EventHub;
  /** Current response-coverage evaluation, when the live model runs. */
  coverage?: () => RingCoverage[];
  /** Part 1 (links, vehicles, ledger) and part 2 (operations); routes needing them answer 503 without. */
  control?: ControlService;
  ops?: Operations;
  /** Fault injection into attached simulators (`ringwatch up --sim`); validated by the simulator. */
  simFaults?: (req: Record<string, unknown>) => Promise<void>;
  /**
   * The attached simulators' fault vocabulary as a body schema, given by whoever attaches
   * them, so the API validates and documents it without depending on the simulators.
   */
  simFaultSchema?: TSchema;
  /** A scripted sensor event from an attached simulator (the engineer's console); validated by the simulator. */
  simEvents?: (req: Record<string, unknown>) => unknown;
  simEventSchema?: TSchema;
  /** The telemetry store for history and replay. */
  history?: TelemetryStore;
  /** Site-file checks off the event loop; one is made (and closed with the API) when absent. */
  siteValidator?: SiteValidator;
}

