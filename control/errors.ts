/**
 * The control service's one error vocabulary (fastify's FST_ERR_* idea): every error a
 * caller can see has a stable code, a message and an HTTP status, and the API's error
 * handler maps them all in one place (api/http-errors.ts toApiError). The codes are wire
 * codes: the web console names each in its message tables (web-map/client/messages-*.ts),
 * so they never change meaning. Prefixes say where an error comes from: API_ERR_ the
 * HTTP edge, CTL_ERR_ links, vehicles and the ledger, BCAST_ERR_ broadcasts.
 */
export const CONTROL_ERRORS = {
  API_ERR_UNAUTHENTICATED: { status: 401, message: 'log in first' },
  API_ERR_FORBIDDEN: { status: 403, message: 'your role may not do this' },
  API_ERR_BAD_LOGIN: { status: 401, message: 'wrong username or password' },
  API_ERR_LOCKED: { status: 429, message: 'too many failed logins; wait and try again' },
  API_ERR_VALIDATION: { status: 400, message: 'invalid request' },
  API_ERR_NOT_FOUND: { status: 404, message: 'not found' },
  API_ERR_CONFLICT: { status: 409, message: 'conflict' },
  API_ERR_UNAVAILABLE: { status: 503, message: 'this part of the system is not running' },
  API_ERR_BUSY: { status: 503, message: 'busy; try again shortly' },
  API_ERR_SITE_LIMIT: { status: 422, message: 'the site file exceeds a resource limit' },
  API_ERR_NO_FLY: { status: 422, message: 'the target or the way there enters a no-fly zone' },
  API_ERR_SIM_FAULT: { status: 400, message: 'the simulators refused the fault' },
  API_ERR_INTERNAL: { status: 500, message: 'internal error; see the server log' },

  CTL_ERR_UNKNOWN_DRONE: { status: 404, message: 'no drone with this id on the site' },
  CTL_ERR_VEHICLE_OFFLINE: { status: 409, message: 'the vehicle has no live MAVLink link' },
  CTL_ERR_BUSY: { status: 409, message: 'a transfer or the same command is already in flight' },
  CTL_ERR_UNKNOWN_MODE: { status: 400, message: 'flight mode not known for this autopilot' },
  CTL_ERR_INVALID_TRANSITION: { status: 409, message: 'ledger state transition not allowed' },
  CTL_ERR_UNKNOWN_COMMAND: { status: 404, message: 'no ledger record with this id' },
  CTL_ERR_READBACK_MISMATCH: { status: 502, message: 'plan read back from the vehicle differs from the plan sent' },
  CTL_ERR_BAD_ENDPOINT: { status: 400, message: 'MAVLink endpoint URL not understood' },
  CTL_ERR_CLOSED: { status: 503, message: 'the control service is shutting down' },

  BCAST_ERR_NO_SPEAKERS: { status: 400, message: 'the target selects no speaker' },
  BCAST_ERR_UNKNOWN_CLIP: { status: 400, message: 'no approved warning with this id' },
  BCAST_ERR_UNKNOWN_BROADCAST: { status: 404, message: 'no broadcast with this id' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ControlErrorCode = keyof typeof CONTROL_ERRORS;

/** Codes of one origin, e.g. `ErrorCodeOf<'BCAST_ERR_'>`. */
export type ErrorCodeOf<Prefix extends string> = Extract<ControlErrorCode, `${Prefix}${string}`>;

export interface ControlErrorOptions {
  /** `detail` is the whole message (a sentence of its own) rather than added to the code's. */
  detailOnly?: boolean;
}

/** An error with a code from CONTROL_ERRORS; its HTTP status comes from the table. */
export class ControlError extends Error {
  readonly status: number;
  constructor(
    readonly code: ControlErrorCode,
    detail?: string,
    o: ControlErrorOptions = {},
  ) {
    const base = CONTROL_ERRORS[code];
    super(detail ? (o.detailOnly ? detail : `${base.message}: ${detail}`) : base.message);
    this.name = 'ControlError';
    this.status = base.status;
  }
}
