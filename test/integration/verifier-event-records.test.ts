/**
 * The verifier's record store on DynamoDB Local, on the paths the hand-off tests do not take: a
 * claim without a connection, the in-flight answer's wait, an expired record replaced whole, a
 * released lease, rejections kept once per key and released, and a failing table.
 *
 * And the claim's own retry: the AWS SDK sends a request again when its answer was lost (a
 * timeout, a dropped connection, a 5xx). When the first UpdateItem did land, the retry meets the
 * lease it wrote itself; the claim must know its own lease and go on, not answer the sender 409
 * for a delivery no other request holds.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { EVENT_RECORD_ATTRIBUTES as A } from '../../lambda/shared/event-record.ts';
import { clientConfig } from '../../lambda/verifier/aws-clients.ts';
import { DeliveryInFlightError, DependencyError } from '../../lambda/verifier/errors.ts';
import { DynamoDbEventRecords, type RecordClaim } from '../../lambda/verifier/event-records.ts';
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

const TTL_SECONDS = 600;
const START = Date.parse('2026-12-07T10:00:00.000Z');

/** A store on the test table whose clock the test moves. */
function storeAt(startMs = START) {
  let now = startMs;
  const records = new DynamoDbEventRecords({
    tableName,
    client: dynamodb,
    ttlSeconds: TTL_SECONDS,
    clock: () => now,
  });
  return { records, advance: (ms: number) => (now += ms) };
}

const claimOf = (overrides: Partial<RecordClaim> = {}): RecordClaim => ({
  eventKey: `msg_records_${randomUUID()}`,
  eventType: 'connection.updated',
  connectionId: 'conn_records',
  signatureScheme: 'svix',
  receivedAt: new Date(START).toISOString(),
  leaseMs: 10_000,
  ...overrides,
});

async function stored(eventKey: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await dynamodb.send(
    new GetItemCommand({
      TableName: tableName,
      Key: { [A.eventKey]: { S: eventKey } },
      ConsistentRead: true,
    }),
  );
  return Item && unmarshall(Item);
}

describe('the verifier’s event records on DynamoDB', () => {
  it('claims an event without a connection (rules.updated), storing no connection id', async () => {
    const { records } = storeAt();
    const claim = claimOf({ eventType: 'rules.updated', connectionId: undefined });
    await expect(records.claim(claim)).resolves.toMatchObject({ status: 'claimed', deliveries: 1 });
    const item = await stored(claim.eventKey);
    expect(item).toMatchObject({ eventType: 'rules.updated', signatureScheme: 'svix' });
    expect(item).not.toHaveProperty(A.connectionId);
  });

  it('rejects a claim while another holds the lease, saying how many whole seconds are left', async () => {
    // GIVEN a key claimed with a 10 s lease
    const { records, advance } = storeAt();
    const claim = claimOf();
    await records.claim(claim);
    // WHEN another request claims it 2.5 s later
    advance(2_500);
    // THEN it is told to retry after the 7.5 s left, rounded up
    const refused = await records.claim(claim).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DeliveryInFlightError);
    expect((refused as DeliveryInFlightError).retryAfterSeconds).toBe(8);
  });

  it('replaces an expired record whole: a new receipt, one delivery, a fresh lease, no old fate', async () => {
    // GIVEN a key claimed and processed, then its TTL passed (DynamoDB has not deleted it yet)
    const { records, advance } = storeAt();
    const claim = claimOf();
    await records.claim(claim);
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { [A.eventKey]: { S: claim.eventKey } },
        UpdateExpression: 'SET #processed = :at',
        ExpressionAttributeNames: { '#processed': A.processedAt },
        ExpressionAttributeValues: { ':at': { S: new Date(START + 1_000).toISOString() } },
      }),
    );
    const later = advance((TTL_SECONDS + 1) * 1000);
    const receivedAt = new Date(later).toISOString();
    // WHEN the key is delivered again
    const granted = await records.claim({ ...claim, receivedAt });
    // THEN it is claimed as new, and the stored record is the new claim's alone
    expect(granted).toEqual({
      status: 'claimed',
      receivedAt,
      leaseUntil: later + claim.leaseMs,
      deliveries: 1,
    });
    const item = await stored(claim.eventKey);
    expect(item).toMatchObject({
      receivedAt,
      connectionId: 'conn_records',
      deliveries: 1,
      leaseUntil: later + claim.leaseMs,
      [A.expiresAt]: Math.floor(later / 1000) + TTL_SECONDS,
    });
    expect(item).not.toHaveProperty(A.processedAt);
  });

  it('releases only its own lease: a wrong one changes nothing, its own lets a retry claim at once', async () => {
    const { records } = storeAt();
    const claim = claimOf();
    const granted = await records.claim(claim);
    if (granted.status !== 'claimed') throw new Error('not claimed');
    // WHEN a release names another lease, THEN it is silently ignored and the lease holds
    await records.release(claim.eventKey, granted.leaseUntil + 1);
    await expect(records.claim(claim)).rejects.toBeInstanceOf(DeliveryInFlightError);
    // WHEN it names its own, THEN the next delivery claims the key, counted as the second
    await records.release(claim.eventKey, granted.leaseUntil);
    await expect(records.claim(claim)).resolves.toMatchObject({ status: 'claimed', deliveries: 2 });
  });

  it('keeps a rejection once per key until its TTL, and again after a release or expiry', async () => {
    const { records, advance } = storeAt();
    const rejection = {
      eventKey: claimOf().eventKey,
      signatureScheme: 'ofauth' as const,
      receivedAt: new Date(START).toISOString(),
      reason: 'invalid_data',
    };
    const token = await records.claimRejection(rejection);
    expect(token).toBe(new Date(START).toISOString());
    // a second copy within the TTL is not kept again
    await expect(records.claimRejection(rejection)).resolves.toBeUndefined();
    // a release of another token changes nothing; of its own, frees the key
    await records.releaseRejection(rejection.eventKey, 'not-ours');
    await expect(records.claimRejection(rejection)).resolves.toBeUndefined();
    await records.releaseRejection(rejection.eventKey, token!);
    expect(await stored(rejection.eventKey)).not.toHaveProperty(A.rejectedAt);
    await expect(records.claimRejection(rejection)).resolves.toBe(new Date(START).toISOString());
    // past the TTL, the key's rejection is kept again
    advance((TTL_SECONDS + 1) * 1000);
    await expect(records.claimRejection(rejection)).resolves.toBeDefined();
  });

  it('fails with the record named as the dependency when the table cannot be written', async () => {
    const broken = {
      send: async () => Promise.reject(new Error('socket hang up')),
    } as unknown as DynamoDBClient;
    const records = new DynamoDbEventRecords({ tableName, client: broken });
    const claim = claimOf();
    for (const call of [
      () => records.claim(claim),
      () => records.release(claim.eventKey, 1),
      () => records.claimRejection({ ...claim, reason: 'invalid_data' }),
      () => records.releaseRejection(claim.eventKey, 'token'),
    ]) {
      const error = await call().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(DependencyError);
      expect(error).toMatchObject({ dependency: 'event-record' });
    }
  });
});

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

const retryClaim = (eventKey: string) => ({
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
    const granted = await records.claim(retryClaim('msg_claim_retry_1'));
    // THEN the claim is its own: granted, one delivery counted
    expect(granted).toMatchObject({ status: 'claimed', deliveries: 1 });
  });

  it('rejects a second request for the key while that lease is live', async () => {
    // GIVEN a key claimed by one request
    const records = new DynamoDbEventRecords({ tableName, client: dynamodb });
    await records.claim(retryClaim('msg_claim_retry_2'));
    // WHEN another request claims it while the lease is live
    // THEN that one is told the delivery is in flight
    await expect(records.claim(retryClaim('msg_claim_retry_2'))).rejects.toMatchObject({ statusCode: 409 });
  });
});
