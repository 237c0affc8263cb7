import { CONTROL_ERRORS, ControlError, type ErrorCodeOf } from '../errors.ts';

/** API error body: a stable code and a message that says what is wrong. */
export interface ApiErrorBody {
  statusCode: number;
  code: string;
  error: string;
  message: string;
}

export type ApiErrorCode = ErrorCodeOf<'API_ERR_'>;

/** The HTTP edge's own errors (control/errors.ts API_ERR_*); `detail` replaces the code's message. */
export class ApiError extends ControlError {
  constructor(code: ApiErrorCode, detail?: string) {
    super(code, detail, { detailOnly: true });
    this.name = 'ApiError';
  }
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 422: 'Unprocessable Entity', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable' };

/** The one mapping from any thrown error to an HTTP answer. */
export function toApiError(err: unknown): ApiErrorBody {
  if (err instanceof ControlError) {
    return { statusCode: err.status, code: err.code, error: STATUS_TEXT[err.status] ?? 'Error', message: err.message };
  }
  const e = err as { statusCode?: number; code?: string; message?: string; validation?: unknown };
  if (e.validation) {
    // fastify's schema errors already name the field: "body/volumePct must be <= 100".
    return { statusCode: 400, code: 'API_ERR_VALIDATION', error: 'Bad Request', message: e.message ?? CONTROL_ERRORS.API_ERR_VALIDATION.message };
  }
  // fastify's own (FST_ERR_*: body too large, bad content type...) keep their code.
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    return { statusCode: e.statusCode, code: e.code ?? 'API_ERR_REQUEST', error: STATUS_TEXT[e.statusCode] ?? 'Error', message: e.message ?? 'bad request' };
  }
  return { statusCode: 500, code: 'API_ERR_INTERNAL', error: 'Internal Server Error', message: CONTROL_ERRORS.API_ERR_INTERNAL.message };
}
