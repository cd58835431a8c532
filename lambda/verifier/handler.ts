/**
 * The verifier's Lambda entry point: configuration read once from the environment, SDK clients
 * created once per cold start, and the handler built by {@link createVerifierHandler}.
 *
 * Locally, the SDK's own endpoint variables (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SQS,
 * AWS_ENDPOINT_URL_SECRETS_MANAGER) point this unchanged code at the emulators.
 */

import { Metrics } from '@aws-lambda-powertools/metrics';
import { createLogger } from '../shared/logger.ts';
import { createVerifierClients } from './aws-clients.ts';
import { loadVerifierConfig } from './config.ts';
import { createVerifierHandler } from './create-handler.ts';
import { DynamoDbEventRecords } from './event-records.ts';
import { HandOff, SqsEventQueue } from './hand-off.ts';
import { CachedSigningSecrets, secretsManagerFetcher } from './secrets.ts';

const config = loadVerifierConfig();
const clients = createVerifierClients();
const logger = createLogger({ serviceName: config.serviceName });
const metrics = new Metrics({ namespace: config.metricsNamespace, serviceName: config.serviceName });

/**
 * The verifier: API Gateway HTTP API (payload 2.0) event in, structured result out.
 *
 * @example
 * // lib/: new NodejsFunction(this, 'Verifier', { entry: 'lambda/verifier/handler.ts', handler: 'handler' })
 */
export const handler = createVerifierHandler({
  secrets: new CachedSigningSecrets({
    fetch: secretsManagerFetcher(clients.secretsManager, config.signingSecretId),
    ttlMs: config.secretsCacheTtlSeconds * 1000,
    onStaleValueKept: (error) =>
      logger.warn('refreshing the signing secrets failed; the cached secrets stay in use', {
        error: error as Error,
      }),
  }),
  handOff: new HandOff({
    records: new DynamoDbEventRecords({
      tableName: config.recordTableName,
      client: clients.dynamodb,
      ttlSeconds: config.recordTtlSeconds,
    }),
    queue: new SqsEventQueue({
      client: clients.sqs,
      queueUrl: config.queueUrl,
      deadLetterQueueUrl: config.deadLetterQueueUrl,
    }),
  }),
  logger,
  metrics,
  toleranceSeconds: config.toleranceSeconds,
  maxBodyBytes: config.maxBodyBytes,
});
