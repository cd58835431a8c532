/**
 * The claim's own retry: the AWS SDK sends a request again when its answer was lost (a timeout,
 * a dropped connection, a 5xx). When the first UpdateItem did land, the retry meets the lease it
 * wrote itself; the claim must know its own lease and go on, not answer the sender 409 for a
 * delivery no other request holds. Against DynamoDB Local.
 */
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { clientConfig } from '../../lambda/verifier/aws-clients.ts';
import { DynamoDbEventRecords } from '../../lambda/verifier/event-records.ts';
import { createTestResources } from '../support/emulators.ts';

let tableName: string;
const dynamodb = new DynamoDBClient({
  ...clientConfig(),
  endpoint: process.env.TEST_DYNAMODB_ENDPOINT,
  region: 'us-east-1',
});

beforeAll(async () => {
  tableName = (await createTestResources()).processedEventsTableName;
});

afterAll(() => dynamodb.destroy());

/** A client whose first UpdateItem lands but whose answer is lost, so it is sent again. */
function clientThatLosesTheFirstAnswer(): DynamoDBClient {
  let lost = false;
  return {
    send: async (command: UpdateItemCommand) => {
      if (command instanceof UpdateItemCommand && !lost) {
        lost = true;
        await dynamodb.send(command);
      }
      return dynamodb.send(command);
    },
  } as unknown as DynamoDBClient;
}

const claim = (eventKey: string) => ({
  eventKey,
  eventType: 'connection.updated',
  connectionId: 'conn_retry',
  signatureScheme: 'svix' as const,
  receivedAt: new Date().toISOString(),
  leaseMs: 5_000,
});

describe('a claim whose first write landed but whose answer was lost', () => {
  it('is granted on the retry that meets its own lease, once', async () => {
    // GIVEN a record store whose client sends the claim twice, the first landing unseen
    const records = new DynamoDbEventRecords({ tableName, client: clientThatLosesTheFirstAnswer() });
    // WHEN it claims a new key
    const granted = await records.claim(claim('msg_claim_retry_1'));
    // THEN the claim is its own: granted, one delivery counted
    expect(granted).toMatchObject({ status: 'claimed', deliveries: 1 });
  });

  it('rejects a second request for the key while that lease is live', async () => {
    // GIVEN a key claimed by one request
    const records = new DynamoDbEventRecords({ tableName, client: dynamodb });
    await records.claim(claim('msg_claim_retry_2'));
    // WHEN another request claims it while the lease is live
    // THEN that one is told the delivery is in flight
    await expect(records.claim(claim('msg_claim_retry_2'))).rejects.toMatchObject({ statusCode: 409 });
  });
});
