/**
 * The telemetry service's one error vocabulary. Every failure the service reports
 * carries one of these codes so callers (CLI, stack, tests) can tell them apart
 * without parsing messages.
 */
export type TelemetryErrorCode =
  | 'TEL_INFLUXD_MISSING' // influxd binary not installed
  | 'TEL_INFLUXD_START' // influxd did not answer /ping in time or exited early
  | 'TEL_STORE_UNAVAILABLE' // network error or 5xx: retryable
  | 'TEL_STORE_REJECTED' // 4xx: the points themselves are bad; retrying will not help
  | 'TEL_STORE_QUERY' // a query failed
  | 'TEL_SPOOL_CORRUPT' // a spool segment could not be read
  | 'TEL_SPOOL_NO_SPACE' // the spool's disk is full: messages are shed until space returns
  | 'TEL_SPOOL_WRITE' // another spool write failure (I/O error)
  | 'TEL_CONFIG'; // invalid configuration

export class TelemetryError extends Error {
  constructor(
    readonly code: TelemetryErrorCode,
    message: string,
    options?: { cause?: unknown; status?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TelemetryError';
    this.status = options?.status;
  }
  readonly status: number | undefined;

  /** Network errors and 5xx/429 answers may succeed later; 4xx never will. */
  get retryable(): boolean {
    return this.code === 'TEL_STORE_UNAVAILABLE';
  }
}

/**
 * Maps an HTTP status (or none, for a network error) to the vocabulary above. 404 (the
 * database or bucket is gone) is retryable: the writer re-creates the schema and the
 * spool keeps the points, rather than dropping them over an operator's mistake.
 */
export function storeErrorFromStatus(status: number | undefined, message: string, cause?: unknown): TelemetryError {
  if (status === undefined || status >= 500 || status === 429 || status === 408 || status === 404) {
    return new TelemetryError('TEL_STORE_UNAVAILABLE', message, { cause, status });
  }
  return new TelemetryError('TEL_STORE_REJECTED', message, { cause, status });
}
