/**
 * Creates the tables, queues and archive bucket of the stack inside the emulators, from the same
 * definitions the CDK construct uses (`lambda/shared/resource-definitions.ts`).
 */
import { CreateTableCommand, type DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { BucketAlreadyOwnedByYou, CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  CONNECTIONS_TABLE,
  EVENT_QUEUE,
  fifoQueueAttributes,
  LEDGER_TABLE,
  PROCESSED_EVENTS_TABLE,
} from '../lambda/shared/resource-definitions.ts';

/** Names and URLs of the resources created by {@link createLocalResources}. */
export interface LocalResources {
  readonly ledgerTableName: string;
  readonly connectionsTableName: string;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  /** The processed-events record's table. */
  readonly processedEventsTableName: string;
  /** The archive bucket, when an S3 client was given. */
  readonly archive?: string;
}

/** Options for {@link createLocalResources}. */
export interface LocalResourceOptions {
  /** Prefix for every name, so that several pipelines can share one emulator. @default 'ofauth' */
  readonly prefix?: string;
  /** @default EVENT_QUEUE.defaultMaxReceiveCount */
  readonly maxReceiveCount?: number;
  /** @default 6 × the processor's default timeout */
  readonly visibilityTimeoutSeconds?: number;
  /** @default EVENT_QUEUE.defaultMaxMessageSizeBytes */
  readonly maxMessageSizeBytes?: number;
}

/**
 * Creates the event record's (processed-events), connections and ledger tables (the ledger no
 * function uses any more, kept as the stack keeps it), the FIFO queue with its dead-letter
 * queue and, given an S3 client, the archive bucket. Existing resources with the same names are
 * reused.
 */
export async function createLocalResources(
  clients: { readonly dynamodb: DynamoDBClient; readonly sqs: SQSClient; readonly s3?: S3Client },
  options: LocalResourceOptions = {},
): Promise<LocalResources> {
  const prefix = options.prefix ?? 'ofauth';
  const ledgerTableName = `${prefix}-ledger`;
  const connectionsTableName = `${prefix}-connections`;
  const processedEventsTableName = `${prefix}-processed-events`;
  const archiveBucketName = clients.s3 ? `${prefix}-archive` : undefined;
  await Promise.all([
    createTable(
      clients.dynamodb,
      new CreateTableCommand({
        TableName: processedEventsTableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: PROCESSED_EVENTS_TABLE.partitionKey, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: PROCESSED_EVENTS_TABLE.partitionKey, KeyType: 'HASH' }],
      }),
    ),
    clients.s3 && archiveBucketName ? createBucket(clients.s3, archiveBucketName) : undefined,
    createTable(
      clients.dynamodb,
      new CreateTableCommand({
        TableName: ledgerTableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: LEDGER_TABLE.partitionKey, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: LEDGER_TABLE.partitionKey, KeyType: 'HASH' }],
      }),
    ),
    createTable(
      clients.dynamodb,
      new CreateTableCommand({
        TableName: connectionsTableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: CONNECTIONS_TABLE.partitionKey, AttributeType: 'S' },
          { AttributeName: CONNECTIONS_TABLE.byClientReferenceIdIndex.partitionKey, AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: CONNECTIONS_TABLE.partitionKey, KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: CONNECTIONS_TABLE.byClientReferenceIdIndex.name,
            KeySchema: [
              { AttributeName: CONNECTIONS_TABLE.byClientReferenceIdIndex.partitionKey, KeyType: 'HASH' },
              { AttributeName: CONNECTIONS_TABLE.byClientReferenceIdIndex.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    ),
  ]);

  const visibilityTimeoutSeconds =
    options.visibilityTimeoutSeconds ??
    EVENT_QUEUE.visibilityTimeoutFactor * EVENT_QUEUE.defaultProcessorTimeoutSeconds;
  const queueAttributes = fifoQueueAttributes({
    visibilityTimeoutSeconds,
    ...(options.maxMessageSizeBytes !== undefined && { maxMessageSizeBytes: options.maxMessageSizeBytes }),
  });
  const dlq = await clients.sqs.send(
    new CreateQueueCommand({ QueueName: `${prefix}-events-dlq.fifo`, Attributes: queueAttributes }),
  );
  const dlqAttributes = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const queue = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: `${prefix}-events.fifo`,
      Attributes: {
        ...queueAttributes,
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqAttributes.Attributes?.QueueArn,
          maxReceiveCount: options.maxReceiveCount ?? EVENT_QUEUE.defaultMaxReceiveCount,
        }),
      },
    }),
  );
  return {
    ledgerTableName,
    connectionsTableName,
    queueUrl: await reachableQueueUrl(clients.sqs, queue.QueueUrl!),
    deadLetterQueueUrl: await reachableQueueUrl(clients.sqs, dlq.QueueUrl!),
    processedEventsTableName,
    ...(archiveBucketName && { archive: archiveBucketName }),
  };
}

async function createBucket(s3: S3Client, bucketName: string): Promise<void> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucketName }));
  } catch (error) {
    if (!(error instanceof BucketAlreadyOwnedByYou)) throw error;
  }
}

/**
 * fauxqs answers queue URLs on `sqs.<region>.localhost`, a name most systems do not resolve, and
 * an SQS client whose endpoint comes from `AWS_ENDPOINT_URL_SQS` (as the handlers' do) sends each
 * call to its QueueUrl's host. Pointing the URL at the emulator's own address keeps every client
 * working; fauxqs finds a queue by the name in the path.
 */
async function reachableQueueUrl(sqs: SQSClient, queueUrl: string): Promise<string> {
  const endpoint = await sqs.config.endpoint?.();
  if (!endpoint) return queueUrl;
  const url = new URL(queueUrl);
  url.protocol = endpoint.protocol;
  url.hostname = endpoint.hostname;
  url.port = endpoint.port === undefined ? '' : String(endpoint.port);
  return url.toString();
}

async function createTable(client: DynamoDBClient, command: CreateTableCommand): Promise<void> {
  try {
    await client.send(command);
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
}
