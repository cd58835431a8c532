/**
 * Builds the verifier's Lambda handler from its dependencies, so that the entry point
 * (`handler.ts`), the tests and fault injection all run the same middleware stack.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createLogger } from '../shared/logger.ts';
import { SERVICE_NAMES } from '../shared/metrics.ts';
import { DEFAULT_MAX_BODY_BYTES } from './config.ts';
import { VerifierTimeoutError } from './errors.ts';
import type { HandOff } from './hand-off.ts';
import { answerOutcome, deliveryAnswers, rawDelivery, type VerifierContext } from './middleware.ts';
import type { SigningSecretSource } from './secrets.ts';
import { VerifyDelivery } from './verify-delivery.ts';

/** Everything the verifier depends on. */
export interface VerifierDependencies {
  /** The signing secrets. */
  readonly secrets: SigningSecretSource;
  /** The hand-off (event record and queues). */
  readonly handOff: HandOff;
  /** @default a Logger for the `ofauth-verifier` service */
  readonly logger?: Logger;
  /** @default a Metrics instance for the `ofauth-verifier` service */
  readonly metrics?: Metrics;
  /** Milliseconds since the epoch. @default Date.now */
  readonly clock?: () => number;
  /** @default 300 */
  readonly toleranceSeconds?: number;
  /** @default {@link DEFAULT_MAX_BODY_BYTES} */
  readonly maxBodyBytes?: number;
}

/** The verifier's Lambda handler: an API Gateway HTTP API (payload 2.0) event in, an answer out. */
export type VerifierHandler = (
  event: APIGatewayProxyEventV2,
  context: VerifierContext,
) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * Creates a verifier handler.
 *
 * @example
 * const handler = createVerifierHandler({
 *   secrets: new StaticSigningSecrets(['whsec_…']),
 *   handOff: new HandOff({ records, queue }),
 * });
 */
export function createVerifierHandler(deps: VerifierDependencies): VerifierHandler {
  const logger = deps.logger ?? createLogger({ serviceName: SERVICE_NAMES.verifier });
  const metrics = deps.metrics ?? new Metrics({ serviceName: SERVICE_NAMES.verifier });
  const useCase = new VerifyDelivery({
    secrets: deps.secrets,
    handOff: deps.handOff,
    ...(deps.clock && { clock: deps.clock }),
    ...(deps.toleranceSeconds !== undefined && { toleranceSeconds: deps.toleranceSeconds }),
    annotate: (keys) => logger.appendKeys({ ...keys }),
    onRefreshFailed: (error) =>
      logger.warn('refreshing the signing secrets after a signature miss failed; answering 401', {
        error: error as Error,
      }),
  });

  const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, VerifierContext>({
    // middy's own early timeout (5 ms before Lambda's), with an error of ours, so that the answer
    // can tell an invocation that ran out of time from an SDK call that timed out.
    timeoutEarlyResponse: () => {
      throw new VerifierTimeoutError();
    },
  })
    // logEvent stays off whatever POWERTOOLS_LOGGER_LOG_EVENT says: the event carries signatures.
    .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
    .use(logMetrics(metrics))
    .use(deliveryAnswers({ logger, metrics }))
    .use(
      rawDelivery({
        maxBodyBytes: deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
        ...(deps.clock && { clock: deps.clock }),
      }),
    )
    .handler(async (_event, context) => {
      // rawDelivery always sets it before the handler runs.
      const delivery = context.rawDelivery!;
      return answerOutcome(await useCase.handle(delivery, context), { logger, metrics });
    });
  return handler;
}
