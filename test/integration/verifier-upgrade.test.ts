/**
 * Upgrading a stack deployed from the previous release: its processed-events table is the event
 * record's table, and its items are records already; the old idempotency ledger's items
 * (Powertools keys `ofauth#event#<md5>`) are no longer read. Against DynamoDB Local and fauxqs,
 * with the new verifier and the processor's read of the record: nothing is lost, nothing that
 * was processed runs again.
 */
import { createHash } from 'node:crypto';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbEventRecords } from '../../lambda/processor/event-records.ts';
import { fateOf } from '../../lambda/shared/event-record.ts';
import { answerBody, fixtureBody, lambdaContext, svixDelivery } from '../support/signing.ts';
import { drainQueue, startVerifierRig, type VerifierRig } from './verifier-harness.ts';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';

let rig: VerifierRig;
let ledgerTableName: string;

beforeAll(async () => {
  rig = await startVerifierRig();
  // The ledger table of the previous release sits beside the record's (local/resources.ts keeps it).
  ledgerTableName = rig.recordTableName.replace(/-processed-events$/, '-ledger');
});

afterAll(async () => {
  await rig.stop();
});

afterEach(async () => {
  await drainQueue(rig.sqs, rig.queueUrl);
});

const inAnHour = () => String(Math.floor(Date.now() / 1000) + 3600);

/** An item the previous release's processor wrote once the handler of `eventKey` succeeded. */
async function oldProcessedItem(eventKey: string): Promise<void> {
  await rig.dynamodb.send(
    new PutItemCommand({
      TableName: rig.recordTableName,
      Item: {
        eventKey: { S: eventKey },
        expiresAt: { N: inAnHour() },
        eventType: { S: 'connection.updated' },
        processedAt: { S: new Date(Date.now() - 60_000).toISOString() },
      },
    }),
  );
}

/** An item the previous release's verifier wrote in its Powertools ledger for a handed-on key. */
async function oldLedgerItem(eventKey: string, status: 'COMPLETED' | 'INPROGRESS'): Promise<void> {
  const md5 = createHash('md5').update(JSON.stringify(eventKey)).digest('hex');
  await rig.dynamodb.send(
    new PutItemCommand({
      TableName: ledgerTableName,
      Item: {
        id: { S: `ofauth#event#${md5}` },
        expiration: { N: inAnHour() },
        status: { S: status },
        ...(status === 'COMPLETED' && { data: { S: '{"handedOn":true}' } }),
      },
    }),
  );
}

const eventRecords = () =>
  new DynamoDbEventRecords({
    tableName: rig.recordTableName,
    ttlSeconds: 72 * 3600,
    client: DynamoDBDocumentClient.from(rig.dynamodb),
  });

describe('upgrading from the release with a Powertools ledger and a processed-events table', () => {
  it('answers a retry of an event the old processor processed as a duplicate, and sends nothing', async () => {
    // GIVEN an event handed on by the old verifier and processed by the old processor
    await oldLedgerItem('msg_upgrade_processed', 'COMPLETED');
    await oldProcessedItem('msg_upgrade_processed');
    // WHEN the sender retries it against the new verifier
    const result = await rig.handler(
      svixDelivery({ body: fixtureBody('connection.updated'), id: 'msg_upgrade_processed' }),
      lambdaContext(),
    );
    // THEN the old item reads as a processed record: a duplicate, nothing queued, nothing re-run
    expect(result.statusCode).toBe(200);
    expect(answerBody(result)).toEqual({ received: true, duplicate: true });
    expect(await drainQueue(rig.sqs, rig.queueUrl)).toHaveLength(0);
  });

  it('claims anew an event the old ledger holds but no processor finished, so that it is not lost', async () => {
    // GIVEN events the old verifier claimed: one handed on (still queued), one whose send never happened
    await oldLedgerItem('msg_upgrade_queued', 'COMPLETED');
    await oldLedgerItem('msg_upgrade_unsent', 'INPROGRESS');
    // WHEN the sender retries both against the new verifier
    const answers = [];
    for (const id of ['msg_upgrade_queued', 'msg_upgrade_unsent']) {
      answers.push(
        await rig.handler(svixDelivery({ body: fixtureBody('connection.updated'), id }), lambdaContext()),
      );
    }
    // THEN both are handed on (a copy of the queued one is dropped by SQS's deduplication inside
    // 5 minutes, or skipped by the processor's read of the record after it)
    expect(answers.map((a) => a.statusCode)).toEqual([202, 202]);
    const keys = (await drainQueue(rig.sqs, rig.queueUrl)).map((m) => m.Attributes?.MessageDeduplicationId);
    expect(keys.sort()).toEqual(['msg_upgrade_queued', 'msg_upgrade_unsent']);
  });

  it('lets the processor tell a claim from a processed event, old or new', async () => {
    // GIVEN an old processed item, and a new verifier's claim of another key
    await oldProcessedItem('msg_upgrade_old_done');
    await rig.handler(
      svixDelivery({ body: fixtureBody('connection.updated'), id: 'msg_upgrade_claimed' }),
      lambdaContext(),
    );
    const store = eventRecords();
    const fate = async (key: string) => {
      const record = await store.read(key);
      return record && fateOf(record);
    };
    // THEN the processor skips the processed one and runs the claimed one
    expect(await fate('msg_upgrade_old_done')).toBe('processed');
    expect(await fate('msg_upgrade_claimed')).toBe('received');
    // AND once it recorded the claimed one as processed, a late copy of it is skipped
    await store.markProcessed({ eventKey: 'msg_upgrade_claimed', eventType: 'connection.updated' });
    expect(await fate('msg_upgrade_claimed')).toBe('processed');
  });
});
