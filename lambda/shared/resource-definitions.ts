/**
 * Names and settings of the stateful resources, as plain data. The CDK construct (`lib/`), the
 * local pipeline (`local/`) and the functions all read them from here, so the emulators get the
 * same tables and queues the stack deploys. Nothing here imports the CDK or the AWS SDK.
 */

/**
 * The idempotency ledger. Its attribute names are Powertools Idempotency's defaults
 * (`DynamoDBPersistenceLayer`): `id` is the partition key, `expiration` the TTL attribute.
 */
export const LEDGER_TABLE = {
  partitionKey: 'id',
  ttlAttribute: 'expiration',
  /** How long a done record is kept: longer than the sender's whole retry schedule (Svix: ~28 h). */
  defaultRecordTtlSeconds: 72 * 60 * 60,
} as const;

/**
 * The connections table: one item per connection (`pk` = `connection#<id>`), plus the latest
 * Dynamic Rules revision (`pk` = `rules#latest`). The GSI finds a user's connections by the
 * `clientReferenceId` the integrator passed to OFAuth Link; items without one are not indexed.
 */
export const CONNECTIONS_TABLE = {
  partitionKey: 'pk',
  byClientReferenceIdIndex: {
    name: 'byClientReferenceId',
    partitionKey: 'clientReferenceId',
    sortKey: 'pk',
  },
} as const;

/** The SQS FIFO queue between the verifier and the processor, and its dead-letter queue. */
export const EVENT_QUEUE = {
  /** SQS's maximum message size (1 MiB) is the default message size. */
  defaultMaxMessageSizeBytes: 1024 * 1024,
  /**
   * Room kept free in a message for the attributes the verifier sets beside the body (four names,
   * types and values of at most 256 characters each, plus the dead-letter ones), so that a body
   * at the verifier's limit (`MAX_BODY_BYTES` = message size − this) always fits.
   */
  messageAttributeAllowanceBytes: 8 * 1024,
  /** 14 days, SQS's maximum retention, on both queues. */
  retentionSeconds: 14 * 24 * 60 * 60,
  /** Receives before a message moves to the dead-letter queue. */
  defaultMaxReceiveCount: 5,
  /** The visibility timeout is this many times the processor's timeout (AWS's guidance for event sources). */
  visibilityTimeoutFactor: 6,
  /** The processor's default timeout. */
  defaultProcessorTimeoutSeconds: 30,
  /** Messages per processor invocation (FIFO event sources allow at most 10). */
  defaultBatchSize: 10,
} as const;

/** Queue attributes for `CreateQueue` that mirror the deployed FIFO queue (high-throughput mode). */
export function fifoQueueAttributes(options: {
  readonly visibilityTimeoutSeconds: number;
  readonly maxMessageSizeBytes?: number;
}): Record<string, string> {
  return {
    FifoQueue: 'true',
    ContentBasedDeduplication: 'false',
    DeduplicationScope: 'messageGroup',
    FifoThroughputLimit: 'perMessageGroupId',
    MessageRetentionPeriod: String(EVENT_QUEUE.retentionSeconds),
    MaximumMessageSize: String(options.maxMessageSizeBytes ?? EVENT_QUEUE.defaultMaxMessageSizeBytes),
    VisibilityTimeout: String(options.visibilityTimeoutSeconds),
  };
}

/**
 * The two functions' default memory and timeout. The construct's defaults (`lib/`) and the local
 * pipeline's Lambda context (`local/`) both read them, so a local invocation reports what a
 * deployed one would.
 */
export const FUNCTION_DEFAULTS = {
  verifier: { memorySizeMb: 512, timeoutSeconds: 6 },
  processor: { memorySizeMb: 256, timeoutSeconds: EVENT_QUEUE.defaultProcessorTimeoutSeconds },
} as const;
