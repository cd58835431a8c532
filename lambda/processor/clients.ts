/**
 * SDK clients shared by everything the processor runs, created once per execution environment.
 * Locally, `AWS_ENDPOINT_URL_DYNAMODB` points the same client at DynamoDB Local.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The DynamoDB document client: plain JavaScript values in and out, `undefined` fields dropped so
 * that optional event fields never fail a write.
 */
export const documentClient: DynamoDBDocumentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});
