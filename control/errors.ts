/**
 * The control service's one error vocabulary (fastify's FST_ERR_* idea): every error a
 * caller can see has a stable code, a message and, where it maps to HTTP, a status.
 */
export const CONTROL_ERRORS = {
  CTL_ERR_UNKNOWN_DRONE: { status: 404, message: 'no drone with this id on the site' },
  CTL_ERR_VEHICLE_OFFLINE: { status: 409, message: 'the vehicle has no live MAVLink link' },
  CTL_ERR_BUSY: { status: 409, message: 'a transfer or the same command is already in flight' },
  CTL_ERR_UNKNOWN_MODE: { status: 400, message: 'flight mode not known for this autopilot' },
  CTL_ERR_INVALID_TRANSITION: { status: 409, message: 'ledger state transition not allowed' },
  CTL_ERR_UNKNOWN_COMMAND: { status: 404, message: 'no ledger record with this id' },
  CTL_ERR_READBACK_MISMATCH: { status: 502, message: 'plan read back from the vehicle differs from the plan sent' },
  CTL_ERR_BAD_ENDPOINT: { status: 400, message: 'MAVLink endpoint URL not understood' },
  CTL_ERR_CLOSED: { status: 503, message: 'the control service is shutting down' },
} as const;

export type ControlErrorCode = keyof typeof CONTROL_ERRORS;

export class ControlError extends Error {
  readonly status: number;
  constructor(
    readonly code: ControlErrorCode,
    detail?: string,
  ) {
    const base = CONTROL_ERRORS[code];
    super(detail ? `${base.message}: ${detail}` : base.message);
    this.name = 'ControlError';
    this.status = base.status;
  }
}
