/**
 * The verifier's configuration, read once from the environment at start-up.
 */
import { ConfigurationError, intEnv, optionalEnv, requireEnv } from '../shared/config.ts';
import { VERIFIER_ENVIRONMENT as V } from '../shared/deployment-names.ts';
import { METRICS_NAMESPACE, SERVICE_NAMES } from '../shared/metrics.ts';
import { EVENT_QUEUE, LEDGER_TABLE } from '../shared/resource-definitions.ts';
import { DEFAULT_SECRETS_TTL_SECONDS } from './secrets.ts';
import { DEFAULT_TOLERANCE_SECONDS } from './signature.ts';

/**
 * The default body limit (MAX_BODY_BYTES): the queue's maximum message size minus the attributes.
 * Also the highest accepted: SQS takes no larger message (1 MiB), so a larger body would pass the
 * check only to fail SendMessage.
 */
export const DEFAULT_MAX_BODY_BYTES =
  EVENT_QUEUE.defaultMaxMessageSizeBytes - EVENT_QUEUE.messageAttributeAllowanceBytes;

/** MAX_BODY_BYTES, at most {@link DEFAULT_MAX_BODY_BYTES}. */
function maxBodyBytes(env: Readonly<Record<string, string | undefined>>): number {
  const value = intEnv(V.maxBodyBytes, DEFAULT_MAX_BODY_BYTES, env);
  if (value > DEFAULT_MAX_BODY_BYTES) {
    throw new ConfigurationError(
      `environment variable ${V.maxBodyBytes} must be at most ${DEFAULT_MAX_BODY_BYTES} (a 1 MiB queue message less 8 KiB for its attributes), got "${value}"`,
    );
  }
  return value;
}

/** Everything the verifier reads from its environment. */
export interface VerifierConfig {
  /** SIGNING_SECRET_ID: ARN or name of the secret holding the signing secrets. */
  readonly signingSecretId: string;
  /** PROCESSED_EVENTS_TABLE_NAME: the event record's table (the processor's too). */
  readonly recordTableName: string;
  /** QUEUE_URL */
  readonly queueUrl: string;
  /** DEAD_LETTER_QUEUE_URL */
  readonly deadLetterQueueUrl: string;
  /** SIGNATURE_TOLERANCE_SECONDS @default 300 */
  readonly toleranceSeconds: number;
  /** PROCESSED_EVENT_TTL_SECONDS: how long a record is kept (the processor's too). @default 259200 (72 h) */
  readonly recordTtlSeconds: number;
  /** MAX_BODY_BYTES, at most its default @default {@link DEFAULT_MAX_BODY_BYTES} */
  readonly maxBodyBytes: number;
  /** SECRETS_CACHE_TTL_SECONDS @default 300 */
  readonly secretsCacheTtlSeconds: number;
  /** POWERTOOLS_SERVICE_NAME @default 'ofauth-verifier' */
  readonly serviceName: string;
  /** POWERTOOLS_METRICS_NAMESPACE @default 'OFAuthWebhooks' */
  readonly metricsNamespace: string;
}

/**
 * Reads the verifier's configuration.
 *
 * @throws {ConfigurationError} when a required variable is missing, a number is malformed, or
 *   MAX_BODY_BYTES is above {@link DEFAULT_MAX_BODY_BYTES}
 * @example
 * const config = loadVerifierConfig(); // at module scope, once per cold start
 */
export function loadVerifierConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): VerifierConfig {
  return {
    signingSecretId: requireEnv(V.signingSecretId, env),
    recordTableName: requireEnv(V.processedEventsTableName, env),
    queueUrl: requireEnv(V.queueUrl, env),
    deadLetterQueueUrl: requireEnv(V.deadLetterQueueUrl, env),
    toleranceSeconds: intEnv(V.signatureToleranceSeconds, DEFAULT_TOLERANCE_SECONDS, env),
    recordTtlSeconds: intEnv(V.processedEventTtlSeconds, LEDGER_TABLE.defaultRecordTtlSeconds, env),
    maxBodyBytes: maxBodyBytes(env),
    secretsCacheTtlSeconds: intEnv(V.secretsCacheTtlSeconds, DEFAULT_SECRETS_TTL_SECONDS, env),
    serviceName: optionalEnv(V.serviceName, SERVICE_NAMES.verifier, env),
    metricsNamespace: optionalEnv(V.metricsNamespace, METRICS_NAMESPACE, env),
  };
}
