/** The simulator fleet's one error vocabulary, with the HTTP status each maps to. */
export const SIM_ERRORS = {
  unknown_device: 404,
  not_started: 409,
  unsupported_fault: 400,
  missing_param: 400,
  cannot_emit: 400,
} as const;
export type SimErrorCode = keyof typeof SIM_ERRORS;

export class SimError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: SimErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SimError';
    this.statusCode = SIM_ERRORS[code];
  }
}
