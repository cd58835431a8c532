/**
 * Clients for the emulators started by the jest global setup, and a fresh set of tables and
 * queues per test file, so that files running in parallel never share state.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import {
  createLocalResources,
  type LocalResourceOptions,
  type LocalResources,
} from '../../local/resources.ts';

function endpoint(name: 'TEST_DYNAMODB_ENDPOINT' | 'TEST_SQS_ENDPOINT'): string {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `${name} is not set: run the tests through jest (npm test), whose global setup starts the emulators`,
    );
  return value;
}

/** A DynamoDB client for DynamoDB Local. */
export function testDynamoDbClient(): DynamoDBClient {
  return new DynamoDBClient({ endpoint: endpoint('TEST_DYNAMODB_ENDPOINT'), region: 'us-east-1' });
}

/** An SQS client for fauxqs. */
export function testSqsClient(): SQSClient {
  return new SQSClient({ endpoint: endpoint('TEST_SQS_ENDPOINT'), region: 'us-east-1' });
}

/** An S3 client for fauxqs's S3 (path-style, as the emulator needs). */
export function testS3Client(): S3Client {
  return new S3Client({ endpoint: endpoint('TEST_SQS_ENDPOINT'), region: 'us-east-1', forcePathStyle: true });
}

/** Creates uniquely named tables, queues and an archive bucket for one test file. */
export async function createTestResources(options: LocalResourceOptions = {}): Promise<
  LocalResources & {
    readonly dynamodb: DynamoDBClient;
    readonly sqs: SQSClient;
    readonly s3: S3Client;
    readonly archiveBucketName: string;
  }
> {
  const dynamodb = testDynamoDbClient();
  const sqs = testSqsClient();
  const s3 = testS3Client();
  const resources = await createLocalResources(
    { dynamodb, sqs, s3 },
    { prefix: `t-${randomUUID().slice(0, 8)}`, ...options },
  );
  return { ...resources, archiveBucketName: resources.archive!, dynamodb, sqs, s3 };
}
