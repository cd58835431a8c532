/**
 * The archive (bucket, Firehose stream, alarms) and the processed-events table: what they are,
 * that they keep their logical IDs, and that each can be switched off from props and context.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { readReceiverContext } from '../../bin/receiver-app.ts';
import { METRICS_NAMESPACE, PROCESSOR_METRICS } from '../../lambda/shared/metrics.ts';
import { PROCESSED_EVENTS_TABLE } from '../../lambda/shared/resource-definitions.ts';
import { InvalidReceiverPropsError, OFAuthWebhookReceiver, STACK_OUTPUTS } from '../../lib/index.ts';
import { logicalIdOf, newApp, synthStack } from './support/synth.ts';

let template: Template;
let ids: { bucket: string; stream: string; role: string; logGroup: string; processedEvents: string };

beforeAll(() => {
  // GIVEN the receiver stack with every default
  ({ template } = synthStack());
  ids = {
    bucket: logicalIdOf(template, 'AWS::S3::Bucket', 'ReceiverArchiveBucket'),
    stream: logicalIdOf(template, 'AWS::KinesisFirehose::DeliveryStream', 'ReceiverArchiveDeliveryStream'),
    role: logicalIdOf(template, 'AWS::IAM::Role', 'ReceiverArchiveDeliveryRole'),
    logGroup: logicalIdOf(template, 'AWS::Logs::LogGroup', 'ReceiverArchiveDeliveryLogGroup'),
    processedEvents: logicalIdOf(template, 'AWS::DynamoDB::Table', 'ReceiverProcessedEventsTable'),
  };
});

const resource = (id: string) => template.toJSON().Resources[id];

describe('the archive bucket', () => {
  it('keeps its logical ID and the processed-events table its own (a change would replace them)', () => {
    expect({ bucket: ids.bucket, processedEvents: ids.processedEvents }).toEqual({
      bucket: 'ReceiverArchiveBucket64B827B4',
      processedEvents: 'ReceiverProcessedEventsTable9A27C497',
    });
  });

  it('is private, encrypted, owner-enforced and retained by default', () => {
    expect(resource(ids.bucket)).toMatchObject({
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      },
    });
  });

  it('denies every request without TLS 1.2', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: ids.bucket },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
          }),
        ]),
      },
    });
  });

  it('expires events and delivery errors after the retention, 30 days by default', () => {
    expect(resource(ids.bucket).Properties.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Prefix: 'events/', ExpirationInDays: 30, Status: 'Enabled' }),
        expect.objectContaining({ Prefix: 'errors/', ExpirationInDays: 30, Status: 'Enabled' }),
        expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
      ]),
    );
  });

  it('takes its retention from props, and empties itself on delete with removal policy destroy', () => {
    const { template: custom } = synthStack({
      receiver: { archiveRetention: Duration.days(7), removalPolicy: RemovalPolicy.DESTROY },
    });
    const bucket = Object.values(custom.findResources('AWS::S3::Bucket'))[0]!;
    expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([expect.objectContaining({ Prefix: 'events/', ExpirationInDays: 7 })]),
    );
    expect(bucket.DeletionPolicy).toBe('Delete');
    custom.resourceCountIs('Custom::S3AutoDeleteObjects', 1);
  });

  it.each([
    ['zero days', Duration.days(0)],
    ['a fraction of a day', Duration.hours(36)],
    ['more than ten years', Duration.days(3651)],
  ])('rejects an archive retention of %s', (_case, archiveRetention) => {
    const stack = new Stack(newApp(), 'Props');
    expect(() => new OFAuthWebhookReceiver(stack, 'Receiver', { archiveRetention })).toThrow(
      InvalidReceiverPropsError,
    );
    expect(
      () => new OFAuthWebhookReceiver(new Stack(newApp(), 'P2'), 'Receiver', { archiveRetention }),
    ).toThrow(/archiveRetention must be whole days from 1 to 3650/);
  });
});

describe('the archive delivery stream', () => {
  it('is a Direct PUT stream, encrypted, that buffers into the bucket under the shared layout', () => {
    expect(resource(ids.stream).Properties).toEqual({
      DeliveryStreamType: 'DirectPut',
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      ExtendedS3DestinationConfiguration: {
        BucketARN: { 'Fn::GetAtt': [ids.bucket, 'Arn'] },
        RoleARN: { 'Fn::GetAtt': [ids.role, 'Arn'] },
        Prefix: 'events/!{timestamp:yyyy/MM/dd/HH}/',
        ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/',
        FileExtension: '.jsonl',
        CompressionFormat: 'UNCOMPRESSED',
        // 60 seconds or 5 MiB, as docs/archive-and-replay.md promises about replay's delay.
        BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 5 },
        CloudWatchLoggingOptions: {
          Enabled: true,
          LogGroupName: { Ref: ids.logGroup },
          LogStreamName: 'S3Delivery',
        },
      },
    });
  });

  it('is created after its role policy, which Firehose checks on creation', () => {
    const policy = logicalIdOf(template, 'AWS::IAM::Policy', 'ReceiverArchiveDeliveryRoleDefaultPolicy');
    expect(resource(ids.stream).DependsOn).toEqual(expect.arrayContaining([policy, ids.role]));
  });
});

describe('the archive alarms', () => {
  const freshness = () => ({
    Namespace: 'AWS/Firehose',
    MetricName: 'DeliveryToS3.DataFreshness',
    Dimensions: [{ Name: 'DeliveryStreamName', Value: { Ref: ids.stream } }],
    Statistic: 'Maximum',
    Period: 300,
  });
  const archiveAlarm = (t: Template, start: string) => {
    const found = Object.values(t.findResources('AWS::CloudWatch::Alarm')).filter((alarm) =>
      String(alarm.Properties.AlarmDescription).startsWith(start),
    );
    expect(found).toHaveLength(1);
    return found[0]!.Properties as Record<string, unknown>;
  };

  it("alarm on the processor's archive failures", () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRICS_NAMESPACE,
      MetricName: PROCESSOR_METRICS.archiveFailures,
      Dimensions: [{ Name: 'service', Value: 'Receiver-Receiver-processor' }],
      Statistic: 'Sum',
      Threshold: 1,
    });
  });

  it('alarm when Firehose has not delivered for 15 minutes, and say that it drops records after 24 hours', () => {
    // Firehose retries an S3 destination for 24 hours, then drops the records: only failed
    // transformations or format conversions (neither is configured here) go under errors/.
    const stale = archiveAlarm(template, 'Firehose has held archived events for over 15 minutes');
    expect(stale).toMatchObject({
      ...freshness(),
      Threshold: 900,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
    });
    expect(stale.AlarmDescription).toMatch(/drops them after 24 hours/);
    expect(stale.AlarmDescription).not.toMatch(/writes them under errors\//);
  });

  it('alarm again when Firehose has held records for 12 hours, half of the 24 before it drops them', () => {
    // A second state change, so the topic is told again while half the window is left.
    const late = archiveAlarm(template, 'Firehose has held archived events for 12 hours');
    expect(late).toMatchObject({
      ...freshness(),
      Threshold: 12 * 3600,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(late.AlarmDescription).toMatch(/drops them at 24 hours/);
    expect(late.AlarmDescription).toMatch(/docs\/runbook\.md "Archive failing"/);
  });

  it('are held by the monitoring, with its other alarms', () => {
    const { stack } = synthStack();
    const held = stack.receiver.monitoring.alarms.map((alarm) => alarm.node.id);
    expect(held).toEqual(
      expect.arrayContaining(['ArchiveFailures', 'ArchiveDeliveryStale', 'ArchiveRecordsAboutToBeDropped']),
    );
    expect(held).toHaveLength(17);
  });

  it('notify the alarm topic when there is one', () => {
    const { template: withEmail } = synthStack({ receiver: { alarmEmail: 'oncall@example.com' } });
    const archiveAlarms = Object.values(withEmail.findResources('AWS::CloudWatch::Alarm')).filter((alarm) =>
      String(alarm.Properties.AlarmDescription).includes('"Archive failing"'),
    );
    expect(archiveAlarms).toHaveLength(3);
    for (const alarm of archiveAlarms) {
      expect(alarm.Properties.AlarmActions).toEqual([
        { Ref: expect.stringMatching(/^ReceiverMonitoringAlarmTopic/) },
      ]);
      expect(alarm.Properties.OKActions).toHaveLength(1);
    }
  });
});

describe('the processed-events table', () => {
  it('is on-demand, encrypted, recoverable, retained, keyed by event key with a TTL', () => {
    expect(resource(ids.processedEvents)).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: PROCESSED_EVENTS_TABLE.partitionKey, KeyType: 'HASH' }],
        TimeToLiveSpecification: { AttributeName: PROCESSED_EVENTS_TABLE.ttlAttribute, Enabled: true },
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      },
    });
  });

  it('remembers a key as long as the ledger does', () => {
    const { template: custom } = synthStack({ receiver: { ledgerTtl: Duration.hours(96) } });
    const processor = Object.entries(custom.findResources('AWS::Lambda::Function')).find(([id]) =>
      id.startsWith('ReceiverProcessor'),
    )![1];
    expect(processor.Properties.Environment.Variables.PROCESSED_EVENT_TTL_SECONDS).toBe(String(96 * 3600));
  });
});

describe('switches and outputs', () => {
  it('outputs the archive bucket and the processed-events table for the CLI', () => {
    template.hasOutput(STACK_OUTPUTS.archiveBucketName, { Value: { Ref: ids.bucket } });
    template.hasOutput(STACK_OUTPUTS.processedEventsTableName, { Value: { Ref: ids.processedEvents } });
  });

  it('creates no bucket, stream, variable or output of the archive when it is switched off', () => {
    // GIVEN archive: false
    const { template: off } = synthStack({ receiver: { archive: false } });
    // THEN nothing of it exists, and the processor's environment does not name it
    off.resourceCountIs('AWS::S3::Bucket', 0);
    off.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 0);
    off.resourceCountIs('AWS::CloudWatch::Alarm', 14);
    const processor = Object.entries(off.findResources('AWS::Lambda::Function')).find(([id]) =>
      id.startsWith('ReceiverProcessor'),
    )![1];
    expect(Object.keys(processor.Properties.Environment.Variables)).toEqual(
      expect.not.arrayContaining(['ARCHIVE_STREAM_NAME', 'ARCHIVE_BUCKET_NAME']),
    );
    expect(Object.keys(off.toJSON().Outputs)).toEqual(
      expect.not.arrayContaining([STACK_OUTPUTS.archiveBucketName]),
    );
  });

  it('keeps the event record, with a warning, when the deprecated processedEventRecord is false', () => {
    // GIVEN processedEventRecord: false (earlier releases then created no processed-events table)
    const { template: off, stack } = synthStack({ receiver: { processedEventRecord: false } });
    // THEN the record's table is there and both functions name it, since the verifier claims in it
    off.resourceCountIs('AWS::DynamoDB::Table', 3);
    for (const [id, fn] of Object.entries(off.findResources('AWS::Lambda::Function'))) {
      if (!/^Receiver(Verifier|Processor)[0-9A-F]{8}$/.test(id)) continue;
      expect(Object.keys(fn.Properties.Environment.Variables)).toContain('PROCESSED_EVENTS_TABLE_NAME');
    }
    // AND synthesis says that the prop is ignored
    const warnings = Annotations.fromStack(stack).findWarning(
      '*',
      Match.stringLikeRegexp('processedEventRecord'),
    );
    expect(warnings).toHaveLength(1);
  });

  it('reads archive, archiveRetentionDays and processedEventRecord from context', () => {
    const read = (context: Record<string, unknown>) => readReceiverContext((key) => context[key]);
    expect(
      read({ archive: 'false', archiveRetentionDays: '7', processedEventRecord: false }).stackProps.receiver,
    ).toEqual({
      archive: false,
      archiveRetention: Duration.days(7),
      processedEventRecord: false,
    });
    expect(() => read({ archiveRetentionDays: '0' })).toThrow(
      'context archiveRetentionDays must be a positive number, got "0"',
    );
  });
});
