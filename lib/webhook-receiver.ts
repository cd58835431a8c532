/**
 * The whole OFAuth Realtime webhook receiver as one construct: HTTP API → verifier → SQS FIFO →
 * processor, with the signing secret, the idempotency ledger, the connections table, the
 * dead-letter queue and the monitoring that belongs to them.
 */
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, SystemLogLevel, Tracing } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { DeduplicationScope, FifoThroughputLimit, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAMES } from '../lambda/shared/metrics.ts';
import {
  CONNECTIONS_TABLE,
  EVENT_QUEUE,
  FUNCTION_DEFAULTS,
  LEDGER_TABLE,
} from '../lambda/shared/resource-definitions.ts';
import { ReceiverMonitoring } from './receiver-monitoring.ts';

/** The path OFAuth posts to. */
export const WEBHOOK_PATH = '/webhooks/ofauth';

/** Bytes of a queue message kept free for the attributes the verifier sets beside the body. */
const MESSAGE_ATTRIBUTE_ALLOWANCE_BYTES = EVENT_QUEUE.messageAttributeAllowanceBytes;

/** The longest verifier timeout accepted: OFAuth gives up on a delivery after 10 seconds. */
const MAX_VERIFIER_TIMEOUT_SECONDS = 9;

/** Log levels the functions accept. */
export const RECEIVER_LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
/** A log level of the functions' application logs. */
export type ReceiverLogLevel = (typeof RECEIVER_LOG_LEVELS)[number];

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
   * @default EVENT_QUEUE.defaultMaxReceiveCount (5)
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
   * An e-mail address subscribed to an SNS topic that every alarm notifies.
   *
   * @default - no topic; the alarms are visible in the CloudWatch console and dashboard only
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
   * @default Duration.seconds(LEDGER_TABLE.defaultRecordTtlSeconds) (72 hours)
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
   * @default EVENT_QUEUE.defaultMaxMessageSizeBytes (1 MiB)
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
   * @default Duration.seconds(EVENT_QUEUE.defaultProcessorTimeoutSeconds) (30 seconds)
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
   * @default EVENT_QUEUE.defaultBatchSize (10)
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
}

type Settings = Required<Omit<OFAuthWebhookReceiverProps, 'signingSecret' | 'alarmEmail'>> &
  Pick<OFAuthWebhookReceiverProps, 'signingSecret' | 'alarmEmail'>;

/** The defaults of {@link OFAuthWebhookReceiverProps}, in one place. */
export const RECEIVER_DEFAULTS = {
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
} as const satisfies Omit<Settings, 'signingSecret' | 'alarmEmail'>;

/** Thrown when {@link OFAuthWebhookReceiverProps} hold a value the receiver cannot deploy. */
export class InvalidReceiverPropsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidReceiverPropsError';
  }
}

/**
 * The OFAuth Realtime webhook receiver: every resource of the ingest and processing path.
 *
 * @example
 * const receiver = new OFAuthWebhookReceiver(stack, 'Receiver', {
 *   alarmEmail: 'oncall@example.com',
 *   removalPolicy: RemovalPolicy.DESTROY,
 * });
 * new CfnOutput(stack, 'WebhookUrl', { value: receiver.webhookUrl });
 */
export class OFAuthWebhookReceiver extends Construct {
  /** The HTTP API OFAuth posts to. */
  public readonly httpApi: HttpApi;
  /** The API's default stage, with throttling and access logs. */
  public readonly stage: HttpStage;
  /** The full URL to paste into the OFAuth Dashboard. */
  public readonly webhookUrl: string;
  /** The secret holding the signing secret(s). */
  public readonly signingSecret: ISecret;
  /** The idempotency ledger (Powertools Idempotency records). */
  public readonly ledgerTable: Table;
  /** The connection registry and latest Dynamic Rules revision. */
  public readonly connectionsTable: Table;
  /** The FIFO queue between the verifier and the processor. */
  public readonly queue: Queue;
  /** The FIFO dead-letter queue. */
  public readonly deadLetterQueue: Queue;
  /** The function behind the API: verifies, deduplicates and enqueues. */
  public readonly verifier: NodejsFunction;
  /** The function that consumes the queue. */
  public readonly processor: NodejsFunction;
  /** The verifier's log group. */
  public readonly verifierLogGroup: LogGroup;
  /** The processor's log group. */
  public readonly processorLogGroup: LogGroup;
  /** The API's access log group. */
  public readonly accessLogGroup: LogGroup;
  /** The alarms, the dashboard and the optional alarm topic. */
  public readonly monitoring: ReceiverMonitoring;

  constructor(scope: Construct, id: string, props: OFAuthWebhookReceiverProps = {}) {
    super(scope, id);
    validateReceiverProps(props);
    const settings = withDefaults(props);
    const { removalPolicy } = settings;

    this.signingSecret =
      settings.signingSecret ??
      new Secret(this, 'SigningSecret', {
        description:
          'OFAuth webhook signing secret(s), separated by commas or whitespace. Replace the generated placeholder with the value from the OFAuth Dashboard.',
        removalPolicy,
      });
    if (!settings.signingSecret) {
      Validations.of(this.signingSecret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The value is issued by OFAuth and can only be rotated in the OFAuth Dashboard; rotation is the documented zero-downtime manual procedure in docs/runbook.md, which a rotation Lambda could not perform.',
      });
    }

    this.ledgerTable = new Table(this, 'LedgerTable', {
      partitionKey: { name: LEDGER_TABLE.partitionKey, type: AttributeType.STRING },
      timeToLiveAttribute: LEDGER_TABLE.ttlAttribute,
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy,
    });

    this.connectionsTable = new Table(this, 'ConnectionsTable', {
      partitionKey: { name: CONNECTIONS_TABLE.partitionKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy,
    });
    const index = CONNECTIONS_TABLE.byClientReferenceIdIndex;
    this.connectionsTable.addGlobalSecondaryIndex({
      indexName: index.name,
      partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
      sortKey: { name: index.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });

    const queueSettings = {
      fifo: true,
      contentBasedDeduplication: false,
      deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      maxMessageSizeBytes: settings.maxMessageSizeBytes,
      retentionPeriod: Duration.seconds(EVENT_QUEUE.retentionSeconds),
      removalPolicy,
    } as const;
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', queueSettings);
    this.queue = new Queue(this, 'EventQueue', {
      ...queueSettings,
      visibilityTimeout: Duration.seconds(
        EVENT_QUEUE.visibilityTimeoutFactor * settings.processorTimeout.toSeconds(),
      ),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: settings.maxReceiveCount },
    });

    const newLogGroup = (logId: string) =>
      new LogGroup(this, logId, { retention: settings.logRetention, removalPolicy });
    this.verifierLogGroup = newLogGroup('VerifierLogGroup');
    this.processorLogGroup = newLogGroup('ProcessorLogGroup');
    this.accessLogGroup = newLogGroup('AccessLogGroup');

    const signingSecretId = this.signingSecret.secretFullArn ?? this.signingSecret.secretName;
    this.verifier = this.newFunction('Verifier', {
      entry: 'lambda/verifier/handler.ts',
      description: 'Verifies OFAuth webhook signatures, deduplicates deliveries and enqueues them.',
      timeout: settings.verifierTimeout,
      memorySize: settings.verifierMemorySize,
      logGroup: this.verifierLogGroup,
      tracing: settings.tracing,
      environment: {
        SIGNING_SECRET_ID: signingSecretId,
        LEDGER_TABLE_NAME: this.ledgerTable.tableName,
        QUEUE_URL: this.queue.queueUrl,
        DEAD_LETTER_QUEUE_URL: this.deadLetterQueue.queueUrl,
        SIGNATURE_TOLERANCE_SECONDS: String(settings.signatureTolerance.toSeconds()),
        LEDGER_TTL_SECONDS: String(settings.ledgerTtl.toSeconds()),
        MAX_BODY_BYTES: String(settings.maxMessageSizeBytes - MESSAGE_ATTRIBUTE_ALLOWANCE_BYTES),
        SECRETS_CACHE_TTL_SECONDS: String(settings.secretsCacheTtl.toSeconds()),
        POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.verifier,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: settings.logLevel,
      },
    });
    this.grantVerifierAccess();

    this.processor = this.newFunction('Processor', {
      entry: 'lambda/processor/handler.ts',
      description: 'Processes queued OFAuth events in order per connection.',
      timeout: settings.processorTimeout,
      memorySize: settings.processorMemorySize,
      logGroup: this.processorLogGroup,
      tracing: settings.tracing,
      environment: {
        CONNECTIONS_TABLE_NAME: this.connectionsTable.tableName,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.processor,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: settings.logLevel,
      },
    });
    this.grantProcessorAccess();
    this.processor.addEventSource(
      new SqsEventSource(this.queue, { batchSize: settings.batchSize, reportBatchItemFailures: true }),
    );

    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'Receives OFAuth Realtime webhooks.',
      createDefaultStage: false,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: settings.throttleRateLimit, burstLimit: settings.throttleBurstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogGroup),
        format: ACCESS_LOG_FORMAT,
      },
    });
    this.httpApi.addRoutes({
      path: WEBHOOK_PATH,
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('VerifierIntegration', this.verifier),
    });
    Validations.of(this.httpApi).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'OFAuth cannot present IAM, JWT or API-key credentials; every request is authenticated by its HMAC signature (OFAuth-Signature or Svix) in the verifier before anything is stored.',
    });
    this.webhookUrl = `${this.httpApi.apiEndpoint}${WEBHOOK_PATH}`;

    this.monitoring = new ReceiverMonitoring(this, 'Monitoring', {
      httpApi: this.httpApi,
      verifier: this.verifier,
      processor: this.processor,
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      oldestMessageAgeThreshold: settings.oldestMessageAgeAlarmThreshold,
      signatureRejectionThreshold: settings.signatureRejectionAlarmThreshold,
      serverErrorThreshold: settings.serverErrorAlarmThreshold,
      removalPolicy,
      ...(settings.alarmEmail !== undefined && { alarmEmail: settings.alarmEmail }),
    });
  }

  /** One bundled function with its own role, log group and the settings both functions share. */
  private newFunction(
    id: string,
    options: {
      readonly entry: string;
      readonly description: string;
      readonly timeout: Duration;
      readonly memorySize: number;
      readonly logGroup: LogGroup;
      readonly tracing: boolean;
      readonly environment: Record<string, string>;
    },
  ): NodejsFunction {
    // Our own role instead of the default one: the managed AWSLambdaBasicExecutionRole would let
    // the function write to any log group in the account.
    const role = new Role(this, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${id.toLowerCase()} function.`,
    });
    options.logGroup.grantWrite(role);
    const fn = new NodejsFunction(this, id, {
      entry: fileURLToPath(new URL(`../${options.entry}`, import.meta.url)),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: fileURLToPath(new URL('../package-lock.json', import.meta.url)),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      description: options.description,
      timeout: options.timeout,
      memorySize: options.memorySize,
      role,
      logGroup: options.logGroup,
      // JSON logs let Lambda drop its own START/END/REPORT lines (system level WARN), about a third
      // of the log volume; failures of the runtime are still logged, durations stay in metrics.
      loggingFormat: LoggingFormat.JSON,
      systemLogLevelV2: SystemLogLevel.WARN,
      tracing: options.tracing ? Tracing.ACTIVE : Tracing.DISABLED,
      environment: options.environment,
      bundling: BUNDLING,
    });
    if (options.tracing) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Only xray:PutTraceSegments and xray:PutTelemetryRecords are granted on "*": X-Ray does not support resource-level permissions for them, and they write telemetry without reading any data.',
      });
    }
    return fn;
  }

  /**
   * The verifier reads its secret, reads and writes its own ledger items (the item actions
   * Powertools Idempotency uses), and sends to the queue and to the dead-letter queue (where it
   * keeps signed bodies it cannot parse). Written out by hand so that every resource is exact.
   */
  private grantVerifierAccess(): void {
    const secret = this.signingSecret;
    this.verifier.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['secretsmanager:GetSecretValue'],
        // A secret imported by name has no suffix in its ARN; Secrets Manager appends six characters.
        resources: [secret.secretFullArn ?? `${secret.secretArn}-??????`],
      }),
    );
    if (secret.encryptionKey) {
      this.verifier.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['kms:Decrypt'],
          resources: [secret.encryptionKey.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` },
          },
        }),
      );
    }
    this.verifier.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [this.ledgerTable.tableArn],
      }),
    );
    this.verifier.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn, this.deadLetterQueue.queueArn],
      }),
    );
  }

  /**
   * The processor reads and writes connection items and queries the one index by name. The
   * event source mapping grants the queue's consume actions on the queue itself.
   */
  private grantProcessorAccess(): void {
    this.processor.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [
          'dynamodb:GetItem',
          'dynamodb:BatchGetItem',
          'dynamodb:Query',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:BatchWriteItem',
          'dynamodb:ConditionCheckItem',
        ],
        resources: [this.connectionsTable.tableArn],
      }),
    );
    this.processor.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['dynamodb:Query'],
        resources: [
          `${this.connectionsTable.tableArn}/index/${CONNECTIONS_TABLE.byClientReferenceIdIndex.name}`,
        ],
      }),
    );
  }
}

/** The project root: bundling resolves entries and the lock file from here. */
const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Local esbuild bundling (no Docker): ESM, minified, the AWS SDK bundled and tree-shaken rather
 * than loaded from the runtime, so the code runs against the SDK version it was tested with.
 */
const BUNDLING = {
  format: OutputFormat.ESM,
  target: 'node24',
  minify: true,
  sourceMap: false,
  mainFields: ['module', 'main'],
  bundleAwsSDK: true,
  externalModules: [],
  logLevel: LogLevel.ERROR,
  // Bundled CommonJS dependencies still call require(); an ESM bundle has to provide it.
  banner: "import{createRequire}from'node:module';const require=createRequire(import.meta.url);",
  forceDockerBundling: false,
};

/**
 * One JSON object per request: who asked, what was answered, how long it took, what failed. Kept
 * lean (about 250 bytes a line) because log ingestion is part of the cost per event.
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    sourceIp: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    routeKey: '$context.routeKey',
    status: '$context.status',
    responseLatency: '$context.responseLatency',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    error: '$context.error.message',
  }),
);

function withDefaults(props: OFAuthWebhookReceiverProps): Settings {
  const defined = Object.fromEntries(Object.entries(props).filter(([, value]) => value !== undefined));
  return { ...RECEIVER_DEFAULTS, ...defined } as Settings;
}

/** Rejects any prop the receiver cannot deploy, before a single resource is created. */
function validateReceiverProps(props: OFAuthWebhookReceiverProps): void {
  const fail = (message: string): never => {
    throw new InvalidReceiverPropsError(message);
  };
  const integerIn = (name: keyof OFAuthWebhookReceiverProps, min: number, max: number) => {
    const value = props[name];
    if (value === undefined) return;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      fail(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
    }
  };
  const secondsIn = (name: keyof OFAuthWebhookReceiverProps, min: number, max: number) => {
    const value = props[name];
    if (value === undefined) return;
    const seconds = value instanceof Duration ? value.toSeconds() : Number.NaN;
    if (!(seconds >= min && seconds <= max)) {
      fail(
        `${name} must be from ${min} to ${max} seconds, got ${value instanceof Duration ? value.toHumanString() : String(value)}`,
      );
    }
  };

  const rate = props.throttleRateLimit;
  if (rate !== undefined && !(Number.isFinite(rate) && rate > 0)) {
    fail(`throttleRateLimit must be a positive number of requests per second, got ${rate}`);
  }
  if (props.logLevel !== undefined && !RECEIVER_LOG_LEVELS.includes(props.logLevel)) {
    fail(`logLevel must be one of ${RECEIVER_LOG_LEVELS.join(', ')}, got ${String(props.logLevel)}`);
  }
  integerIn('throttleBurstLimit', 1, 1_000_000);
  integerIn('maxReceiveCount', 1, 1000);
  integerIn('maxMessageSizeBytes', 1024 + MESSAGE_ATTRIBUTE_ALLOWANCE_BYTES, 1024 * 1024);
  integerIn('verifierMemorySize', 128, 10_240);
  integerIn('processorMemorySize', 128, 10_240);
  integerIn('batchSize', 1, EVENT_QUEUE.defaultBatchSize);
  integerIn('signatureRejectionAlarmThreshold', 1, 1_000_000);
  integerIn('serverErrorAlarmThreshold', 1, 1_000_000);
  secondsIn('verifierTimeout', 1, MAX_VERIFIER_TIMEOUT_SECONDS);
  secondsIn('processorTimeout', 1, 900);
  secondsIn('signatureTolerance', 1, 3600);
  secondsIn('ledgerTtl', 3600, 366 * 24 * 3600);
  secondsIn('secretsCacheTtl', 1, 3600);
  secondsIn('oldestMessageAgeAlarmThreshold', 60, EVENT_QUEUE.retentionSeconds);
  if (props.alarmEmail !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(props.alarmEmail)) {
    fail(`alarmEmail must be an e-mail address, got "${props.alarmEmail}"`);
  }
}
