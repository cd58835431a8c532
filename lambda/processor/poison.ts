/**
 * Events that can never succeed, however often they are retried: a body that is no valid event
 * (`queued-event.ts`), a write DynamoDB refuses for what it is (an item over 400 KB, nesting deeper
 * than 32 levels, a key over 2 KB: any `ValidationException`), or an event a handler marks with
 * {@link PoisonEventError}. Retried, each would hold back its connection (for `rules.updated`, the
 * whole account) for `maxReceiveCount` visibility timeouts before SQS moved it; the processor puts
 * it on the dead-letter queue at its first attempt instead (`dead-letters.ts`).
 */
import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';

/** Why a message goes to the dead-letter queue at once: the reason code and its detail. */
export interface Rejection {
  /** Short code, the `rejectionReason` attribute (at most 64 characters are kept). */
  readonly reason: string;
  /** What went wrong, the `rejectionDetail` attribute (cut to 1,024 characters). */
  readonly message: string;
  /** The event type, when known. */
  readonly eventType?: string;
}

/** The `rejectionReason` of an event whose write DynamoDB refused with a `ValidationException`. */
export const REJECTED_BY_DYNAMODB = 'rejected_by_dynamodb';
/** The `rejectionReason` of a {@link PoisonEventError} thrown without a reason of its own. */
export const REJECTED_BY_HANDLER = 'rejected_by_handler';

/** Options of {@link PoisonEventError}. */
export interface PoisonEventErrorOptions extends ErrorOptions {
  /** The `rejectionReason` attribute on the dead-letter queue. @default 'rejected_by_handler' */
  readonly reason?: string;
}

/**
 * Throw it from a handler for an event that can never succeed (a payload your system will never
 * accept, not an outage): the event goes to the dead-letter queue at once, with `reason` and the
 * message as its `rejectionReason` and `rejectionDetail`, is acknowledged and counted as
 * `EventsRejected`, and its connection's later events go on. Any other error is retried.
 *
 * @example
 * if (!tenantOf(event.data.clientReferenceId)) {
 *   throw new PoisonEventError('no tenant for this user', { reason: 'unknown_tenant' });
 * }
 */
export class PoisonEventError extends Error {
  /** The `rejectionReason` on the dead-letter queue. */
  readonly reason: string;

  constructor(message: string, options: PoisonEventErrorOptions = {}) {
    super(message, options);
    this.name = 'PoisonEventError';
    this.reason = options.reason ?? REJECTED_BY_HANDLER;
  }
}

/** How many `cause` links are followed to find a poison error wrapped by a handler. */
const MAX_CAUSE_DEPTH = 5;

/**
 * The rejection of an error that no retry can cure: a {@link PoisonEventError}, or DynamoDB's
 * `ValidationException`, also when a handler wrapped either as the `cause` of its own error;
 * `undefined` for anything else (retried).
 */
export function poisonRejection(error: unknown, eventType: string): Rejection | undefined {
  let current = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH && current instanceof Error; depth += 1) {
    if (current instanceof PoisonEventError) {
      return { reason: current.reason, message: current.message, eventType };
    }
    if (current instanceof DynamoDBServiceException && current.name === 'ValidationException') {
      return { reason: REJECTED_BY_DYNAMODB, message: current.message, eventType };
    }
    current = current.cause;
  }
  return undefined;
}
