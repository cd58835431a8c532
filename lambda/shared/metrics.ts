/**
 * Metric names, shared by the functions that emit them (Powertools Metrics, EMF) and the alarms
 * and dashboard that read them (`lib/`). Every metric carries Powertools' `service` dimension.
 */

/** The CloudWatch namespace of every metric. */
export const METRICS_NAMESPACE = 'OFAuthWebhooks';

/** `service` dimension values (POWERTOOLS_SERVICE_NAME) of the two functions. */
export const SERVICE_NAMES = {
  verifier: 'ofauth-verifier',
  processor: 'ofauth-processor',
} as const;

/** Metrics emitted by the verifier. */
export const VERIFIER_METRICS = {
  /** Every request that reached the verifier. */
  received: 'DeliveriesReceived',
  /** Rejected requests, with a `reason` dimension (the error code answered). */
  rejected: 'DeliveriesRejected',
  /** Signature failures (missing, invalid, out of tolerance) without a reason dimension: the alarm's input. */
  signatureRejected: 'SignatureRejections',
  /** Deliveries of an event that was already handed on. */
  duplicates: 'DuplicateDeliveries',
  /** Events put on the queue. */
  enqueued: 'EventsEnqueued',
  /** Bodies above the queue's message size (answered 413). */
  tooLarge: 'PayloadsTooLarge',
  /**
   * A dependency (Secrets Manager, DynamoDB, SQS) failed, or the invocation ran out of time waiting
   * for one, and the request was answered 503 (the sender retries).
   */
  dependencyFailures: 'DependencyFailures',
  /**
   * A genuinely signed body that is not an event was answered 4xx, and keeping it on the
   * dead-letter queue failed: the sender does not retry a 4xx, so the body is lost but for its log
   * line. The alarm's input.
   */
  rejectedNotKept: 'RejectedBodiesNotKept',
  /**
   * Invocations that ran out of time and were answered 503 by the early timeout (middy's
   * `timeoutEarlyResponse`): Lambda's own `Errors` metric never counts them, because the function
   * returned an answer. Each also counts as a `DependencyFailures`. The alarm's input.
   */
  timeouts: 'VerifierTimeouts',
} as const;

/** Metrics emitted by the processor. */
export const PROCESSOR_METRICS = {
  /** Events handled, with an `eventType` dimension. */
  processed: 'EventsProcessed',
  /** Events whose parsing or handler failed (and will be retried), with an `eventType` dimension. */
  failed: 'EventsFailed',
  /**
   * Messages whose body can never become a valid event, put on the dead-letter queue at once (the
   * dead-letter queue's alarm fires for them), with an `eventType` dimension.
   */
  rejected: 'EventsRejected',
  /** Milliseconds from the event's time (or its receipt) to the end of its processing, by `eventType`. */
  lag: 'ProcessingLag',
  /**
   * Failed events of a batch, without an `eventType` dimension: the alarm's input. A handler that
   * throws fails its message, not the invocation, so Lambda's own `Errors` metric never sees it.
   */
  failures: 'ProcessingFailures',
  /**
   * Events the processor could not archive (Firehose or S3 failed or throttled after retries): they
   * are reported as batch item failures, their handlers do not run, and they come back later.
   */
  archiveFailures: 'ArchiveFailures',
  /** Deliveries of an event key whose handler already succeeded, skipped without running it. */
  duplicatesSkipped: 'DuplicateEventsSkipped',
  /**
   * Handled events whose key could not be written to the processed-events record: the event is
   * acknowledged, but a late duplicate of it would run its handler again.
   */
  processedRecordWriteFailures: 'ProcessedRecordWriteFailures',
  /**
   * Messages handed back unstarted because the invocation was near its deadline (the first such
   * message of a connection and the rest of its connection's batch): a batch that often meets its
   * deadline needs a longer processor timeout or smaller batches.
   */
  deferredByDeadline: 'EventsDeferredByDeadline',
  /**
   * Handled events that could not be published to the event bus after the publisher's retries:
   * each fails its message (retried, then the dead-letter queue). The alarm's input.
   */
  notPublished: 'EventsNotPublished',
} as const;

/** The dimension that carries the rejection reason on `DeliveriesRejected`. */
export const REASON_DIMENSION = 'reason';
/** The dimension that carries the event type on processor metrics. */
export const EVENT_TYPE_DIMENSION = 'eventType';
