/**
 * The verifier's middy middleware: the HTTP edge (method, size limit, base64 decoding) and the
 * mapping of outcomes and errors to answers, log lines and metrics. The base handler holds only
 * the use case.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { REASON_DIMENSION, VERIFIER_METRICS } from '../shared/metrics.ts';
import { DeliveryRejectedError, DependencyError, VerifierTimeoutError } from './errors.ts';
import type { DeliveryOutcome } from './hand-off.ts';
import { BodyRejectedError, type DeliveryKeys, type RawDelivery } from './verify-delivery.ts';

/** The Lambda context, extended with the decoded request by {@link rawDelivery}. */
export interface VerifierContext extends Context {
  rawDelivery?: RawDelivery;
}

type Request = Parameters<
  NonNullable<MiddlewareObj<APIGatewayProxyEventV2, unknown, Error, VerifierContext>['before']>
>[0];

/** The signature codes answered 401; every one counts as a signature rejection. */
const UNAUTHORIZED = 401;
/** Seconds a sender is asked to wait after a 503. */
const DEPENDENCY_RETRY_AFTER_SECONDS = 5;

/** A JSON answer. */
export function jsonResponse(
  statusCode: number,
  body: Record<string, unknown>,
  headers: Readonly<Record<string, string>> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/** The largest base64 text that can decode to `maxBytes` bytes. */
function maxBase64Length(maxBytes: number): number {
  return Math.ceil(maxBytes / 3) * 4;
}

/**
 * Reads the request: answers 405 to anything but POST and 413 to a body over `maxBodyBytes`
 * (checked on the raw text before decoding, and again on the decoded bytes), and puts the exact
 * body bytes on `context.rawDelivery`.
 */
export function rawDelivery(options: {
  readonly maxBodyBytes: number;
  readonly clock?: () => number;
}): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, VerifierContext> {
  const clock = options.clock ?? Date.now;
  const tooLarge = () =>
    new DeliveryRejectedError(
      413,
      'payload_too_large',
      `the body is larger than ${options.maxBodyBytes} bytes`,
    );
  return {
    before: (request) => {
      const receivedAt = clock();
      const event = request.event;
      const method = event.requestContext?.http?.method?.toUpperCase() ?? 'POST';
      if (method !== 'POST') {
        throw new DeliveryRejectedError(405, 'method_not_allowed', `${method} is not supported; use POST`, {
          allow: 'POST',
        });
      }
      const raw = typeof event.body === 'string' ? event.body : '';
      let body: Buffer;
      if (event.isBase64Encoded) {
        if (raw.length > maxBase64Length(options.maxBodyBytes)) throw tooLarge();
        body = Buffer.from(raw, 'base64');
      } else {
        // A UTF-16 length over the limit is already over it in UTF-8; only count bytes otherwise.
        if (raw.length > options.maxBodyBytes) throw tooLarge();
        body = Buffer.from(raw, 'utf8');
      }
      if (body.length > options.maxBodyBytes) throw tooLarge();
      request.context.rawDelivery = { body, headers: event.headers ?? {}, receivedAt };
    },
  };
}

/** What an invocation ended with, as the `outcome` log key. */
export type Outcome =
  | 'pending'
  | 'enqueued'
  | 'duplicate'
  | 'rejected'
  | 'in_progress'
  | 'dependency_failure'
  | 'error';

function addMetric(metrics: Metrics, name: string): void {
  metrics.addMetric(name, MetricUnit.Count, 1);
}

function addRejection(metrics: Metrics, reason: string): void {
  // Emitted on its own so that the reason dimension stays off every other metric.
  const single = metrics.singleMetric();
  single.addDimension(REASON_DIMENSION, reason);
  single.addMetric(VERIFIER_METRICS.rejected, MetricUnit.Count, 1);
}

/**
 * Turns the use case's outcome into the answer, its log line and its metrics: the handler returns
 * it, so the answer never travels through middy's response slot as something else. A first
 * hand-on logs at `DEBUG` only (log bytes are billed per event); a re-send and a duplicate at `INFO`.
 */
export function answerOutcome(
  outcome: DeliveryOutcome,
  options: { readonly logger: Logger; readonly metrics: Metrics },
): APIGatewayProxyStructuredResultV2 {
  const { logger, metrics } = options;
  if (outcome.status === 'duplicate') {
    logger.appendKeys({ outcome: 'duplicate' satisfies Outcome });
    addMetric(metrics, VERIFIER_METRICS.duplicates);
    logger.info('duplicate delivery: already processed or dead-lettered', { statusCode: 200 });
    return jsonResponse(200, { received: true, duplicate: true });
  }
  logger.appendKeys({ outcome: 'enqueued' satisfies Outcome });
  addMetric(metrics, VERIFIER_METRICS.enqueued);
  if (outcome.deliveries > 1) {
    logger.info('delivery handed on again', { statusCode: 202, deliveries: outcome.deliveries });
  } else {
    // DEBUG: at INFO a first hand-on writes no line; the event record is its trail (`trace`).
    logger.debug('delivery handed on', { statusCode: 202 });
  }
  return jsonResponse(202, { received: true, eventId: outcome.eventKey });
}

/**
 * Sets the invocation's log keys, counts every request, and turns an error into its answer, log
 * line and metrics. Never puts a secret, a signature or an expected signature into a response
 * or a log line: none of them reaches this code.
 */
export function deliveryAnswers(options: {
  readonly logger: Logger;
  readonly metrics: Metrics;
}): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, VerifierContext> {
  const { logger, metrics } = options;
  const setOutcome = (outcome: Outcome) => logger.appendKeys({ outcome });
  return {
    before: () => {
      // The other keys join as soon as the use case knows them (Powertools drops empty ones).
      logger.appendKeys({ outcome: 'pending' });
      addMetric(metrics, VERIFIER_METRICS.received);
    },
    onError: (request: Request) => {
      request.response = answerError(request.error, logger, metrics, setOutcome);
    },
  };
}

function answerError(
  error: unknown,
  logger: Logger,
  metrics: Metrics,
  setOutcome: (outcome: Outcome) => void,
): APIGatewayProxyStructuredResultV2 {
  if (error instanceof DeliveryRejectedError) {
    const { statusCode, code } = error;
    setOutcome(statusCode === 409 ? 'in_progress' : 'rejected');
    addRejection(metrics, code);
    if (statusCode === UNAUTHORIZED) addMetric(metrics, VERIFIER_METRICS.signatureRejected);
    if (statusCode === 413) addMetric(metrics, VERIFIER_METRICS.tooLarge);
    if (error instanceof BodyRejectedError && error.keepFailure) {
      // Answered 4xx, so no dependency failure answered 503: the sender will not retry, and the
      // body is lost but for this line.
      addMetric(metrics, VERIFIER_METRICS.rejectedNotKept);
      logger.error('signed body rejected, and keeping it on the dead-letter queue failed', {
        statusCode,
        code,
        dependency: error.keepFailure.dependency,
        error: error.keepFailure.cause as Error,
      });
    } else {
      logger.warn('delivery rejected', {
        statusCode,
        code,
        ...(error instanceof BodyRejectedError && { keptOnDeadLetterQueue: true }),
      });
    }
    return jsonResponse(statusCode, { error: code, message: error.message }, error.headers);
  }
  const dependencyFailure =
    error instanceof DependencyError || (error instanceof Error && error.name === 'TimeoutError');
  if (dependencyFailure) {
    setOutcome('dependency_failure');
    addMetric(metrics, VERIFIER_METRICS.dependencyFailures);
    if (error instanceof VerifierTimeoutError) addMetric(metrics, VERIFIER_METRICS.timeouts);
    const dependency = error instanceof DependencyError ? error.dependency : 'timeout';
    logger.error('a dependency failed; the sender will retry', {
      statusCode: 503,
      dependency,
      error: error as Error,
    });
    return jsonResponse(
      503,
      { error: 'dependency_unavailable', message: `${dependency} is unavailable; retry later` },
      { 'retry-after': String(DEPENDENCY_RETRY_AFTER_SECONDS) },
    );
  }
  setOutcome('error');
  logger.error('unexpected error', { statusCode: 500, error: error as Error });
  return jsonResponse(500, { error: 'internal_error', message: 'unexpected error; retry later' });
}

/** Re-exported for the handler's type parameters. */
export type { DeliveryKeys };
