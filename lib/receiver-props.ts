/**
 * The receiver's props: what a CDK engineer can set on {@link OFAuthWebhookReceiver}, each with
 * its `@default`. The values behind those defaults are in `lib/receiver/defaults.ts`, the checks
 * that reject a value the receiver cannot deploy in `lib/receiver/validate-props.ts`.
 */
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { TableProps } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { QueueProps } from 'aws-cdk-lib/aws-sqs';

/** Log levels the functions accept. */
export const RECEIVER_LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
/** A log level of the functions' application logs. */
export type ReceiverLogLevel = (typeof RECEIVER_LOG_LEVELS)[number];

/**
 * Settings of one of the receiver's functions, merged over the receiver's own (user over
 * default; `environment` and `bundling` key by key). The receiver keeps the role (scoped to
 * exactly its resources: add yours with `receiver.verifier.addToRolePolicy(…)`), the log group
 * (retention from `logRetention`), and the settings it computes others from, which are receiver
 * props of their own: `timeout` and `memorySize` (`verifierTimeout`, `processorMemorySize`, …)
 * and `tracing`.
 */
export type ReceiverFunctionProps = Omit<
  NodejsFunctionProps,
  | 'entry'
  | 'handler'
  | 'role'
  | 'logGroup'
  | 'logRetention'
  | 'logRetentionRole'
  | 'logRetentionRetryOptions'
  | 'timeout'
  | 'memorySize'
  | 'tracing'
>;

/** The processor: your own handler file, and settings of its function. */
export interface ProcessorFunctionProps extends ReceiverFunctionProps {
  /**
   * Your handler file (TypeScript or JavaScript, absolute or relative to where `cdk` runs). It
   * builds the handler with `createProcessorHandler` from `ofauth-webhook-receiver/processor`:
   * `export const handler = createProcessorHandler({ handlers: { … } })`.
   *
   * @default - the default processor: the default handlers, nothing of your own
   */
  readonly entry?: string;
  /**
   * The name of the handler your file exports.
   *
   * @default 'handler'
   */
  readonly handler?: string;
}

/** Settings of a queue, merged over the receiver's. FIFO, the dead-letter queue and the message size are the receiver's own props. */
export type ReceiverQueueProps = Omit<QueueProps, 'fifo' | 'deadLetterQueue' | 'maxMessageSizeBytes'>;

/** Settings of a table, merged over the receiver's. The key schema is the code's contract and stays. */
export type ReceiverTableProps = Omit<TableProps, 'partitionKey' | 'sortKey' | 'timeToLiveAttribute'>;

/** Properties of {@link OFAuthWebhookReceiver}. Every field is optional. */
export interface OFAuthWebhookReceiverProps {
  /**
   * The Secrets Manager secret holding the OFAuth signing secret(s): one or more values separated
   * by commas or whitespace, so that a new secret can be added beside the old one during rotation.
   *
   * @default - a new secret with a random placeholder value, to be replaced with
   *   `aws secretsmanager put-secret-value` after the first deploy
   */
  readonly signingSecret?: ISecret;

  /**
   * A name that sets this receiver's metrics, logs and dashboard apart from every other receiver
   * in the same account and region: the functions' `service` (metric dimension and log field) is
   * `<receiverName>-verifier` and `<receiverName>-processor`, and its alarms read only those.
   * Letters, digits, `.`, `_` and `-`, at most 64 characters.
   *
   * @default - the stack name and the construct's path in the stack, e.g. `OFAuthWebhookReceiver-Receiver`
   */
  readonly receiverName?: string;

  /**
   * The CloudWatch namespace of the functions' own metrics.
   *
   * @default 'OFAuthWebhooks'
   */
  readonly metricsNamespace?: string;

  /**
   * A customer-managed KMS key for the queues, the tables, the signing secret the receiver
   * creates and the archive bucket's objects; the functions (and the archive's delivery stream) get
   * exactly the key permissions they need. Log groups keep CloudWatch Logs' own encryption; whoever
   * runs `replay` needs `kms:Decrypt` on the key.
   *
   * @default - SQS-managed encryption for the queues, AWS-managed keys for the tables and the
   *   secret, S3-managed keys for the archive
   */
  readonly encryptionKey?: IKey;

  /**
   * The processor: your own handler file (`entry`) and settings of its function, merged over the
   * receiver's.
   *
   * @default - the default processor with the receiver's settings
   */
  readonly processorProps?: ProcessorFunctionProps;

  /**
   * Settings of the verifier function, merged over the receiver's.
   *
   * @default - the receiver's settings
   */
  readonly verifierProps?: ReceiverFunctionProps;

  /**
   * Settings of the event queue, merged over the receiver's (a `visibilityTimeout` must be at
   * least the processor's timeout).
   *
   * @default - FIFO, high throughput, SQS-managed encryption, TLS only, 14 days, visibility 6× the processor timeout
   */
  readonly queueProps?: ReceiverQueueProps;

  /**
   * Settings of the dead-letter queue, merged over the receiver's.
   *
   * @default - FIFO, SQS-managed encryption, TLS only, 14 days
   */
  readonly deadLetterQueueProps?: ReceiverQueueProps;

  /**
   * Settings of the idempotency ledger table, merged over the receiver's.
   *
   * @default - on demand, AWS-managed encryption, point-in-time recovery
   */
  readonly ledgerTableProps?: ReceiverTableProps;

  /**
   * Settings of the connections table, merged over the receiver's.
   *
   * @default - on demand, AWS-managed encryption, point-in-time recovery
   */
  readonly connectionsTableProps?: ReceiverTableProps;

  /**
   * Settings of the processed-events record's table, merged over the receiver's (when
   * `processedEventRecord` is on).
   *
   * @default - on demand, AWS-managed encryption, point-in-time recovery
   */
  readonly processedEventsTableProps?: ReceiverTableProps;

  /**
   * Steady-state request rate (requests per second) allowed by the API stage; above it callers get 429
   * and OFAuth retries.
   *
   * @default 1000
   */
  readonly throttleRateLimit?: number;

  /**
   * Burst of requests allowed by the API stage above the steady rate.
   *
   * @default 2000
   */
  readonly throttleBurstLimit?: number;

  /**
   * Receives of one message before SQS moves it to the dead-letter queue.
   *
   * @default 5
   */
  readonly maxReceiveCount?: number;

  /**
   * What happens to the stateful resources (secret, tables, queues, log groups) when the stack
   * is deleted or they are replaced.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * An SNS topic that every alarm notifies, on alarm and on recovery. CloudWatch must be able to
   * publish to it: a topic encrypted with a customer-managed key needs a key policy that lets
   * `cloudwatch.amazonaws.com` use the key.
   *
   * @default - a topic of the receiver's own when `alarmEmail` is given, else none
   */
  readonly alarmTopic?: ITopic;

  /**
   * An e-mail address subscribed to the alarm topic: to `alarmTopic` when given, else to a topic
   * the receiver creates (encrypted with a key of its own, TLS only).
   *
   * @default - no e-mail subscription; without `alarmTopic` the alarms are visible in the
   *   CloudWatch console and dashboard only
   */
  readonly alarmEmail?: string;

  /**
   * Whether both functions send traces to AWS X-Ray (active tracing).
   *
   * @default false
   */
  readonly tracing?: boolean;

  /**
   * Level of the functions' application logs (Powertools `POWERTOOLS_LOG_LEVEL`). At `INFO` the
   * verifier writes one line per delivery and the processor one per event (about $0.30 per
   * million events each in CloudWatch Logs); `WARN` keeps only rejections, failures and retries.
   *
   * @default 'INFO'
   */
  readonly logLevel?: ReceiverLogLevel;

  /**
   * Retention of every log group the receiver creates (functions and API access logs).
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;

  /**
   * How far a signature timestamp may be from the verifier's clock.
   *
   * @default Duration.minutes(5)
   */
  readonly signatureTolerance?: Duration;

  /**
   * How long a handed-on event stays in the idempotency ledger; longer than the sender's whole
   * retry schedule.
   *
   * @default Duration.hours(72)
   */
  readonly ledgerTtl?: Duration;

  /**
   * How long the verifier caches the signing secrets between Secrets Manager reads.
   *
   * @default Duration.minutes(5)
   */
  readonly secretsCacheTtl?: Duration;

  /**
   * Maximum size of a queue message in bytes (1,024 to 1,048,576); the verifier answers 413 to
   * bodies that would not fit with their attributes.
   *
   * @default 1048576 (1 MiB)
   */
  readonly maxMessageSizeBytes?: number;

  /**
   * The verifier's timeout; at most 9 seconds so that it answers inside OFAuth's 10-second budget.
   *
   * @default Duration.seconds(6)
   */
  readonly verifierTimeout?: Duration;

  /**
   * The verifier's memory in MiB (128 to 10,240). More memory also buys CPU, which shortens cold starts.
   *
   * @default 512
   */
  readonly verifierMemorySize?: number;

  /**
   * The processor's timeout; the queue's visibility timeout is six times this.
   *
   * @default Duration.seconds(30)
   */
  readonly processorTimeout?: Duration;

  /**
   * The processor's memory in MiB (128 to 10,240).
   *
   * @default 256
   */
  readonly processorMemorySize?: number;

  /**
   * Messages handed to one processor invocation (1 to 10, the FIFO event source maximum).
   *
   * @default 10
   */
  readonly batchSize?: number;

  /**
   * Age of the oldest queued message above which the backlog alarm fires.
   *
   * @default Duration.minutes(5)
   */
  readonly oldestMessageAgeAlarmThreshold?: Duration;

  /**
   * Signature rejections within five minutes at which the rejection-spike alarm fires.
   *
   * @default 10
   */
  readonly signatureRejectionAlarmThreshold?: number;

  /**
   * API Gateway 5xx answers within five minutes at which the server-error alarm fires.
   *
   * @default 5
   */
  readonly serverErrorAlarmThreshold?: number;

  /**
   * Whether every verified event is archived (S3 through Kinesis Data Firehose) so that
   * `npm run cli -- replay` can run past events again; `false` creates no bucket and no stream.
   *
   * @default true
   */
  readonly archive?: boolean;

  /**
   * How long archived events are kept, in whole days (1 to 3650).
   *
   * @default Duration.days(30)
   */
  readonly archiveRetention?: Duration;

  /**
   * Ignored, with a synth warning when `false`: the event record is always kept, since the
   * verifier deduplicates deliveries with it (earlier releases let it be switched off).
   *
   * @deprecated the record is always kept; remove the prop
   * @default true
   */
  readonly processedEventRecord?: boolean;

  /**
   * An EventBridge bus to which the processor publishes each event whose handler succeeded
   * (`source` `ofauth.realtime`, `detail-type` the event type), once per event key; the processor
   * gets `events:PutEvents` on this bus only, and the receiver registers the events' JSON Schemas
   * in a schema registry of its own (docs/use-as-a-library.md, "Subscribing on EventBridge").
   *
   * @default - none: nothing is published, and nothing of EventBridge is created or billed
   */
  readonly eventBus?: IEventBus;
}
