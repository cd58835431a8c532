/**
 * The names that tie the deployed parts together, defined once: the environment variables each
 * function reads, the webhook path, the published events' source, the stack's name and outputs.
 * The construct (`lib/`) writes them, the functions read them, and the local pipeline (`local/`),
 * the CLI (`cli/`) and the benchmarks (`bench/`) use them. Nothing here imports the CDK or the
 * AWS SDK, so the CLI starts without loading either.
 */

/** The path the HTTP API routes to the verifier (`POST` only). */
export const WEBHOOK_PATH = '/webhooks/ofauth';

/**
 * The `Source` of every event the processor publishes to an event bus (`eventBus` prop): rules
 * match on it, and the construct's schema registry names its schemas after it.
 */
export const PUBLISHED_EVENT_SOURCE = 'ofauth.realtime';

/** The stack's default name (`npx cdk deploy` creates a CloudFormation stack of this name). */
export const DEFAULT_STACK_NAME = 'OFAuthWebhookReceiver';

/** Names of the stack outputs; the CLI finds the deployed resources by these. */
export const STACK_OUTPUTS = {
  webhookUrl: 'WebhookUrl',
  signingSecretArn: 'SigningSecretArn',
  queueUrl: 'QueueUrl',
  queueArn: 'QueueArn',
  deadLetterQueueUrl: 'DeadLetterQueueUrl',
  deadLetterQueueArn: 'DeadLetterQueueArn',
  ledgerTableName: 'LedgerTableName',
  connectionsTableName: 'ConnectionsTableName',
  dashboardName: 'DashboardName',
  archiveBucketName: 'ArchiveBucketName',
  processedEventsTableName: 'ProcessedEventsTableName',
} as const;

/** The Powertools variables both functions get (Powertools reads them itself). */
export const POWERTOOLS_ENVIRONMENT = {
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
} as const;

/** The environment variables the verifier reads (`lambda/verifier/config.ts`). */
export const VERIFIER_ENVIRONMENT = {
  ...POWERTOOLS_ENVIRONMENT,
  /** ARN or name of the secret holding the signing secrets. */
  signingSecretId: 'SIGNING_SECRET_ID',
  /** The event record's table, where the verifier claims each event. */
  processedEventsTableName: 'PROCESSED_EVENTS_TABLE_NAME',
  /** How long an event's record is kept. */
  processedEventTtlSeconds: 'PROCESSED_EVENT_TTL_SECONDS',
  queueUrl: 'QUEUE_URL',
  deadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  signatureToleranceSeconds: 'SIGNATURE_TOLERANCE_SECONDS',
  maxBodyBytes: 'MAX_BODY_BYTES',
  secretsCacheTtlSeconds: 'SECRETS_CACHE_TTL_SECONDS',
} as const;

/** The environment variables the processor reads (`lambda/processor/config.ts`). */
export const PROCESSOR_ENVIRONMENT = {
  ...POWERTOOLS_ENVIRONMENT,
  connectionsTableName: 'CONNECTIONS_TABLE_NAME',
  deadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  /** The event queue's `maxReceiveCount`, so the record can say when an attempt was the last. */
  maxReceiveCount: 'MAX_RECEIVE_COUNT',
  archiveBucketName: 'ARCHIVE_BUCKET_NAME',
  archiveStreamName: 'ARCHIVE_STREAM_NAME',
  /** `true` for path-style S3 URLs, as the local S3 emulator needs. */
  archiveS3ForcePathStyle: 'ARCHIVE_S3_FORCE_PATH_STYLE',
  processedEventsTableName: 'PROCESSED_EVENTS_TABLE_NAME',
  processedEventTtlSeconds: 'PROCESSED_EVENT_TTL_SECONDS',
  /** The event bus (name or ARN) each handled event is published to; no publishing when unset. */
  eventBusName: 'EVENT_BUS_NAME',
} as const;

/** The variables of one function, each one optional, keyed by name. */
export type EnvironmentOf<Names extends Readonly<Record<string, string>>> = {
  [Name in Names[keyof Names]]?: string;
};
