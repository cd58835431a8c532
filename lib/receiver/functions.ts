/**
 * The two functions: each with its own role, log group and the settings both share, merged with
 * the user's overrides; and the exact permissions each needs, written out by hand so that every
 * resource is named.
 */
import { type Duration, type RemovalPolicy, Stack, Tokenization, Validations } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, LoggingFormat, SystemLogLevel, Tracing } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  type EnvironmentOf,
  PROCESSOR_ENVIRONMENT as P,
  VERIFIER_ENVIRONMENT as V,
} from '../../lambda/shared/deployment-names.ts';
import { CONNECTIONS_TABLE, EVENT_QUEUE } from '../../lambda/shared/resource-definitions.ts';
import type { ReceiverFunctionProps } from '../receiver-props.ts';
import { BUNDLING, functionEntry, repositoryLocation } from './bundling.ts';
import type { ReceiverSettings } from './defaults.ts';
import type { ReceiverMetricsIdentity } from './identity.ts';
import { esbuildTarget, newestTestedRuntime } from './runtime.ts';

/** A function and the log group it writes to. */
export interface ReceiverFunction {
  readonly fn: NodejsFunction;
  readonly logGroup: LogGroup;
}

/** What one function is made of. */
interface FunctionSpec {
  readonly id: 'Verifier' | 'Processor';
  readonly entry: string;
  readonly handler: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly tracing: boolean;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly environment: Record<string, string>;
  readonly overrides?: ReceiverFunctionProps;
}

/** One bundled function with its own role and log group; the user's overrides over the defaults. */
function buildReceiverFunction(scope: Construct, spec: FunctionSpec): ReceiverFunction {
  // Our own role instead of the default one: the managed AWSLambdaBasicExecutionRole would let
  // the function write to any log group in the account.
  const role = new Role(scope, `${spec.id}Role`, {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: `Execution role of the ${spec.id.toLowerCase()} function.`,
  });
  const logGroup = new LogGroup(scope, `${spec.id}LogGroup`, {
    retention: spec.logRetention,
    removalPolicy: spec.removalPolicy,
  });
  logGroup.grantWrite(role);
  const { environment, bundling, ...overrides } = spec.overrides ?? {};
  const tracing = spec.tracing ? Tracing.ACTIVE : Tracing.DISABLED;
  const runtime = overrides.runtime ?? newestTestedRuntime();
  const fn = new NodejsFunction(scope, spec.id, {
    entry: spec.entry,
    handler: spec.handler,
    ...repositoryLocation(),
    architecture: Architecture.ARM_64,
    description: spec.description,
    // JSON logs let Lambda drop its own START/END/REPORT lines (system level WARN), about a third
    // of the log volume; failures of the runtime are still logged, durations stay in metrics.
    loggingFormat: LoggingFormat.JSON,
    systemLogLevelV2: SystemLogLevel.WARN,
    ...overrides,
    // The receiver's own settings come after the overrides: the queue's visibility, the verifier's
    // budget and the alarms are computed from them.
    timeout: spec.timeout,
    memorySize: spec.memorySize,
    runtime,
    role,
    logGroup,
    tracing,
    environment: { ...spec.environment, ...environment },
    bundling: { ...BUNDLING, target: esbuildTarget(runtime), ...bundling },
  });
  if (overrides.vpc) grantNetworkInterfaces(role);
  if (tracing !== Tracing.DISABLED) {
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only xray:PutTraceSegments and xray:PutTelemetryRecords are granted on "*": X-Ray does not support resource-level permissions for them, and they write telemetry without reading any data.',
    });
  }
  return { fn, logGroup };
}

/**
 * What Lambda needs to attach a function to a VPC. CDK adds the managed
 * AWSLambdaVPCAccessExecutionRole only to roles it creates itself; that policy would also let the
 * function write to every log group, so the network-interface actions are granted by hand.
 */
function grantNetworkInterfaces(role: Role): void {
  role.addToPrincipalPolicy(
    new PolicyStatement({
      effect: Effect.ALLOW,
      actions: [
        'ec2:CreateNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ],
      resources: ['*'],
    }),
  );
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Only the network-interface actions Lambda needs to run in the VPC the consumer chose are granted on "*": Lambda creates and deletes the interfaces itself, with IDs not known in advance.',
  });
}

/** The environment value of a number that may be a token. */
const text = (value: number) => Tokenization.stringifyNumber(value);

/** Bytes of a queue message kept free for the attributes the verifier sets beside the body. */
const MESSAGE_ATTRIBUTE_ALLOWANCE_BYTES = EVENT_QUEUE.messageAttributeAllowanceBytes;

/** What the verifier works with. */
export interface VerifierResources {
  readonly signingSecret: ISecret;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
}

/**
 * The verifier: signature check, hand-off to the queue. The event record's table connects itself
 * (`ProcessedEventsTable.connectVerifier`): its name, TTL and grant.
 */
export function buildVerifier(
  scope: Construct,
  resources: VerifierResources,
  settings: ReceiverSettings,
  metrics: ReceiverMetricsIdentity,
): ReceiverFunction {
  const { signingSecret, queue, deadLetterQueue } = resources;
  const verifier = buildReceiverFunction(scope, {
    id: 'Verifier',
    entry: functionEntry('verifier/handler'),
    handler: 'handler',
    description: 'Verifies OFAuth webhook signatures, deduplicates deliveries and enqueues them.',
    timeout: settings.verifierTimeout,
    memorySize: settings.verifierMemorySize,
    tracing: settings.tracing,
    logRetention: settings.logRetention,
    removalPolicy: settings.removalPolicy,
    overrides: settings.verifierProps,
    environment: {
      [V.signingSecretId]: signingSecret.secretFullArn ?? signingSecret.secretName,
      [V.queueUrl]: queue.queueUrl,
      [V.deadLetterQueueUrl]: deadLetterQueue.queueUrl,
      [V.signatureToleranceSeconds]: text(settings.signatureTolerance.toSeconds()),
      [V.maxBodyBytes]: String(settings.maxMessageSizeBytes - MESSAGE_ATTRIBUTE_ALLOWANCE_BYTES),
      [V.secretsCacheTtlSeconds]: text(settings.secretsCacheTtl.toSeconds()),
      [V.serviceName]: metrics.verifierService,
      [V.metricsNamespace]: metrics.namespace,
      [V.logLevel]: settings.logLevel,
    } satisfies EnvironmentOf<typeof V>,
  });
  grantVerifierAccess(verifier.fn, resources);
  return verifier;
}

/**
 * The verifier reads its secret and sends to the queue and to the dead-letter queue (where it
 * keeps signed bodies it cannot parse); its grant on the event record comes with the record.
 */
function grantVerifierAccess(fn: NodejsFunction, resources: VerifierResources): void {
  const { signingSecret: secret, queue, deadLetterQueue } = resources;
  const allow = (actions: string[], resourceArns: string[], conditions?: Record<string, unknown>) =>
    fn.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions,
        resources: resourceArns,
        ...(conditions && { conditions }),
      }),
    );
  // A secret imported by name has no suffix in its ARN; Secrets Manager appends six characters.
  allow(['secretsmanager:GetSecretValue'], [secret.secretFullArn ?? `${secret.secretArn}-??????`]);
  if (secret.encryptionKey) {
    allow(['kms:Decrypt'], [secret.encryptionKey.keyArn], {
      StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(fn).region}.amazonaws.com` },
    });
  }
  allow(['sqs:SendMessage'], [queue.queueArn, deadLetterQueue.queueArn]);
  grantKeys(fn, [queue.encryptionMasterKey, deadLetterQueue.encryptionMasterKey]);
}

/** What the processor works with. */
export interface ProcessorResources {
  readonly connectionsTable: Table;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
}

/** The processor: the consumer's handler file, or the default one, fed by the queue. */
export function buildProcessor(
  scope: Construct,
  resources: ProcessorResources,
  settings: ReceiverSettings,
  metrics: ReceiverMetricsIdentity,
): ReceiverFunction {
  const { connectionsTable, queue, deadLetterQueue } = resources;
  const { entry, handler, ...overrides } = settings.processorProps ?? {};
  const processor = buildReceiverFunction(scope, {
    id: 'Processor',
    entry: entry ?? functionEntry('processor/handler'),
    handler: handler ?? 'handler',
    description: 'Processes queued OFAuth events in order per connection.',
    timeout: settings.processorTimeout,
    memorySize: settings.processorMemorySize,
    tracing: settings.tracing,
    logRetention: settings.logRetention,
    removalPolicy: settings.removalPolicy,
    overrides,
    environment: {
      [P.connectionsTableName]: connectionsTable.tableName,
      [P.deadLetterQueueUrl]: deadLetterQueue.queueUrl,
      // The event record says when a failed attempt was the last before the dead-letter queue.
      [P.maxReceiveCount]: text(settings.maxReceiveCount),
      [P.serviceName]: metrics.processorService,
      [P.metricsNamespace]: metrics.namespace,
      [P.logLevel]: settings.logLevel,
    } satisfies EnvironmentOf<typeof P>,
  });
  grantProcessorAccess(processor.fn, resources);
  processor.fn.addEventSource(
    new SqsEventSource(queue, { batchSize: settings.batchSize, reportBatchItemFailures: true }),
  );
  return processor;
}

/**
 * The processor reads and writes connection items, queries the one index by name, and sends a
 * message that can never be processed straight to the dead-letter queue. The event source
 * mapping grants the queue's consume actions on the queue itself.
 */
function grantProcessorAccess(fn: NodejsFunction, resources: ProcessorResources): void {
  const { connectionsTable, deadLetterQueue } = resources;
  const allow = (actions: string[], resourceArns: string[]) =>
    fn.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions, resources: resourceArns }));
  allow(
    [
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:ConditionCheckItem',
    ],
    [connectionsTable.tableArn],
  );
  allow(
    ['dynamodb:Query'],
    [`${connectionsTable.tableArn}/index/${CONNECTIONS_TABLE.byClientReferenceIdIndex.name}`],
  );
  allow(['sqs:SendMessage'], [deadLetterQueue.queueArn]);
  grantKeys(fn, [connectionsTable.encryptionKey, deadLetterQueue.encryptionMasterKey]);
}

/**
 * Use of the customer-managed keys behind the resources a function writes (none by default): the
 * three actions DynamoDB and SQS need, without the wildcards of `IKey.grantEncryptDecrypt`.
 */
function grantKeys(fn: NodejsFunction, keys: ReadonlyArray<IKey | undefined>): void {
  const arns = [...new Set(keys.filter((key): key is IKey => key !== undefined).map((key) => key.keyArn))];
  if (arns.length === 0) return;
  fn.addToRolePolicy(
    new PolicyStatement({
      effect: Effect.ALLOW,
      actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
      resources: arns,
    }),
  );
}
