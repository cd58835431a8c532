/**
 * The grant and metric methods: the exact actions and resources `replay`, `redrive` and a reader of the
 * connection registry need, with and without a customer-managed key.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { MathExpression } from 'aws-cdk-lib/aws-cloudwatch';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { OFAuthWebhookReceiver, type OFAuthWebhookReceiverProps } from 'ofauth-webhook-receiver';
import { logicalIdOf, newApp } from './support/synth.ts';

type Grant = 'grantReplay' | 'grantRedrive' | 'grantReadConnections';

/** The policy statements an operator role gets from one grant method. */
function statementsOf(grant: Grant, props: (stack: Stack) => OFAuthWebhookReceiverProps = () => ({})) {
  const stack = new Stack(newApp(), 'Grants');
  const receiver = new OFAuthWebhookReceiver(stack, 'Receiver', props(stack));
  const operator = new Role(stack, 'Operator', { assumedBy: new AccountRootPrincipal() });
  receiver[grant](operator);
  const template = Template.fromStack(stack);
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
    JSON.stringify(policy.Properties.Roles).includes('Operator'),
  );
  expect(policies).toHaveLength(1);
  return { template, statements: policies[0]!.Properties.PolicyDocument.Statement };
}

const arn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const withKey = (stack: Stack) => ({ encryptionKey: new Key(stack, 'Key') });

describe('grantReplay', () => {
  it('lets the grantee list and read archived events, send to the queue and read the stack', () => {
    const { template, statements } = statementsOf('grantReplay');
    const bucket = logicalIdOf(template, 'AWS::S3::Bucket', 'ReceiverArchiveBucket');
    expect(statements).toEqual([
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: arn(bucket) },
      { Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [arn(bucket), '/events/*']] } },
      {
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: arn(logicalIdOf(template, 'AWS::SQS::Queue', 'ReceiverEventQueue')),
      },
      { Effect: 'Allow', Action: 'cloudformation:DescribeStacks', Resource: { Ref: 'AWS::StackId' } },
    ]);
  });

  it('adds the key: decrypt for archived objects, and a data key for the queue', () => {
    const { template, statements } = statementsOf('grantReplay', withKey);
    expect(statements.at(-1)).toEqual({
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: arn(logicalIdOf(template, 'AWS::KMS::Key', 'Key')),
    });
  });

  it('fails on a receiver without an archive', () => {
    expect(() => statementsOf('grantReplay', () => ({ archive: false }))).toThrow(
      'Grants/Receiver has no archive (archive: false): there is nothing to replay',
    );
  });
});

describe('grantRedrive', () => {
  it('lets the grantee move messages from the dead-letter queue to the queue (releasing what it held) and watch the task', () => {
    const { template, statements } = statementsOf('grantRedrive');
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'sqs:CancelMessageMoveTask',
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:ListMessageMoveTasks',
          'sqs:ReceiveMessage',
          'sqs:StartMessageMoveTask',
        ],
        Resource: arn(logicalIdOf(template, 'AWS::SQS::Queue', 'ReceiverDeadLetterQueue')),
      },
      {
        Effect: 'Allow',
        Action: ['sqs:GetQueueAttributes', 'sqs:SendMessage'],
        Resource: arn(logicalIdOf(template, 'AWS::SQS::Queue', 'ReceiverEventQueue')),
      },
      { Effect: 'Allow', Action: 'cloudformation:DescribeStacks', Resource: { Ref: 'AWS::StackId' } },
    ]);
  });

  it('adds the queues’ key: decrypt from the dead-letter queue, a data key for the queue', () => {
    const { template, statements } = statementsOf('grantRedrive', withKey);
    expect(statements.at(-1)).toEqual({
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: arn(logicalIdOf(template, 'AWS::KMS::Key', 'Key')),
    });
  });
});

describe('grantReadConnections', () => {
  it('lets the grantee read connection items and query the index by client reference id, and decrypt', () => {
    const { template, statements } = statementsOf('grantReadConnections', withKey);
    const table = logicalIdOf(template, 'AWS::DynamoDB::Table', 'ReceiverConnectionsTable');
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'],
        Resource: arn(table),
      },
      {
        Effect: 'Allow',
        Action: 'dynamodb:Query',
        Resource: { 'Fn::Join': ['', [arn(table), '/index/byClientReferenceId']] },
      },
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: arn(logicalIdOf(template, 'AWS::KMS::Key', 'Key')),
      },
    ]);
  });
});

describe('metric methods', () => {
  const stack = new Stack(newApp(), 'Metrics');
  const receiver = new OFAuthWebhookReceiver(stack, 'Receiver');
  const service = (fn: string) => ({ service: `Metrics-Receiver-${fn}` });

  it.each([
    ['metricEventsEnqueued', 'EventsEnqueued', 'verifier'],
    ['metricSignatureRejections', 'SignatureRejections', 'verifier'],
    ['metricProcessingFailures', 'ProcessingFailures', 'processor'],
  ] as const)('%s reads this receiver’s own %s, summed over 5 minutes', (method, metricName, fn) => {
    const metric = receiver[method]();
    expect([metric.namespace, metric.metricName, metric.dimensions, metric.statistic]).toEqual([
      'OFAuthWebhooks',
      metricName,
      service(fn),
      'Sum',
    ]);
    expect(metric.period.toMinutes()).toBe(5);
    expect(receiver[method]({ period: Duration.minutes(1) }).period.toMinutes()).toBe(1);
  });

  it('reads the queues’ own SQS metrics for dead-letter messages and the oldest message', () => {
    const dlq = receiver.metricDeadLetterMessages();
    const oldest = receiver.metricOldestMessageAge();
    expect([dlq.namespace, dlq.metricName, dlq.statistic]).toEqual([
      'AWS/SQS',
      'ApproximateNumberOfMessagesVisible',
      'Maximum',
    ]);
    expect(dlq.dimensions).toEqual({ QueueName: receiver.deadLetterQueue.queueName });
    expect([oldest.metricName, oldest.dimensions]).toEqual([
      'ApproximateAgeOfOldestMessage',
      { QueueName: receiver.queue.queueName },
    ]);
  });

  it('sums the processed events of every event type of this receiver only', () => {
    const processed = receiver.metricEventsProcessed() as MathExpression;
    expect(processed.expression).toBe(
      `SUM(SEARCH('{OFAuthWebhooks,eventType,service} MetricName="EventsProcessed" service="Metrics-Receiver-processor"', 'Sum', 300))`,
    );
  });

  it('gives metrics a consumer can alarm on in its own stack', () => {
    receiver
      .metricProcessingFailures()
      .createAlarm(stack, 'ConsumerAlarm', { threshold: 1, evaluationPeriods: 1 });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ProcessingFailures',
      Dimensions: [{ Name: 'service', Value: 'Metrics-Receiver-processor' }],
    });
  });
});
