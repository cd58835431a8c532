/**
 * Turns CDK context into the receiver stack and applies cdk-nag. `bin/` is the only place that
 * reads context; everything below it takes typed props.
 *
 * This app is the package's first consumer: it imports the construct by the package's name, as an
 * app that installed it from npm would, and deploys its own handler file as the processor.
 */
import { fileURLToPath } from 'node:url';
import { type App, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  DEFAULT_STACK_NAME,
  OFAuthWebhookReceiverStack,
  type OFAuthWebhookReceiverStackProps,
  type ReceiverLogLevel,
} from 'ofauth-webhook-receiver';

/** Thrown when context values (`-c key=value` or cdk.json) cannot be used: one problem per bad value. */
export class InvalidContextError extends Error {
  /** One line per bad value, e.g. `context removalPolicy must be retain or destroy, got "delete"`. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'InvalidContextError';
    this.problems = problems;
  }
}

/** Reads one context value, `undefined` when unset. */
export type ContextReader = (key: string) => unknown;

/** What {@link readReceiverContext} returns: the stack's name and props. */
export interface ReceiverAppConfig {
  readonly stackName: string;
  readonly stackProps: OFAuthWebhookReceiverStackProps;
}

const RETENTION_DAYS = new Set<number>(
  Object.values(RetentionDays).filter((value): value is number => typeof value === 'number'),
);

/** Typed readers of context values; each notes a bad value in `problems` and answers undefined. */
function contextReaders(read: ContextReader, problems: string[]) {
  const given = (key: string) => {
    const value = read(key);
    return value === undefined || value === null || value === '' ? undefined : value;
  };
  const bad = (message: string): undefined => {
    problems.push(message);
    return undefined;
  };
  const text = (key: string): string | undefined => {
    const value = given(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string')
      return bad(`context ${key} must be a string, got ${JSON.stringify(value)}`);
    return value.trim();
  };
  const number = (key: string): number | undefined => {
    const value = given(key);
    if (value === undefined) return undefined;
    const parsed =
      typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
    if (!Number.isFinite(parsed) || parsed <= 0)
      return bad(`context ${key} must be a positive number, got ${JSON.stringify(value)}`);
    return parsed;
  };
  const flag = (key: string): boolean | undefined => {
    const value = given(key);
    if (value === undefined) return undefined;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    return bad(`context ${key} must be true or false, got ${JSON.stringify(value)}`);
  };
  const seconds = (key: string) => {
    const value = number(key);
    return value === undefined ? undefined : Duration.seconds(value);
  };
  const removalPolicy = (): RemovalPolicy | undefined => {
    const removal = text('removalPolicy')?.toLowerCase();
    if (removal === undefined) return undefined;
    if (removal === 'destroy') return RemovalPolicy.DESTROY;
    if (removal === 'retain') return RemovalPolicy.RETAIN;
    return bad(`context removalPolicy must be retain or destroy, got "${removal}"`);
  };
  const retentionDays = (): RetentionDays | undefined => {
    const retention = number('logRetentionDays');
    if (retention === undefined || RETENTION_DAYS.has(retention))
      return retention as RetentionDays | undefined;
    return bad(
      `context logRetentionDays must be one of ${[...RETENTION_DAYS].sort((a, b) => a - b).join(', ')}, got ${retention}`,
    );
  };
  return { text, number, flag, seconds, removalPolicy, retentionDays };
}

/**
 * Parses the receiver's context keys. Values from `-c key=value` arrive as strings, values from
 * cdk.json as JSON types; both are accepted.
 *
 * @throws {InvalidContextError} naming every bad value, not only the first
 */
export function readReceiverContext(read: ContextReader): ReceiverAppConfig {
  const problems: string[] = [];
  const { text, number, flag, seconds, removalPolicy, retentionDays } = contextReaders(read, problems);
  const ledgerTtlHours = number('ledgerTtlHours');
  const archiveRetentionDays = number('archiveRetentionDays');

  const receiver: OFAuthWebhookReceiverStackProps['receiver'] = {
    receiverName: text('receiverName'),
    metricsNamespace: text('metricsNamespace'),
    throttleRateLimit: number('throttleRateLimit'),
    throttleBurstLimit: number('throttleBurstLimit'),
    maxReceiveCount: number('maxReceiveCount'),
    removalPolicy: removalPolicy(),
    alarmEmail: text('alarmEmail'),
    tracing: flag('tracing'),
    logLevel: text('logLevel')?.toUpperCase() as ReceiverLogLevel | undefined,
    logRetention: retentionDays(),
    signatureTolerance: seconds('signatureToleranceSeconds'),
    ledgerTtl: ledgerTtlHours === undefined ? undefined : Duration.hours(ledgerTtlHours),
    secretsCacheTtl: seconds('secretsCacheTtlSeconds'),
    maxMessageSizeBytes: number('maxMessageSizeBytes'),
    verifierTimeout: seconds('verifierTimeoutSeconds'),
    verifierMemorySize: number('verifierMemorySize'),
    processorTimeout: seconds('processorTimeoutSeconds'),
    processorMemorySize: number('processorMemorySize'),
    batchSize: number('batchSize'),
    oldestMessageAgeAlarmThreshold: seconds('oldestMessageAgeAlarmSeconds'),
    signatureRejectionAlarmThreshold: number('signatureRejectionAlarmThreshold'),
    serverErrorAlarmThreshold: number('serverErrorAlarmThreshold'),
    archive: flag('archive'),
    archiveRetention: archiveRetentionDays === undefined ? undefined : Duration.days(archiveRetentionDays),
    processedEventRecord: flag('processedEventRecord'),
  };
  const defined = <T extends object>(value: T): T =>
    Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

  const config = {
    stackName: text('stackName') ?? DEFAULT_STACK_NAME,
    stackProps: defined({
      receiver: defined(receiver),
      signingSecretArn: text('signingSecretArn'),
      signingSecretName: text('signingSecretName'),
      signingSecretKeyArn: text('signingSecretKeyArn'),
      eventBus: text('eventBus'),
    }),
  };
  if (problems.length > 0) throw new InvalidContextError(problems);
  return config;
}

/** This app's processor: the handler map in `bin/handlers/`, the worked example. */
export const APP_PROCESSOR_ENTRY = fileURLToPath(new URL('./handlers/index.ts', import.meta.url));

/**
 * Builds the receiver app: the stack from context with this app's processor, cdk-nag's
 * AwsSolutions pack as a validation plugin (any unacknowledged finding fails synthesis).
 *
 * @example
 * const app = new App();
 * configureReceiverApp(app);
 * app.synth();
 */
export function configureReceiverApp(app: App): OFAuthWebhookReceiverStack {
  const { stackName, stackProps } = readReceiverContext((key) => app.node.tryGetContext(key));
  const stack = new OFAuthWebhookReceiverStack(app, stackName, {
    ...stackProps,
    receiver: { ...stackProps.receiver, processorProps: { entry: APP_PROCESSOR_ENTRY } },
    description: 'OFAuth Realtime webhook receiver: HTTP API, verifier, SQS FIFO, processor.',
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
