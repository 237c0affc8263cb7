import { ControlError } from '../errors.ts';

/** API error body: a stable code and a message that says what is wrong. */
export interface ApiErrorBody {
  statusCode: number;
  code: string;
  error: string;
  message: string;
}

export const API_ERRORS = {
  API_ERR_UNAUTHENTICATED: { status: 401, message: 'log in first' },
  API_ERR_FORBIDDEN: { status: 403, message: 'your role may not do this' },
  API_ERR_BAD_LOGIN: { status: 401, message: 'wrong username or password' },
  API_ERR_LOCKED: { status: 429, message: 'too many failed logins; wait and try again' },
  API_ERR_NOT_FOUND: { status: 404, message: 'not found' },
  API_ERR_CONFLICT: { status: 409, message: 'conflict' },
  API_ERR_UNAVAILABLE: { status: 503, message: 'this part of the system is not running' },
  API_ERR_BUSY: { status: 503, message: 'busy; try again shortly' },
  API_ERR_SITE_LIMIT: { status: 422, message: 'the site file exceeds a resource limit' },
  API_ERR_NO_FLY: { status: 422, message: 'the target or the way there enters a no-fly zone' },
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    detail?: string,
  ) {
    super(detail ?? API_ERRORS[code].message);
    this.status = API_ERRORS[code].status;
  }
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 422: 'Unprocessable Entity', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable' };

/** The one mapping from any thrown error to an HTTP answer. */
export function toApiError(err: unknown): ApiErrorBody {
  if (err instanceof ApiError || err instanceof ControlError) {
    return { statusCode: err.status, code: err.code, error: STATUS_TEXT[err.status] ?? 'Error', message: err.message };
  }
  const e = err as { statusCode?: number; code?: string; message?: string; validation?: unknown };
  if (e.validation) {
    // fastify's schema errors already name the field: "body/volumePct must be <= 100".
    return { statusCode: 400, code: 'API_ERR_VALIDATION', error: 'Bad Request', message: e.message ?? 'invalid request' };
  }
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    return { statusCode: e.statusCode, code: e.code ?? 'API_ERR_REQUEST', error: STATUS_TEXT[e.statusCode] ?? 'Error', message: e.message ?? 'bad request' };
  }
  return { statusCode: 500, code: 'API_ERR_INTERNAL', error: 'Internal Server Error', message: 'internal error; see the server log' };
}
