/**
 * SDK clients shared by everything the processor runs, created once per execution environment.
 * Locally, `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_SQS` point the same clients at the
 * emulators.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The DynamoDB document client: plain JavaScript values in and out, `undefined` fields dropped so
 * that optional event fields never fail a write.
 */
export const documentClient: DynamoDBDocumentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});

let sqsClient: SQSClient | undefined;

/**
 * The SQS client, for putting poison messages on the dead-letter queue: created on first use, as
 * most execution environments never reject a message.
 */
export function getSqsClient(): SQSClient {
  sqsClient ??= new SQSClient({});
  return sqsClient;
}
