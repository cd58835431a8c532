import { Match, type Template } from 'aws-cdk-lib/assertions';
import { METRICS_NAMESPACE } from '../../lambda/shared/metrics.ts';
import {
  CONNECTIONS_TABLE,
  EVENT_QUEUE,
  fifoQueueAttributes,
  LEDGER_TABLE,
} from '../../lambda/shared/resource-definitions.ts';
import { STACK_OUTPUTS } from '../../lib/index.ts';
import { logicalIdOf, synthStack } from './support/synth.ts';

let template: Template;
let ids: {
  secret: string;
  ledger: string;
  connections: string;
  queue: string;
  deadLetterQueue: string;
  verifier: string;
  processor: string;
  verifierLogGroup: string;
  processorLogGroup: string;
  accessLogGroup: string;
  archiveBucket: string;
  archiveStream: string;
  archiveLogGroup: string;
  processedEvents: string;
};

beforeAll(() => {
  // GIVEN the receiver stack with every default
  ({ template } = synthStack());
  ids = {
    secret: logicalIdOf(template, 'AWS::SecretsManager::Secret', 'ReceiverSigningSecret'),
    ledger: logicalIdOf(template, 'AWS::DynamoDB::Table', 'ReceiverLedgerTable'),
    connections: logicalIdOf(template, 'AWS::DynamoDB::Table', 'ReceiverConnectionsTable'),
    queue: logicalIdOf(template, 'AWS::SQS::Queue', 'ReceiverEventQueue'),
    deadLetterQueue: logicalIdOf(template, 'AWS::SQS::Queue', 'ReceiverDeadLetterQueue'),
    verifier: logicalIdOf(template, 'AWS::Lambda::Function', 'ReceiverVerifier'),
    processor: logicalIdOf(template, 'AWS::Lambda::Function', 'ReceiverProcessor'),
    verifierLogGroup: logicalIdOf(template, 'AWS::Logs::LogGroup', 'ReceiverVerifierLogGroup'),
    processorLogGroup: logicalIdOf(template, 'AWS::Logs::LogGroup', 'ReceiverProcessorLogGroup'),
    accessLogGroup: logicalIdOf(template, 'AWS::Logs::LogGroup', 'ReceiverAccessLogGroup'),
    archiveBucket: logicalIdOf(template, 'AWS::S3::Bucket', 'ReceiverArchiveBucket'),
    archiveStream: logicalIdOf(template, 'AWS::KinesisFirehose::DeliveryStream', 'ReceiverArchive'),
    archiveLogGroup: logicalIdOf(template, 'AWS::Logs::LogGroup', 'ReceiverArchiveDeliveryLogGroup'),
    processedEvents: logicalIdOf(template, 'AWS::DynamoDB::Table', 'ReceiverProcessedEvents'),
  };
});

const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

describe('stateful resources', () => {
  it('keeps the logical IDs of the secret, tables and queues (a change would replace them and lose data)', () => {
    // THEN the IDs are exactly the ones deployed stacks already have
    expect({
      secret: ids.secret,
      ledger: ids.ledger,
      connections: ids.connections,
      queue: ids.queue,
      deadLetterQueue: ids.deadLetterQueue,
    }).toEqual({
      secret: 'ReceiverSigningSecret4B088F98',
      ledger: 'ReceiverLedgerTable97812993',
      connections: 'ReceiverConnectionsTable9D733A8F',
      queue: 'ReceiverEventQueue0901CAB9',
      deadLetterQueue: 'ReceiverDeadLetterQueue5A4556A4',
    });
  });

  it('retains every stateful resource by default', () => {
    for (const id of [ids.secret, ids.ledger, ids.connections, ids.queue, ids.deadLetterQueue]) {
      const resource = template.toJSON().Resources[id];
      expect({
        id,
        DeletionPolicy: resource.DeletionPolicy,
        UpdateReplacePolicy: resource.UpdateReplacePolicy,
      }).toEqual({
        id,
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    }
  });

  it('names no resource physically', () => {
    // THEN CloudFormation generates every name, so two copies of the stack can share an account
    for (const [type, property] of [
      ['AWS::DynamoDB::Table', 'TableName'],
      ['AWS::SQS::Queue', 'QueueName'],
      ['AWS::SecretsManager::Secret', 'Name'],
      ['AWS::Lambda::Function', 'FunctionName'],
      ['AWS::Logs::LogGroup', 'LogGroupName'],
      ['AWS::CloudWatch::Alarm', 'AlarmName'],
      ['AWS::CloudWatch::Dashboard', 'DashboardName'],
      ['AWS::IAM::Role', 'RoleName'],
    ] as const) {
      expect({
        type,
        named: Object.keys(template.findResources(type, { Properties: { [property]: Match.anyValue() } })),
      }).toEqual({
        type,
        named: [],
      });
    }
  });
});

describe('HTTP API', () => {
  it('routes POST /webhooks/ofauth to the verifier with payload format 2.0', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /webhooks/ofauth' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: arnOf(ids.verifier),
    });
  });

  it('throttles the default stage with the default rate and burst', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 },
    });
  });

  it('writes JSON access logs to a log group with retention', () => {
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0]!;
    const settings = stage.Properties.AccessLogSettings;
    expect(settings.DestinationArn).toEqual(arnOf(ids.accessLogGroup));
    // THEN the format is one JSON object carrying the request id, status and latencies
    const format = JSON.parse(settings.Format);
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
      routeKey: '$context.routeKey',
      integrationError: '$context.integrationErrorMessage',
      responseLatency: '$context.responseLatency',
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('outputs the webhook URL, the API endpoint followed by the path', () => {
    template.hasOutput(STACK_OUTPUTS.webhookUrl, {
      Value: {
        'Fn::Join': [
          '',
          [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^ReceiverHttpApi'), 'ApiEndpoint'] }, '/webhooks/ofauth'],
        ],
      },
    });
  });
});

describe('signing secret', () => {
  it('creates a secret whose ARN the verifier receives and the stack outputs', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SIGNING_SECRET_ID: { Ref: ids.secret } }) },
    });
    template.hasOutput(STACK_OUTPUTS.signingSecretArn, { Value: { Ref: ids.secret } });
  });

  it('uses an existing secret by name instead of creating one', () => {
    // GIVEN a secret name from context
    const { template: imported } = synthStack({ signingSecretName: 'ofauth/signing' });
    // THEN no secret is created and the verifier looks the secret up by its name
    imported.resourceCountIs('AWS::SecretsManager::Secret', 0);
    imported.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SIGNING_SECRET_ID: 'ofauth/signing' }) },
    });
  });

  it('uses an existing secret by complete ARN instead of creating one', () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ofauth/signing-AbC123';
    const { template: imported } = synthStack({ signingSecretArn: arn });
    imported.resourceCountIs('AWS::SecretsManager::Secret', 0);
    imported.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SIGNING_SECRET_ID: arn }) },
    });
    imported.hasOutput(STACK_OUTPUTS.signingSecretArn, { Value: arn });
  });
});

describe('DynamoDB', () => {
  it('makes the ledger on-demand, encrypted, with the Powertools key and TTL attribute', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: LEDGER_TABLE.partitionKey, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: LEDGER_TABLE.ttlAttribute, Enabled: true },
    });
  });

  it('makes the connections table on-demand, encrypted, with point-in-time recovery and the clientReferenceId index', () => {
    const index = CONNECTIONS_TABLE.byClientReferenceIdIndex;
    const table = template.toJSON().Resources[ids.connections].Properties;
    expect(table).toMatchObject({
      KeySchema: [{ AttributeName: CONNECTIONS_TABLE.partitionKey, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      GlobalSecondaryIndexes: [
        {
          IndexName: index.name,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  });

  it('outputs both table names', () => {
    template.hasOutput(STACK_OUTPUTS.ledgerTableName, { Value: { Ref: ids.ledger } });
    template.hasOutput(STACK_OUTPUTS.connectionsTableName, { Value: { Ref: ids.connections } });
  });
});

describe('SQS', () => {
  const fifoHighThroughput = {
    FifoQueue: true,
    ContentBasedDeduplication: false,
    DeduplicationScope: 'messageGroup',
    FifoThroughputLimit: 'perMessageGroupId',
    SqsManagedSseEnabled: true,
    // 1 MiB, SQS's largest message, and 14 days, its longest retention (the tests' titles).
    MaximumMessageSize: 1024 * 1024,
    MessageRetentionPeriod: 14 * 24 * 60 * 60,
  };

  it('makes the event queue FIFO in high-throughput mode, encrypted, 1 MiB, 14 days, with the dead-letter queue after 5 receives', () => {
    expect(template.toJSON().Resources[ids.queue].Properties).toEqual({
      ...fifoHighThroughput,
      VisibilityTimeout: 6 * EVENT_QUEUE.defaultProcessorTimeoutSeconds,
      RedrivePolicy: { deadLetterTargetArn: arnOf(ids.deadLetterQueue), maxReceiveCount: 5 },
    });
  });

  it('keeps the visibility timeout at least six times the processor timeout', () => {
    const queue = template.toJSON().Resources[ids.queue].Properties;
    const processor = template.toJSON().Resources[ids.processor].Properties;
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * processor.Timeout);
  });

  it('makes the dead-letter queue FIFO, encrypted and 14 days long', () => {
    expect(template.toJSON().Resources[ids.deadLetterQueue].Properties).toEqual(fifoHighThroughput);
  });

  it('gives the local pipeline’s queues the deployed queue’s attributes, so `npm start` behaves as deployed', () => {
    const deployed = template.toJSON().Resources[ids.queue].Properties as Record<string, unknown>;
    const local = fifoQueueAttributes({ visibilityTimeoutSeconds: deployed.VisibilityTimeout as number });
    // CreateQueue takes every attribute as a string.
    const expected = Object.fromEntries(Object.keys(local).map((name) => [name, String(deployed[name])]));
    expect(local).toEqual(expected);
    expect(Object.keys(local).sort()).toEqual(
      [
        'ContentBasedDeduplication',
        'DeduplicationScope',
        'FifoQueue',
        'FifoThroughputLimit',
        'MaximumMessageSize',
        'MessageRetentionPeriod',
        'VisibilityTimeout',
      ].sort(),
    );
    expect(fifoQueueAttributes({ visibilityTimeoutSeconds: 60, maxMessageSizeBytes: 2048 })).toMatchObject({
      MaximumMessageSize: '2048',
      VisibilityTimeout: '60',
    });
  });

  it('denies every request to either queue that does not use TLS', () => {
    for (const queueId of [ids.queue, ids.deadLetterQueue]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queueId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              Resource: arnOf(queueId),
            }),
          ]),
        },
      });
    }
  });

  it('outputs the URLs and ARNs of both queues', () => {
    template.hasOutput(STACK_OUTPUTS.queueUrl, { Value: { Ref: ids.queue } });
    template.hasOutput(STACK_OUTPUTS.deadLetterQueueUrl, { Value: { Ref: ids.deadLetterQueue } });
    template.hasOutput(STACK_OUTPUTS.queueArn, { Value: arnOf(ids.queue) });
    template.hasOutput(STACK_OUTPUTS.deadLetterQueueArn, { Value: arnOf(ids.deadLetterQueue) });
  });
});

describe('functions', () => {
  const common = {
    Runtime: 'nodejs24.x',
    Architectures: ['arm64'],
    Handler: 'index.handler',
    TracingConfig: Match.absent(),
  };

  it('runs the verifier on Node 24 arm64 inside OFAuth’s 10-second budget, logging to its own group', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      ...common,
      Timeout: 6,
      MemorySize: 512,
      LoggingConfig: { LogGroup: { Ref: ids.verifierLogGroup }, LogFormat: 'JSON', SystemLogLevel: 'WARN' },
    });
  });

  it('updates the verifier after the processor, so that no claim meets a processor of an earlier release', () => {
    // GIVEN a processor of an earlier release would read a verifier's claim as "processed" and skip it
    // THEN CloudFormation updates the processor (and its role and event source) before the verifier
    const dependsOn: string[] = template.toJSON().Resources[ids.verifier].DependsOn ?? [];
    expect(dependsOn).toContain(ids.processor);
  });

  it('gives the verifier exactly its documented environment', () => {
    const env = template.toJSON().Resources[ids.verifier].Properties.Environment.Variables;
    expect(env).toEqual({
      SIGNING_SECRET_ID: { Ref: ids.secret },
      QUEUE_URL: { Ref: ids.queue },
      DEAD_LETTER_QUEUE_URL: { Ref: ids.deadLetterQueue },
      SIGNATURE_TOLERANCE_SECONDS: '300',
      // the event record: the processor's variables, one table and one TTL for both functions
      PROCESSED_EVENTS_TABLE_NAME: { Ref: ids.processedEvents },
      PROCESSED_EVENT_TTL_SECONDS: String(LEDGER_TABLE.defaultRecordTtlSeconds),
      MAX_BODY_BYTES: String(
        EVENT_QUEUE.defaultMaxMessageSizeBytes - EVENT_QUEUE.messageAttributeAllowanceBytes,
      ),
      SECRETS_CACHE_TTL_SECONDS: '300',
      POWERTOOLS_SERVICE_NAME: 'Receiver-Receiver-verifier', // <stack>-<construct path>-verifier
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
  });

  it('runs the processor on Node 24 arm64 with exactly its documented environment', () => {
    const processor = template.toJSON().Resources[ids.processor].Properties;
    expect(processor).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: EVENT_QUEUE.defaultProcessorTimeoutSeconds,
      MemorySize: 256,
      LoggingConfig: { LogGroup: { Ref: ids.processorLogGroup }, LogFormat: 'JSON' },
    });
    expect(processor.Environment.Variables).toEqual({
      CONNECTIONS_TABLE_NAME: { Ref: ids.connections },
      DEAD_LETTER_QUEUE_URL: { Ref: ids.deadLetterQueue },
      MAX_RECEIVE_COUNT: String(EVENT_QUEUE.defaultMaxReceiveCount),
      POWERTOOLS_SERVICE_NAME: 'Receiver-Receiver-processor',
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      ARCHIVE_STREAM_NAME: { Ref: ids.archiveStream },
      ARCHIVE_BUCKET_NAME: { Ref: ids.archiveBucket },
      PROCESSED_EVENTS_TABLE_NAME: { Ref: ids.processedEvents },
      PROCESSED_EVENT_TTL_SECONDS: String(LEDGER_TABLE.defaultRecordTtlSeconds),
    });
  });

  it('feeds the processor from the queue in batches of at most 10 with partial batch failures', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: arnOf(ids.queue),
      FunctionName: { Ref: ids.processor },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('switches X-Ray tracing on for both functions when asked', () => {
    const { template: traced } = synthStack({ receiver: { tracing: true } });
    expect(
      Object.keys(
        traced.findResources('AWS::Lambda::Function', { Properties: { TracingConfig: { Mode: 'Active' } } }),
      ),
    ).toHaveLength(2);
  });
});

describe('log groups', () => {
  it('sets the retention on every log group the stack has', () => {
    const groups = template.findResources('AWS::Logs::LogGroup');
    expect(Object.keys(groups).sort()).toEqual(
      [ids.accessLogGroup, ids.processorLogGroup, ids.verifierLogGroup, ids.archiveLogGroup].sort(),
    );
    for (const group of Object.values(groups)) expect(group.Properties.RetentionInDays).toBe(30);
  });

  it('leaves no function to log into an implicit, never-expiring group', () => {
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.LoggingConfig.LogGroup).toEqual({ Ref: expect.stringMatching(/LogGroup/) });
    }
  });
});
