/**
 * The escape hatches, the aws-solutions-constructs way: the consumer's own processor file,
 * function, queue and table settings merged user-over-default, an existing KMS key, and props that
 * are CDK tokens (known only at deploy time).
 */
import { fileURLToPath } from 'node:url';
import { CfnParameter, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Vpc } from 'aws-cdk-lib/aws-ec2';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Architecture, Tracing } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  InvalidReceiverPropsError,
  OFAuthWebhookReceiver,
  type OFAuthWebhookReceiverProps,
} from 'ofauth-webhook-receiver';
import { newApp } from './support/synth.ts';

const APP_PROCESSOR = fileURLToPath(new URL('../../bin/handlers/index.ts', import.meta.url));

/** The receiver alone in a fresh stack, and its template. */
function synth(props: OFAuthWebhookReceiverProps | ((stack: Stack) => OFAuthWebhookReceiverProps)) {
  const stack = new Stack(newApp(), 'Overrides');
  const receiver = new OFAuthWebhookReceiver(
    stack,
    'Receiver',
    typeof props === 'function' ? props(stack) : props,
  );
  return { stack, receiver, template: Template.fromStack(stack) };
}

const functionProps = (template: Template, description: string) =>
  Object.values(
    template.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp(description) },
    }),
  )[0]!.Properties;

describe('the processor of the consumer', () => {
  it('deploys the given handler file and export with the processor’s settings', () => {
    const { template } = synth({
      processorProps: { entry: APP_PROCESSOR, handler: 'handler' },
      processorMemorySize: 1024,
    });
    expect(functionProps(template, 'Processes queued')).toMatchObject({
      Handler: 'index.handler',
      MemorySize: 1024,
      Environment: {
        Variables: { CONNECTIONS_TABLE_NAME: { Ref: expect.stringMatching(/^ReceiverConnectionsTable/) } },
      },
    });
  });

  it('fails with CDK’s own message on a handler file that does not exist', () => {
    expect(() => synth({ processorProps: { entry: '/nowhere/processor.ts' } })).toThrow(
      /nowhere\/processor\.ts/,
    );
  });
});

describe('function overrides', () => {
  it('merges the environment key by key and keeps the rest of the receiver’s settings', () => {
    const { template } = synth({
      verifierProps: {
        environment: { FEATURE_FLAG: 'on', POWERTOOLS_LOG_LEVEL: 'DEBUG' },
        reservedConcurrentExecutions: 50,
      },
      processorProps: { description: 'Our processor.', architecture: Architecture.X86_64 },
    });
    const verifier = functionProps(template, 'Verifies');
    expect(verifier.ReservedConcurrentExecutions).toBe(50);
    expect(verifier.Environment.Variables).toMatchObject({
      FEATURE_FLAG: 'on',
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      QUEUE_URL: { Ref: expect.stringMatching(/^ReceiverEventQueue/) },
    });
    expect(verifier.Timeout).toBe(6);
    expect(functionProps(template, 'Our processor')).toMatchObject({
      Architectures: ['x86_64'],
      Timeout: 30,
    });
  });

  it('derives the queue visibility from the processor timeout', () => {
    const { template } = synth({ processorTimeout: Duration.seconds(60) });
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 360,
      RedrivePolicy: Match.anyValue(),
    });
    expect(functionProps(template, 'Processes queued').Timeout).toBe(60);
  });

  it('takes timeout, memory and tracing from the receiver’s props only (one spelling each)', () => {
    // GIVEN a JavaScript caller that slips them into the overrides anyway
    const { template } = synth({
      // @ts-expect-error timeout is the receiver prop processorTimeout
      processorProps: { timeout: Duration.seconds(40), memorySize: 2048, tracing: Tracing.ACTIVE },
      // @ts-expect-error memorySize is the receiver prop verifierMemorySize
      verifierProps: { memorySize: 2048 },
    });
    // THEN the functions keep the receiver's settings, from which the queue's visibility is computed
    expect(functionProps(template, 'Processes queued')).toMatchObject({ Timeout: 30, MemorySize: 256 });
    expect(functionProps(template, 'Processes queued').TracingConfig).toBeUndefined();
    expect(functionProps(template, 'Verifies').MemorySize).toBe(512);
  });

  it.each<[string, OFAuthWebhookReceiverProps, string]>([
    [
      'a verifier timeout above 9 s',
      { verifierTimeout: Duration.seconds(12) },
      'verifierTimeout must be from 1 to 9 seconds, got 12 seconds',
    ],
    [
      'a visibility timeout below the processor timeout',
      { queueProps: { visibilityTimeout: Duration.seconds(10) } },
      'queueProps.visibilityTimeout must be at least the processor timeout (30 seconds), got 10 seconds',
    ],
  ])('rejects %s', (_case, props, message) => {
    expect(() => synth(props)).toThrow(new InvalidReceiverPropsError(message));
  });
});

describe('a VPC for the functions', () => {
  it('lets the function manage its network interfaces, cdk-nag clean', () => {
    // GIVEN the verifier in the consumer's VPC (with flow logs, as cdk-nag asks of a VPC)
    const app = newApp();
    const stack = new Stack(app, 'InVpc');
    const vpc = new Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1, flowLogs: { all: {} } });
    new OFAuthWebhookReceiver(stack, 'Receiver', { verifierProps: { vpc } });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    // WHEN it is synthesized THEN cdk-nag finds nothing, and the verifier's role may attach it
    expect(() => app.synth()).not.toThrow();
    const template = Template.fromStack(stack);
    const roleId = Object.keys(template.findResources('AWS::IAM::Role')).find((id) =>
      id.startsWith('ReceiverVerifierRole'),
    )!;
    const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } });
    const actions = Object.values(policies).flatMap((p) =>
      p.Properties.PolicyDocument.Statement.flatMap((st: { Action: string | string[] }) => st.Action),
    );
    expect(actions).toEqual(
      expect.arrayContaining(['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface']),
    );
    expect(functionProps(template, 'Verifies').VpcConfig).toBeDefined();
  });
});

describe('queue and table overrides', () => {
  it('applies the user’s settings over the receiver’s and keeps FIFO and the dead-letter queue', () => {
    const { template } = synth({
      queueProps: { retentionPeriod: Duration.days(4) },
      deadLetterQueueProps: { retentionPeriod: Duration.days(7) },
      ledgerTableProps: { deletionProtection: true },
      connectionsTableProps: { contributorInsightsSpecification: { enabled: true } },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      MessageRetentionPeriod: 4 * 86_400,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }),
      SqsManagedSseEnabled: true,
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      MessageRetentionPeriod: 7 * 86_400,
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      DeletionProtectionEnabled: true,
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      ContributorInsightsSpecification: { Enabled: true },
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'byClientReferenceId' })],
    });
  });
});

describe('an existing KMS key', () => {
  let template: Template;
  let keyId: string;

  beforeAll(() => {
    // GIVEN a customer-managed key of the consumer's stack, and cdk-nag on
    const app = newApp();
    const stack = new Stack(app, 'Encrypted');
    const key = new Key(stack, 'DataKey', { enableKeyRotation: true });
    new OFAuthWebhookReceiver(stack, 'Receiver', { encryptionKey: key });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    // WHEN it is synthesized THEN cdk-nag finds nothing
    expect(() => app.synth()).not.toThrow();
    template = Template.fromStack(stack);
    keyId = Object.keys(template.findResources('AWS::KMS::Key'))[0]!;
  });

  it('encrypts both queues, the three tables and the created secret with it', () => {
    const keyArn = { 'Fn::GetAtt': [keyId, 'Arn'] };
    const queues = Object.values(template.findResources('AWS::SQS::Queue'));
    expect(queues.map((q) => q.Properties.KmsMasterKeyId)).toEqual([keyArn, keyArn]);
    const tables = Object.values(template.findResources('AWS::DynamoDB::Table'));
    expect(tables.map((t) => t.Properties.SSESpecification)).toEqual([
      { KMSMasterKeyId: keyArn, SSEEnabled: true, SSEType: 'KMS' },
      { KMSMasterKeyId: keyArn, SSEEnabled: true, SSEType: 'KMS' },
      { KMSMasterKeyId: keyArn, SSEEnabled: true, SSEType: 'KMS' },
    ]);
    template.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: keyArn });
  });

  it('encrypts the archive bucket with it, and lets Firehose and the processor write there through S3 only', () => {
    const keyArn = { 'Fn::GetAtt': [keyId, 'Arn'] };
    // THEN the bucket's objects are SSE-KMS with the key and an S3 Bucket Key
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn },
          },
        ],
      },
    });
    // AND the delivery stream's role and the processor's may use the key only through S3
    const s3Only = {
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: keyArn,
      Condition: {
        StringEquals: {
          'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
        },
      },
    };
    for (const role of ['ReceiverArchiveDeliveryRole', 'ReceiverProcessorRole']) {
      const roleId = Object.keys(template.findResources('AWS::IAM::Role')).find((id) => id.startsWith(role))!;
      const policies = template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: roleId }] },
      });
      const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
      expect(statements).toEqual(expect.arrayContaining([s3Only]));
    }
  });

  it('lets each function use the key, without wildcard actions', () => {
    for (const role of ['ReceiverVerifierRole', 'ReceiverProcessorRole']) {
      const roleId = Object.keys(template.findResources('AWS::IAM::Role')).find((id) => id.startsWith(role))!;
      const policies = template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: roleId }] },
      });
      const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
      expect(statements).toEqual(
        expect.arrayContaining([
          {
            Effect: 'Allow',
            Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
            Resource: { 'Fn::GetAtt': [keyId, 'Arn'] },
          },
        ]),
      );
    }
  });
});

describe('props that are tokens', () => {
  it('takes numbers and durations known only at deploy time without judging them', () => {
    const { template } = synth((stack) => {
      const parameter = (id: string) => new CfnParameter(stack, id, { type: 'Number' }).valueAsNumber;
      return {
        throttleRateLimit: parameter('Rate'),
        throttleBurstLimit: parameter('Burst'),
        batchSize: parameter('Batch'),
        verifierMemorySize: parameter('Memory'),
        verifierTimeout: Duration.seconds(parameter('VerifierTimeout')),
        signatureTolerance: Duration.seconds(parameter('Tolerance')),
        signatureRejectionAlarmThreshold: parameter('Rejections'),
      };
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: { Ref: 'Rate' }, ThrottlingBurstLimit: { Ref: 'Burst' } },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: { Ref: 'Batch' } });
    expect(functionProps(template, 'Verifies')).toMatchObject({
      MemorySize: { Ref: 'Memory' },
      Timeout: { Ref: 'VerifierTimeout' },
      Environment: { Variables: { SIGNATURE_TOLERANCE_SECONDS: { Ref: 'Tolerance' } } },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: { Ref: 'Rejections' },
      MetricName: 'SignatureRejections',
    });
  });

  it('rejects a processor timeout token without a visibility timeout it cannot compute', () => {
    expect(() =>
      synth((stack) => ({
        processorTimeout: Duration.seconds(new CfnParameter(stack, 'T', { type: 'Number' }).valueAsNumber),
      })),
    ).toThrow(
      'the processor timeout is a token: give queueProps.visibilityTimeout (6 times the timeout) too',
    );
  });
});

describe('an alarm topic of the consumer', () => {
  const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:oncall';

  it('sends every alarm and recovery, the archive’s included, to the given topic, creating none', () => {
    // GIVEN an existing topic
    const { template, receiver } = synth((stack) => ({
      alarmTopic: Topic.fromTopicArn(stack, 'OnCall', TOPIC_ARN),
    }));
    // THEN all seventeen alarms notify it, on alarm and on recovery, and no topic or key is made
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(17);
    expect(receiver.monitoring.alarms).toHaveLength(17);
    for (const alarm of alarms) {
      expect([alarm.Properties.AlarmActions, alarm.Properties.OKActions]).toEqual([[TOPIC_ARN], [TOPIC_ARN]]);
    }
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    expect(receiver.monitoring.alarmTopic?.topicArn).toBe(TOPIC_ARN);
  });

  it('subscribes alarmEmail to the given topic', () => {
    const { template } = synth((stack) => ({
      alarmTopic: Topic.fromTopicArn(stack, 'OnCall', TOPIC_ARN),
      alarmEmail: 'oncall@example.com',
    }));
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: TOPIC_ARN,
    });
  });
});

describe('processedEventsTableProps', () => {
  it('merges the consumer’s settings over the processed-events table’s, keeping its key and TTL', () => {
    const { template } = synth({
      processedEventsTableProps: { deletionProtection: true, contributorInsightsEnabled: true },
    });
    const tables = template.findResources('AWS::DynamoDB::Table', {
      Properties: { DeletionProtectionEnabled: true },
    });
    expect(Object.values(tables).map((table) => table.Properties)).toEqual([
      expect.objectContaining({
        KeySchema: [{ AttributeName: 'eventKey', KeyType: 'HASH' }],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        ContributorInsightsSpecification: { Enabled: true },
        BillingMode: 'PAY_PER_REQUEST',
      }),
    ]);
  });
});
