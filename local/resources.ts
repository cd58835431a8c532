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
  const tables = {
    ledgerTableName: `${prefix}-ledger`,
    connectionsTableName: `${prefix}-connections`,
    processedEventsTableName: `${prefix}-processed-events`,
  };
  const archiveBucketName = clients.s3 ? `${prefix}-archive` : undefined;
  await Promise.all([
    createTables(clients.dynamodb, tables),
    clients.s3 && archiveBucketName ? createBucket(clients.s3, archiveBucketName) : undefined,
  ]);
  const queues = await createQueues(clients.sqs, prefix, options);
  return {
    ledgerTableName: tables.ledgerTableName,
    connectionsTableName: tables.connectionsTableName,
    ...queues,
    processedEventsTableName: tables.processedEventsTableName,
    ...(archiveBucketName && { archive: archiveBucketName }),
  };
}

/** The three tables, each with the key schema the code reads (`resource-definitions.ts`). */
async function createTables(
  dynamodb: DynamoDBClient,
  names: { ledgerTableName: string; connectionsTableName: string; processedEventsTableName: string },
): Promise<void> {
  const keyedBy = (TableName: string, partitionKey: string) =>
    createTable(
      dynamodb,
      new CreateTableCommand({
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: partitionKey, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' }],
      }),
    );
  const byReference = CONNECTIONS_TABLE.byClientReferenceIdIndex;
  await Promise.all([
    keyedBy(names.processedEventsTableName, PROCESSED_EVENTS_TABLE.partitionKey),
    keyedBy(names.ledgerTableName, LEDGER_TABLE.partitionKey),
    createTable(
      dynamodb,
      new CreateTableCommand({
        TableName: names.connectionsTableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: CONNECTIONS_TABLE.partitionKey, AttributeType: 'S' },
          { AttributeName: byReference.partitionKey, AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: CONNECTIONS_TABLE.partitionKey, KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: byReference.name,
            KeySchema: [
              { AttributeName: byReference.partitionKey, KeyType: 'HASH' },
              { AttributeName: byReference.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    ),
  ]);
}

/** The FIFO event queue and its dead-letter queue (created first: the redrive policy names it). */
async function createQueues(
  sqs: SQSClient,
  prefix: string,
  options: LocalResourceOptions,
): Promise<{ queueUrl: string; deadLetterQueueUrl: string }> {
  const visibilityTimeoutSeconds =
    options.visibilityTimeoutSeconds ??
    EVENT_QUEUE.visibilityTimeoutFactor * EVENT_QUEUE.defaultProcessorTimeoutSeconds;
  const queueAttributes = fifoQueueAttributes({
    visibilityTimeoutSeconds,
    ...(options.maxMessageSizeBytes !== undefined && { maxMessageSizeBytes: options.maxMessageSizeBytes }),
  });
  const dlq = await sqs.send(
    new CreateQueueCommand({ QueueName: `${prefix}-events-dlq.fifo`, Attributes: queueAttributes }),
  );
  const dlqAttributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const queue = await sqs.send(
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
    queueUrl: await reachableQueueUrl(sqs, queue.QueueUrl!),
    deadLetterQueueUrl: await reachableQueueUrl(sqs, dlq.QueueUrl!),
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
