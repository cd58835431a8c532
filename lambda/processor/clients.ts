/**
 * SDK clients shared by everything the processor runs, created once per execution environment.
 * Locally, `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_SQS` point the same clients at the
 * emulators.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DOCUMENT_TRANSLATION } from '../shared/document-translation.ts';

/**
 * The DynamoDB document client: plain JavaScript values in and out, translated as
 * `DOCUMENT_TRANSLATION` says (numbers stay numbers, `undefined` fields are dropped).
 */
export const documentClient: DynamoDBDocumentClient = DynamoDBDocumentClient.from(
  new DynamoDBClient({}),
  DOCUMENT_TRANSLATION,
);

let sqsClient: SQSClient | undefined;

/**
 * The SQS client, for putting poison messages on the dead-letter queue: created on first use, as
 * most execution environments never reject a message.
 */
export function getSqsClient(): SQSClient {
  sqsClient ??= new SQSClient({});
  return sqsClient;
}
