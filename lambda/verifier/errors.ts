/**
 * The failures the verifier answers, each carrying what the error-mapping middleware needs to
 * build a response. Nothing here holds a secret or an expected signature.
 */

/** Error codes of the verifier's non-2xx answers, besides the signature codes. */
export type DeliveryErrorCode =
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'invalid_json'
  | 'missing_event_type'
  | 'unsupported_characters'
  | 'delivery_in_progress'
  | 'dependency_unavailable'
  | 'internal_error';

/** A delivery answered with a 4xx: the request itself cannot be accepted (as sent, or yet). */
export class DeliveryRejectedError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'DeliveryRejectedError';
  }
}

/** Another invocation holds this event's claim (its lease): answered 409 so the sender retries. */
export class DeliveryInFlightError extends DeliveryRejectedError {
  constructor(readonly retryAfterSeconds: number) {
    super(409, 'delivery_in_progress', 'this event is being handed on by another request; retry later', {
      'retry-after': String(retryAfterSeconds),
    });
    this.name = 'DeliveryInFlightError';
  }
}

/** The AWS dependency that failed. */
export type Dependency = 'secrets' | 'event-record' | 'queue' | 'dead-letter-queue';

/** A dependency failed or timed out: answered 503 so the sender retries. */
export class DependencyError extends Error {
  constructor(
    readonly dependency: Dependency,
    options: { cause?: unknown; message?: string } = {},
  ) {
    super(options.message ?? `${dependency} is unavailable`, { cause: options.cause });
    this.name = 'DependencyError';
  }
}

/**
 * The invocation ran out of time: thrown by middy's early timeout (`timeoutEarlyResponse`) a few
 * milliseconds before Lambda would end the invocation, and answered 503 so the sender retries.
 * Lambda counts no error for it (the function answered), so it has its own metric.
 */
export class VerifierTimeoutError extends Error {
  constructor() {
    super('the verifier ran out of time before the delivery was handed on');
    // The name every timeout carries, so that it is answered as one.
    this.name = 'TimeoutError';
  }
}
