/**
 * The event archive: every verified event, kept in the user's own account for a set retention, so
 * that `npm run cli -- replay` can run any window of past events through the processor again.
 *
 * The processor archives each batch before its handlers run, with one `PutRecordBatch` into a
 * Kinesis Data Firehose stream (off the sender's 10-second path: the verifier never waits for it).
 * Firehose buffers the records into S3 objects of JSON lines under `events/yyyy/MM/dd/HH/`
 * (`lambda/shared/archive-layout.ts`); a line over Firehose's 1,000 KiB record limit is put into
 * the same prefix by the processor itself. Cost and replay delay: docs/archive-and-replay.md.
 *
 * Firehose does not park what it cannot deliver. A Direct PUT stream keeps a record for 24 hours
 * and retries an S3 destination for as long; a record still undelivered then is dropped. Only
 * failed Lambda transformations and format conversions go under the `errors/` prefix, and this
 * stream has neither. Hence the monitoring's two alarms on `DeliveryToS3.DataFreshness`, long before
 * that (`monitoring/archive.ts`): the archive hands over its metrics, the monitoring wires alarms.
 */
import { ArnFormat, type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Metric, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, LogStream, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  ARCHIVE_ERRORS_PREFIX,
  ARCHIVE_EVENTS_PREFIX,
  FIREHOSE_ERRORS_PREFIX,
  FIREHOSE_EVENTS_PREFIX,
} from '../lambda/shared/archive-layout.ts';
import { PROCESSOR_ENVIRONMENT } from '../lambda/shared/deployment-names.ts';
import { ARCHIVE } from '../lambda/shared/resource-definitions.ts';

/** Properties of {@link ReceiverArchive}. */
export interface ReceiverArchiveProps {
  /**
   * How long archived events are kept (whole days, 1 to 3650): the bucket's lifecycle expiration.
   *
   * @default Duration.days(30)
   */
  readonly retention?: Duration;
  /**
   * What happens to the bucket (and its objects) when the stack is deleted.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Retention of the delivery stream's error log group.
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * A customer-managed KMS key for the bucket's objects (SSE-KMS with an S3 Bucket Key, so S3
   * calls KMS about once per object batch rather than per object). Firehose's role and a connected
   * processor get `kms:GenerateDataKey` on it through S3 only; whoever runs `replay` needs
   * `kms:Decrypt` on it. The stream's own short-lived buffer keeps Firehose's AWS-owned key.
   *
   * @default - S3-managed keys (SSE-S3)
   */
  readonly encryptionKey?: IKey;
}

/** The delivery stream's CloudWatch Logs stream for S3 delivery errors. */
const DELIVERY_LOG_STREAM = 'S3Delivery';

/**
 * A private, encrypted, TLS-only bucket with a lifecycle expiration, and the Firehose stream
 * (encrypted, with its own least-privilege role) that fills it.
 *
 * @example
 * const archive = new ReceiverArchive(this, 'Archive', { retention: Duration.days(30) });
 * archive.connectProcessor(processor);
 */
export class ReceiverArchive extends Construct {
  /** The bucket that holds the archive. */
  public readonly bucket: Bucket;
  /** The Firehose stream the processor writes to. */
  public readonly deliveryStream: CfnDeliveryStream;
  /** The role Firehose assumes to write into the bucket and its log stream. */
  public readonly deliveryRole: Role;
  /** Firehose's delivery error log group. */
  public readonly logGroup: LogGroup;
  /** How long events are kept. */
  public readonly retention: Duration;
  /** The key of the bucket's objects, when it is customer-managed. */
  public readonly encryptionKey?: IKey;

  constructor(scope: Construct, id: string, props: ReceiverArchiveProps = {}) {
    super(scope, id);
    this.retention = props.retention ?? Duration.days(ARCHIVE.defaultRetentionDays);
    const days = this.retention.toDays({ integral: false });
    if (!(Number.isInteger(days) && days >= 1 && days <= 3650)) {
      throw new Error(
        `archive retention must be whole days from 1 to 3650, got ${this.retention.toHumanString()}`,
      );
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (props.encryptionKey) this.encryptionKey = props.encryptionKey;
    this.bucket = this.buildBucket(days, removalPolicy);
    this.logGroup = new LogGroup(this, 'DeliveryLogGroup', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy,
    });
    new LogStream(this, 'DeliveryLogStream', {
      logGroup: this.logGroup,
      logStreamName: DELIVERY_LOG_STREAM,
      removalPolicy,
    });
    this.deliveryRole = this.buildDeliveryRole();
    this.deliveryStream = this.buildDeliveryStream();
  }

  /** The stream's name. */
  get deliveryStreamName(): string {
    return this.deliveryStream.ref;
  }

  /**
   * Lets a processor archive: its environment names the stream and the bucket, and its role may
   * `firehose:PutRecordBatch` on this stream and `s3:PutObject` under `events/` (long lines only).
   */
  connectProcessor(processor: LambdaFunction): void {
    processor.addEnvironment(PROCESSOR_ENVIRONMENT.archiveStreamName, this.deliveryStream.ref);
    processor.addEnvironment(PROCESSOR_ENVIRONMENT.archiveBucketName, this.bucket.bucketName);
    processor.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['firehose:PutRecordBatch'],
        resources: [this.deliveryStream.attrArn],
      }),
    );
    processor.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${ARCHIVE_EVENTS_PREFIX}*`)],
      }),
    );
    if (this.encryptionKey) processor.grantPrincipal.addToPrincipalPolicy(this.keyForS3Writes());
    Validations.of(processor.role ?? processor).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.logicalIdOf(this.bucket)}.Arn>/${ARCHIVE_EVENTS_PREFIX}*]`,
      reason:
        'The processor writes archive objects whose names it generates (hour prefix, time, random id) under the events/ prefix only; s3:PutObject cannot be scoped to names that do not exist yet. It has no read or delete access.',
    });
  }

  /**
   * How long the oldest record in the stream has waited to be delivered to S3, in seconds
   * (`DeliveryToS3.DataFreshness`, the maximum over 5 minutes). Firehose drops a record it could
   * not deliver for 24 hours; the monitoring's two archive alarms watch this.
   */
  metricDeliveryFreshness(): Metric {
    return this.firehoseMetric('DeliveryToS3.DataFreshness', Stats.MAXIMUM);
  }

  /** How many records the processor put into the stream (`IncomingRecords`, summed over 5 minutes). */
  metricIncomingRecords(): Metric {
    return this.firehoseMetric('IncomingRecords', Stats.SUM);
  }

  private firehoseMetric(metricName: string, statistic: string): Metric {
    return new Metric({
      namespace: 'AWS/Firehose',
      metricName,
      dimensionsMap: { DeliveryStreamName: this.deliveryStream.ref },
      statistic,
      period: Duration.minutes(5),
    });
  }

  private buildBucket(days: number, removalPolicy: RemovalPolicy): Bucket {
    const bucket = new Bucket(this, 'Bucket', {
      ...(this.encryptionKey
        ? { encryption: BucketEncryption.KMS, encryptionKey: this.encryptionKey, bucketKeyEnabled: true }
        : { encryption: BucketEncryption.S3_MANAGED }),
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      lifecycleRules: [
        { prefix: ARCHIVE_EVENTS_PREFIX, expiration: Duration.days(days) },
        { prefix: ARCHIVE_ERRORS_PREFIX, expiration: Duration.days(days) },
        { abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy,
      // A bucket that still holds objects cannot be deleted: with `destroy`, empty it first.
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Server access logs would need a second bucket (itself unlogged) for a bucket that only the delivery stream and the processor write and only replay reads; its objects are events the function logs already describe. Enable CloudTrail S3 data events for the account if object-level access must be audited.',
    });
    return bucket;
  }

  /**
   * Firehose's role: write objects under the two prefixes and list the bucket (the actions its
   * documentation asks for an S3 destination), and write its error log stream; assumable only by
   * Firehose on behalf of this account.
   */
  private buildDeliveryRole(): Role {
    const account = Stack.of(this).account;
    const role = new Role(this, 'DeliveryRole', {
      assumedBy: new ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'sts:ExternalId': account } },
      }),
      description: 'Lets the archive delivery stream write the archive bucket.',
    });
    const prefixes = [ARCHIVE_EVENTS_PREFIX, ARCHIVE_ERRORS_PREFIX];
    role.addToPolicy(
      new PolicyStatement({
        actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
        resources: prefixes.map((prefix) => this.bucket.arnForObjects(`${prefix}*`)),
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        resources: [this.bucket.bucketArn],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:PutLogEvents'],
        resources: [
          Stack.of(this).formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: `${this.logGroup.logGroupName}:log-stream:${DELIVERY_LOG_STREAM}`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    if (this.encryptionKey) role.addToPolicy(this.keyForS3Writes());
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.logicalIdOf(this.bucket)}.Arn>/${ARCHIVE_EVENTS_PREFIX}*]`,
      reason:
        'Firehose names each object itself (prefix, stream name, time, random id): object actions can only be granted under the events/ prefix, not on names known at deploy time.',
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.logicalIdOf(this.bucket)}.Arn>/${ARCHIVE_ERRORS_PREFIX}*]`,
      reason:
        'Firehose names each object itself, with the error type in its path: object actions can only be granted under the errors/ prefix, not on names known at deploy time.',
    });
    return role;
  }

  /**
   * Writing SSE-KMS objects into the bucket: a data key from the bucket's key (Firehose's multipart
   * uploads also decrypt it), only on S3's behalf in this region.
   */
  private keyForS3Writes(): PolicyStatement {
    return new PolicyStatement({
      effect: Effect.ALLOW,
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: [this.encryptionKey!.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } },
    });
  }

  private buildDeliveryStream(): CfnDeliveryStream {
    const stream = new CfnDeliveryStream(this, 'DeliveryStream', {
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
      extendedS3DestinationConfiguration: {
        bucketArn: this.bucket.bucketArn,
        roleArn: this.deliveryRole.roleArn,
        prefix: FIREHOSE_EVENTS_PREFIX,
        errorOutputPrefix: FIREHOSE_ERRORS_PREFIX,
        fileExtension: '.jsonl',
        compressionFormat: 'UNCOMPRESSED',
        bufferingHints: {
          intervalInSeconds: ARCHIVE.bufferIntervalSeconds,
          sizeInMBs: ARCHIVE.bufferSizeMiB,
        },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: this.logGroup.logGroupName,
          logStreamName: DELIVERY_LOG_STREAM,
        },
      },
    });
    // Firehose checks its role when the stream is created: the policy must exist first.
    stream.node.addDependency(this.deliveryRole);
    return stream;
  }

  /** The logical ID of a construct's resource, as cdk-nag names it in a finding. */
  private logicalIdOf(construct: Construct): string {
    const stack = Stack.of(this);
    return stack.resolve(stack.getLogicalId(construct.node.defaultChild as CfnElement)) as string;
  }
}
