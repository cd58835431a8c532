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

/** Thrown when a context value (`-c key=value` or cdk.json) cannot be used. */
export class InvalidContextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidContextError';
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

/**
 * Parses the receiver's context keys. Values from `-c key=value` arrive as strings, values from
 * cdk.json as JSON types; both are accepted.
 */
export function readReceiverContext(read: ContextReader): ReceiverAppConfig {
  const text = (key: string): string | undefined => {
    const value = read(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string')
      throw new InvalidContextError(`context ${key} must be a string, got ${JSON.stringify(value)}`);
    return value.trim();
  };
  const number = (key: string): number | undefined => {
    const value = read(key);
    if (value === undefined || value === null || value === '') return undefined;
    const parsed =
      typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
    if (!Number.isFinite(parsed) || parsed <= 0) {
      throw new InvalidContextError(`context ${key} must be a positive number, got ${JSON.stringify(value)}`);
    }
    return parsed;
  };
  const flag = (key: string): boolean | undefined => {
    const value = read(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    throw new InvalidContextError(`context ${key} must be true or false, got ${JSON.stringify(value)}`);
  };
  const seconds = (key: string) => {
    const value = number(key);
    return value === undefined ? undefined : Duration.seconds(value);
  };

  const removal = text('removalPolicy')?.toLowerCase();
  if (removal !== undefined && removal !== 'retain' && removal !== 'destroy') {
    throw new InvalidContextError(`context removalPolicy must be retain or destroy, got "${removal}"`);
  }
  const retention = number('logRetentionDays');
  if (retention !== undefined && !RETENTION_DAYS.has(retention)) {
    throw new InvalidContextError(
      `context logRetentionDays must be one of ${[...RETENTION_DAYS].sort((a, b) => a - b).join(', ')}, got ${retention}`,
    );
  }
  const ledgerTtlHours = number('ledgerTtlHours');
  const archiveRetentionDays = number('archiveRetentionDays');

  const receiver: OFAuthWebhookReceiverStackProps['receiver'] = {
    receiverName: text('receiverName'),
    metricsNamespace: text('metricsNamespace'),
    throttleRateLimit: number('throttleRateLimit'),
    throttleBurstLimit: number('throttleBurstLimit'),
    maxReceiveCount: number('maxReceiveCount'),
    removalPolicy:
      removal === undefined
        ? undefined
        : removal === 'destroy'
          ? RemovalPolicy.DESTROY
          : RemovalPolicy.RETAIN,
    alarmEmail: text('alarmEmail'),
    tracing: flag('tracing'),
    logLevel: text('logLevel')?.toUpperCase() as ReceiverLogLevel | undefined,
    logRetention: retention as RetentionDays | undefined,
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

  return {
    stackName: text('stackName') ?? DEFAULT_STACK_NAME,
    stackProps: defined({
      receiver: defined(receiver),
      signingSecretArn: text('signingSecretArn'),
      signingSecretName: text('signingSecretName'),
      signingSecretKeyArn: text('signingSecretKeyArn'),
    }),
  };
}

/** This app's processor: the handler map in `lambda/processor/handlers/`, the worked example. */
export const APP_PROCESSOR_ENTRY = fileURLToPath(
  new URL('../lambda/processor/handlers/index.ts', import.meta.url),
);

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
    receiver: { ...stackProps.receiver, processor: { entry: APP_PROCESSOR_ENTRY } },
    description: 'OFAuth Realtime webhook receiver: HTTP API, verifier, SQS FIFO, processor.',
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
