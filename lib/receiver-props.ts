/**
 * The receiver's props, their defaults in one place, and the checks that reject a value the
 * receiver cannot deploy before a single resource is created.
 */
import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import type { TableProps } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { QueueProps } from 'aws-cdk-lib/aws-sqs';
import { METRICS_NAMESPACE } from '../lambda/shared/metrics.ts';
import {
  ARCHIVE,
  EVENT_QUEUE,
  FUNCTION_DEFAULTS,
  LEDGER_TABLE,
} from '../lambda/shared/resource-definitions.ts';

/** Log levels the functions accept. */
export const RECEIVER_LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
/** A log level of the functions' application logs. */
export type ReceiverLogLevel = (typeof RECEIVER_LOG_LEVELS)[number];

/** The longest verifier timeout accepted: OFAuth gives up on a delivery after 10 seconds. */
export const MAX_VERIFIER_TIMEOUT_SECONDS = 9;

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

/** The props that have a single default value. */
type TunableProps = Omit<
  OFAuthWebhookReceiverProps,
  | 'signingSecret'
  | 'alarmEmail'
  | 'receiverName'
  | 'encryptionKey'
  | 'alarmTopic'
  | 'processorProps'
  | 'verifierProps'
  | 'processedEventsTableProps'
  | 'queueProps'
  | 'deadLetterQueueProps'
  | 'ledgerTableProps'
  | 'connectionsTableProps'
  | 'eventBus'
>;

/** The defaults of {@link OFAuthWebhookReceiverProps}, in one place. */
export const RECEIVER_DEFAULTS = {
  metricsNamespace: METRICS_NAMESPACE,
  throttleRateLimit: 1000,
  throttleBurstLimit: 2000,
  maxReceiveCount: EVENT_QUEUE.defaultMaxReceiveCount,
  removalPolicy: RemovalPolicy.RETAIN,
  tracing: false,
  logLevel: 'INFO',
  logRetention: RetentionDays.ONE_MONTH,
  signatureTolerance: Duration.minutes(5),
  ledgerTtl: Duration.seconds(LEDGER_TABLE.defaultRecordTtlSeconds),
  secretsCacheTtl: Duration.minutes(5),
  maxMessageSizeBytes: EVENT_QUEUE.defaultMaxMessageSizeBytes,
  verifierTimeout: Duration.seconds(FUNCTION_DEFAULTS.verifier.timeoutSeconds),
  verifierMemorySize: FUNCTION_DEFAULTS.verifier.memorySizeMb,
  processorTimeout: Duration.seconds(FUNCTION_DEFAULTS.processor.timeoutSeconds),
  processorMemorySize: FUNCTION_DEFAULTS.processor.memorySizeMb,
  batchSize: EVENT_QUEUE.defaultBatchSize,
  oldestMessageAgeAlarmThreshold: Duration.minutes(5),
  signatureRejectionAlarmThreshold: 10,
  serverErrorAlarmThreshold: 5,
  archive: true,
  archiveRetention: Duration.days(ARCHIVE.defaultRetentionDays),
  processedEventRecord: true,
} as const satisfies Required<TunableProps>;

/** Every setting resolved: the defaults under the props. */
export type ReceiverSettings = Required<TunableProps> &
  Omit<OFAuthWebhookReceiverProps, keyof TunableProps> & { readonly receiverName: string };

/** Thrown when {@link OFAuthWebhookReceiverProps} hold a value the receiver cannot deploy. */
export class InvalidReceiverPropsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidReceiverPropsError';
  }
}

/** The defaults under the props (an explicit `undefined` keeps the default). */
export function resolveReceiverSettings(
  props: OFAuthWebhookReceiverProps,
  defaultReceiverName: string,
): ReceiverSettings {
  const defaults = RECEIVER_DEFAULTS;
  return {
    ...props,
    receiverName: props.receiverName ?? defaultReceiverName,
    metricsNamespace: props.metricsNamespace ?? defaults.metricsNamespace,
    throttleRateLimit: props.throttleRateLimit ?? defaults.throttleRateLimit,
    throttleBurstLimit: props.throttleBurstLimit ?? defaults.throttleBurstLimit,
    maxReceiveCount: props.maxReceiveCount ?? defaults.maxReceiveCount,
    removalPolicy: props.removalPolicy ?? defaults.removalPolicy,
    tracing: props.tracing ?? defaults.tracing,
    logLevel: props.logLevel ?? defaults.logLevel,
    logRetention: props.logRetention ?? defaults.logRetention,
    signatureTolerance: props.signatureTolerance ?? defaults.signatureTolerance,
    ledgerTtl: props.ledgerTtl ?? defaults.ledgerTtl,
    secretsCacheTtl: props.secretsCacheTtl ?? defaults.secretsCacheTtl,
    maxMessageSizeBytes: props.maxMessageSizeBytes ?? defaults.maxMessageSizeBytes,
    verifierTimeout: props.verifierTimeout ?? defaults.verifierTimeout,
    verifierMemorySize: props.verifierMemorySize ?? defaults.verifierMemorySize,
    processorTimeout: props.processorTimeout ?? defaults.processorTimeout,
    processorMemorySize: props.processorMemorySize ?? defaults.processorMemorySize,
    batchSize: props.batchSize ?? defaults.batchSize,
    oldestMessageAgeAlarmThreshold:
      props.oldestMessageAgeAlarmThreshold ?? defaults.oldestMessageAgeAlarmThreshold,
    signatureRejectionAlarmThreshold:
      props.signatureRejectionAlarmThreshold ?? defaults.signatureRejectionAlarmThreshold,
    serverErrorAlarmThreshold: props.serverErrorAlarmThreshold ?? defaults.serverErrorAlarmThreshold,
    archive: props.archive ?? defaults.archive,
    archiveRetention: props.archiveRetention ?? defaults.archiveRetention,
    processedEventRecord: props.processedEventRecord ?? defaults.processedEventRecord,
  };
}

/** Rejects any prop the receiver cannot deploy, before a single resource is created. */
export function validateReceiverProps(props: OFAuthWebhookReceiverProps): void {
  validateNumbers(props);
  validateNames(props);
  validateDerivedValues(props);
}

/**
 * Values the receiver computes others from at synth time: the queue's visibility timeout (from
 * the processor's timeout) and the verifier's body limit (from the message size).
 */
function validateDerivedValues(props: OFAuthWebhookReceiverProps): void {
  const processorTimeout = props.processorTimeout ?? RECEIVER_DEFAULTS.processorTimeout;
  const visibility = props.queueProps?.visibilityTimeout;
  if (processorTimeout.isUnresolved() && !visibility) {
    fail('the processor timeout is a token: give queueProps.visibilityTimeout (6 times the timeout) too');
  }
  if (visibility && !processorTimeout.isUnresolved() && !visibility.isUnresolved()) {
    if (visibility.toSeconds() < processorTimeout.toSeconds()) {
      fail(
        `queueProps.visibilityTimeout must be at least the processor timeout (${processorTimeout.toHumanString()}), got ${visibility.toHumanString()}`,
      );
    }
  }
  if (props.maxMessageSizeBytes !== undefined && Token.isUnresolved(props.maxMessageSizeBytes)) {
    fail('maxMessageSizeBytes must be known at synth time: the verifier’s body limit is computed from it');
  }
}

function fail(message: string): never {
  throw new InvalidReceiverPropsError(message);
}

/** Range checks; a value that is still a CDK token (known only at deploy time) is left alone. */
function validateNumbers(props: OFAuthWebhookReceiverProps): void {
  const integerIn = (name: string, value: number | undefined, min: number, max: number) => {
    if (value === undefined || Token.isUnresolved(value)) return;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      fail(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
    }
  };
  const secondsIn = (name: string, value: Duration | undefined, min: number, max: number) => {
    if (value === undefined || (value instanceof Duration && value.isUnresolved())) return;
    const seconds = value instanceof Duration ? value.toSeconds() : Number.NaN;
    if (!(seconds >= min && seconds <= max)) {
      fail(
        `${name} must be from ${min} to ${max} seconds, got ${value instanceof Duration ? value.toHumanString() : String(value)}`,
      );
    }
  };
  const rate = props.throttleRateLimit;
  if (rate !== undefined && !Token.isUnresolved(rate) && !(Number.isFinite(rate) && rate > 0)) {
    fail(`throttleRateLimit must be a positive number of requests per second, got ${rate}`);
  }
  integerIn('throttleBurstLimit', props.throttleBurstLimit, 1, 1_000_000);
  integerIn('maxReceiveCount', props.maxReceiveCount, 1, 1000);
  const allowance = EVENT_QUEUE.messageAttributeAllowanceBytes;
  integerIn('maxMessageSizeBytes', props.maxMessageSizeBytes, 1024 + allowance, 1024 * 1024);
  integerIn('verifierMemorySize', props.verifierMemorySize, 128, 10_240);
  integerIn('processorMemorySize', props.processorMemorySize, 128, 10_240);
  integerIn('batchSize', props.batchSize, 1, EVENT_QUEUE.defaultBatchSize);
  integerIn('signatureRejectionAlarmThreshold', props.signatureRejectionAlarmThreshold, 1, 1_000_000);
  integerIn('serverErrorAlarmThreshold', props.serverErrorAlarmThreshold, 1, 1_000_000);
  secondsIn('verifierTimeout', props.verifierTimeout, 1, MAX_VERIFIER_TIMEOUT_SECONDS);
  secondsIn('processorTimeout', props.processorTimeout, 1, 900);
  secondsIn('signatureTolerance', props.signatureTolerance, 1, 3600);
  secondsIn('ledgerTtl', props.ledgerTtl, 3600, 366 * 24 * 3600);
  secondsIn('secretsCacheTtl', props.secretsCacheTtl, 1, 3600);
  secondsIn(
    'oldestMessageAgeAlarmThreshold',
    props.oldestMessageAgeAlarmThreshold,
    60,
    EVENT_QUEUE.retentionSeconds,
  );
  const retention = props.archiveRetention;
  if (retention !== undefined && !(retention instanceof Duration && retention.isUnresolved())) {
    const days = retention instanceof Duration ? retention.toDays({ integral: false }) : Number.NaN;
    if (!(Number.isInteger(days) && days >= 1 && days <= 3650)) {
      fail(
        `archiveRetention must be whole days from 1 to 3650, got ${retention instanceof Duration ? retention.toHumanString() : String(retention)}`,
      );
    }
  }
}

const RECEIVER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const NAMESPACE_PATTERN = /^[A-Za-z0-9._/#:-]{1,255}$/;

function validateNames(props: OFAuthWebhookReceiverProps): void {
  const { logLevel, alarmEmail, receiverName, metricsNamespace } = props;
  if (logLevel !== undefined && !Token.isUnresolved(logLevel) && !RECEIVER_LOG_LEVELS.includes(logLevel)) {
    fail(`logLevel must be one of ${RECEIVER_LOG_LEVELS.join(', ')}, got ${String(logLevel)}`);
  }
  if (
    alarmEmail !== undefined &&
    !Token.isUnresolved(alarmEmail) &&
    !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(alarmEmail)
  ) {
    fail(`alarmEmail must be an e-mail address, got "${alarmEmail}"`);
  }
  if (
    receiverName !== undefined &&
    !Token.isUnresolved(receiverName) &&
    !RECEIVER_NAME_PATTERN.test(receiverName)
  ) {
    fail(
      `receiverName must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit, got "${receiverName}"`,
    );
  }
  if (
    metricsNamespace !== undefined &&
    !Token.isUnresolved(metricsNamespace) &&
    (!NAMESPACE_PATTERN.test(metricsNamespace) || metricsNamespace.startsWith('AWS/'))
  ) {
    fail(
      `metricsNamespace must be a CloudWatch namespace of your own (not AWS/…), got "${metricsNamespace}"`,
    );
  }
}
