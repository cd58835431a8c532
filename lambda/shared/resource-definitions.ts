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
 * The event archive: JSON lines of `ArchivedEvent` in an S3 bucket (layout in `archive-layout.ts`),
 * written through Kinesis Data Firehose, or straight to S3 for lines Firehose cannot carry.
 */
export const ARCHIVE = {
  /** How long archived events are kept (the bucket's lifecycle expiration). */
  defaultRetentionDays: 30,
  /**
   * Firehose's buffer interval: the longest an archived event waits before it is in S3 and can be
   * replayed. Shorter means more, smaller objects (one PUT each).
   */
  bufferIntervalSeconds: 60,
  /** Firehose's buffer size: it writes an object earlier when this much has arrived. */
  bufferSizeMiB: 5,
  /** Firehose's largest record (1,000 KiB); a longer line goes to S3 directly. */
  maxFirehoseRecordBytes: 1000 * 1024,
  /** `PutRecordBatch` takes at most 500 records and 4 MiB in one request. */
  maxBatchRecords: 500,
  maxBatchBytes: 4 * 1024 * 1024,
} as const;

/**
 * The processed-events record: one item per event key whose handler succeeded, so that a later
 * delivery of the same event (a sender retry after SQS's 5-minute deduplication window) is skipped.
 * Items expire by TTL after the ledger's record TTL.
 */
export const PROCESSED_EVENTS_TABLE = {
  partitionKey: 'eventKey',
  ttlAttribute: 'expiresAt',
} as const;

/**
 * The two functions' default memory and timeout. The construct's defaults (`lib/`) and the local
 * pipeline's Lambda context (`local/`) both read them, so a local invocation reports what a
 * deployed one would.
 */
export const FUNCTION_DEFAULTS = {
  verifier: { memorySizeMb: 512, timeoutSeconds: 6 },
  processor: { memorySizeMb: 256, timeoutSeconds: EVENT_QUEUE.defaultProcessorTimeoutSeconds },
} as const;
