import {
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { sendReplay } from '../../cli/replay-send.ts';
import { SqsDeadLetterQueue } from '../../lambda/processor/dead-letters.ts';
import { PoisonEventError } from '../../lambda/processor/poison.ts';
import type { EventHandler, EventHandlers } from '../../lambda/processor/router.ts';
import type { RealtimeEvent } from '../../lambda/shared/event-model.ts';
import { toSqsRecord } from '../../local/poller.ts';
import { connectionEvent } from '../fixtures/events.ts';
import { type CapturedOutput, captureStdout } from '../fixtures/output.ts';
import {
  lambdaContext,
  redrivenRecord,
  replayedRecord,
  sqsEvent,
  sqsRecord,
} from '../fixtures/sqs-events.ts';
import { createTestResources } from '../support/emulators.ts';
import { emulatorProcessor, processedRecord } from './processor-harness.ts';

const MAX_RECEIVE_COUNT = 3;
const TTL_SECONDS = 72 * 3600;

let resources: Awaited<ReturnType<typeof createTestResources>>;
let documents: DynamoDBDocumentClient;
let output: CapturedOutput;
/** Event ids (and replay marks) of each handler run, in order. */
const runs: string[] = [];
/** What the handler does per connection id: fail with an error, or run. */
const behaviour = new Map<string, () => Error | undefined>();

beforeAll(async () => {
  resources = await createTestResources({ maxReceiveCount: MAX_RECEIVE_COUNT });
  documents = DynamoDBDocumentClient.from(resources.dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  process.env.PROCESSED_EVENTS_TABLE_NAME = resources.processedEventsTableName;
  process.env.PROCESSED_EVENT_TTL_SECONDS = String(TTL_SECONDS);
  process.env.MAX_RECEIVE_COUNT = String(MAX_RECEIVE_COUNT);
});

afterAll(() => {
  delete process.env.PROCESSED_EVENTS_TABLE_NAME;
  delete process.env.PROCESSED_EVENT_TTL_SECONDS;
  delete process.env.MAX_RECEIVE_COUNT;
});

beforeEach(() => {
  output = captureStdout();
  runs.length = 0;
  behaviour.clear();
});
afterEach(() => output.restore());

/** Connections whose handler makes a write DynamoDB refuses (an empty key). */
const refusedWrites = new Set<string>();

const onUpdated: EventHandler<RealtimeEvent<'connection.updated'>> = async (event, context) => {
  runs.push(context.replay ? `${context.eventId} (replay)` : context.eventId);
  const error = behaviour.get(event.data.connection.id)?.();
  if (error) throw error;
  if (refusedWrites.has(event.data.connection.id)) {
    await context.dynamodb.send(
      new PutCommand({ TableName: resources.connectionsTableName, Item: { pk: '' } }),
    );
  }
};

/** A processor as deployed: its record store from the environment, a dead-letter queue on fauxqs. */
function processor() {
  const handle = emulatorProcessor(resources, documents, {
    handlers: { 'connection.updated': onUpdated } as Partial<EventHandlers>,
    deadLetterQueue: new SqsDeadLetterQueue({
      queueUrl: resources.deadLetterQueueUrl,
      client: () => resources.sqs,
    }),
  });
  return (...records: SQSRecord[]) => handle(sqsEvent(...records), lambdaContext());
}

let counter = 0;
/** A connection.updated of a connection of its own, with a unique event key. */
function newEvent(receiveCount = 1) {
  counter += 1;
  const connectionId = `conn_rec_${Date.now()}_${counter}`;
  const eventKey = `msg_rec_${Date.now()}_${counter}`;
  const record = sqsRecord({
    body: connectionEvent('connection.updated', { connectionId, permissions: ['p1'] }),
    eventKey,
    receivedAt: '2026-01-05T10:00:00.000Z',
  });
  return {
    connectionId,
    eventKey,
    record: {
      ...record,
      attributes: { ...record.attributes, ApproximateReceiveCount: String(receiveCount) },
    },
  };
}

const item = (eventKey: string) => processedRecord(resources, documents, eventKey);

const isoTime = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
/** An expiry TTL_SECONDS after the processor's write, which happened within the last minute. */
const extendedExpiry = () => {
  const expected = Math.floor(Date.now() / 1000) + TTL_SECONDS;
  return {
    asymmetricMatch: (value: unknown) =>
      typeof value === 'number' && value <= expected && value > expected - 60,
    toString: () => `an expiry near ${expected}`,
  };
};

describe('what the record holds', () => {
  it('after a success: the verifier claim kept, one attempt, processed, the TTL extended', async () => {
    // GIVEN an event the verifier claimed an hour ago, with a TTL from then
    const { eventKey, connectionId, record } = newEvent();
    const claimedExpiry = Math.floor(Date.now() / 1000) - 3600 + TTL_SECONDS;
    await documents.send(
      new PutCommand({
        TableName: resources.processedEventsTableName,
        Item: {
          eventKey,
          eventType: 'connection.updated',
          connectionId,
          signatureScheme: 'svix',
          receivedAt: '2026-01-05T10:00:00.000Z',
          deliveries: 1,
          expiresAt: claimedExpiry,
        },
      }),
    );
    // WHEN the processor handles it
    const response = await processor()(record);
    // THEN the record keeps the claim and adds the run; its expiry moved on from the claim's
    expect(response.batchItemFailures).toEqual([]);
    const saved = await item(eventKey);
    expect(saved).toEqual({
      eventKey,
      eventType: 'connection.updated',
      connectionId,
      signatureScheme: 'svix',
      receivedAt: '2026-01-05T10:00:00.000Z',
      deliveries: 1,
      attempts: 1,
      firstAttemptAt: isoTime,
      lastAttemptAt: isoTime,
      processedAt: isoTime,
      expiresAt: extendedExpiry(),
    });
    expect(saved?.expiresAt).toBeGreaterThan(claimedExpiry);
  });

  it('after a failure: the attempt and its error, cleared once a retry succeeds', async () => {
    // GIVEN an event whose handler fails the first time (no verifier claim: an older message)
    const { eventKey, connectionId, record } = newEvent();
    behaviour.set(connectionId, () => new Error('registry unavailable'));
    // WHEN it is processed
    const failed = await processor()(record);
    // THEN it is retried, and the record holds the attempt and its error, not processed
    expect(failed.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(await item(eventKey)).toEqual({
      eventKey,
      eventType: 'connection.updated',
      connectionId,
      attempts: 1,
      firstAttemptAt: isoTime,
      lastAttemptAt: isoTime,
      lastError: 'Error: registry unavailable',
      expiresAt: extendedExpiry(),
    });
    // WHEN the second receive succeeds
    behaviour.delete(connectionId);
    const retry = { ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } };
    await processor()(retry);
    // THEN two attempts, processed, the error gone
    const saved = await item(eventKey);
    expect(saved).toMatchObject({ attempts: 2, processedAt: isoTime });
    expect(saved).not.toHaveProperty('lastError');
  });

  it('after the last failed attempt: dead-lettered by max_receive_count, the error cut to 1024 characters', async () => {
    // GIVEN an event at its last receive whose handler fails with a very long message
    const { eventKey, connectionId, record } = newEvent(MAX_RECEIVE_COUNT);
    behaviour.set(connectionId, () => new Error('x'.repeat(5000)));
    // WHEN it is processed
    await processor()(record);
    // THEN the record says SQS moves it to the dead-letter queue, and keeps 1024 characters of the error
    const saved = await item(eventKey);
    expect(saved).toMatchObject({
      attempts: 1,
      deadLetteredAt: isoTime,
      deadLetterReason: 'max_receive_count',
    });
    expect(saved?.lastError).toHaveLength(1024);
    expect(saved?.lastError).toMatch(/^Error: x+…$/);
  });

  it('after a failure before the last receive: not dead-lettered', async () => {
    const { eventKey, connectionId, record } = newEvent(MAX_RECEIVE_COUNT - 1);
    behaviour.set(connectionId, () => new Error('boom'));
    await processor()(record);
    expect(await item(eventKey)).not.toHaveProperty('deadLetteredAt');
  });

  it('after a poison event: dead-lettered with the rejection reason', async () => {
    // GIVEN a handler that rejects the event as poison
    const { eventKey, connectionId, record } = newEvent();
    behaviour.set(connectionId, () => new PoisonEventError('unsupported permission set'));
    // WHEN it is processed
    const response = await processor()(record);
    // THEN it is acknowledged (on the dead-letter queue) and the record says why
    expect(response.batchItemFailures).toEqual([]);
    expect(await item(eventKey)).toMatchObject({
      attempts: 1,
      deadLetteredAt: isoTime,
      deadLetterReason: 'rejected_by_handler',
      lastError: expect.stringContaining('unsupported permission set'),
    });
  });

  it('after a write DynamoDB refuses: dead-lettered as rejected_by_dynamodb', async () => {
    // GIVEN a handler whose write DynamoDB Local refuses (ValidationException: an empty key)
    const { eventKey, connectionId, record } = newEvent();
    refusedWrites.add(connectionId);
    // WHEN it is processed
    const response = await processor()(record);
    // THEN it is acknowledged (on the dead-letter queue) and the record says why
    expect(response.batchItemFailures).toEqual([]);
    expect(await item(eventKey)).toMatchObject({
      attempts: 1,
      deadLetteredAt: isoTime,
      deadLetterReason: 'rejected_by_dynamodb',
      lastError: expect.any(String),
    });
  });

  it('after a body that is no event: dead-lettered with its reason, under the event key', async () => {
    const eventKey = `msg_rec_bad_${Date.now()}`;
    const record = sqsRecord({ body: '{not json', eventKey, groupId: 'g' });
    await processor()(record);
    expect(await item(eventKey)).toMatchObject({ deadLetteredAt: isoTime, deadLetterReason: 'invalid_json' });
  });

  it('after an event whose data fails its schema: dead-lettered under its key, with the type the verifier read', async () => {
    // GIVEN a connection.updated without its connection: the envelope parses, the data does not
    const eventKey = `msg_rec_data_${Date.now()}`;
    const body = { type: 'connection.updated', timestamp: '2026-01-05T10:00:00Z', data: {} };
    const record = sqsRecord({ body, eventKey, groupId: 'g' });
    // WHEN it is processed
    await processor()(record);
    // THEN the record holds its fate and its type, from the message's eventType attribute
    expect(await item(eventKey)).toMatchObject({
      eventType: 'connection.updated',
      deadLetteredAt: isoTime,
      deadLetterReason: 'invalid_data',
    });
  });
});

describe('a second copy of an event key', () => {
  it('a redrive of a processed event does not run its handler again', async () => {
    const { eventKey, record } = newEvent();
    await processor()(record);
    await processor()(redrivenRecord(record));
    expect(runs).toEqual([eventKey]);
  });

  it('a redrive of an event whose last attempt failed runs it, and then it is processed', async () => {
    // GIVEN an event that failed its last attempt (SQS moved it)
    const { eventKey, connectionId, record } = newEvent(MAX_RECEIVE_COUNT);
    behaviour.set(connectionId, () => new Error('boom'));
    await processor()(record);
    // WHEN the bug is fixed and it is redriven
    behaviour.delete(connectionId);
    const redriven = redrivenRecord(record);
    await processor()({ ...redriven, attributes: { ...redriven.attributes, ApproximateReceiveCount: '1' } });
    // THEN it ran again, and the record says processed
    expect(runs).toEqual([eventKey, eventKey]);
    expect(await item(eventKey)).toMatchObject({ attempts: 2, processedAt: isoTime });
  });

  it('a late duplicate past the deduplication window (a new message of the same key) is skipped', async () => {
    const { eventKey, record } = newEvent();
    await processor()(record);
    const late = sqsRecord({ body: record.body, eventKey, messageId: `late-${eventKey}` });
    const response = await processor()(late);
    expect(response.batchItemFailures).toEqual([]);
    expect(runs).toEqual([eventKey]);
    expect(output.logs('duplicate event skipped: its handler already succeeded')).toHaveLength(1);
  });

  it('a replay runs once more and is recorded under its replay id; a second replay runs again', async () => {
    // GIVEN a processed event
    const { eventKey, record } = newEvent();
    await processor()(record);
    const processedAt = (await item(eventKey))?.processedAt;
    // WHEN it is replayed by replay run r1, then by replay run r2
    await processor()(replayedRecord(record, undefined, 'r1'));
    await processor()(replayedRecord(record, undefined, 'r2'));
    // THEN each replay ran once, and each is recorded; the original processing time stays
    expect(runs).toEqual([eventKey, `${eventKey} (replay)`, `${eventKey} (replay)`]);
    expect(await item(eventKey)).toMatchObject({
      processedAt,
      attempts: 3,
      replays: { r1: isoTime, r2: isoTime },
    });
  });

  it('a replay that failed, then succeeded: recorded under its replay id, its error cleared, the first and a later one', async () => {
    // GIVEN a processed event
    const { eventKey, connectionId, record } = newEvent();
    await processor()(record);
    for (const replayId of ['r1', 'r2']) {
      // WHEN replay run replayId fails once
      const replay = replayedRecord(record, undefined, replayId);
      behaviour.set(connectionId, () => new Error(`replay ${replayId} failed`));
      await processor()(replay);
      expect(await item(eventKey)).toMatchObject({ lastError: `Error: replay ${replayId} failed` });
      // AND its message comes again and succeeds
      behaviour.clear();
      await processor()(replay);
      // THEN the replay is recorded and the error is gone (r1 creates the map of replays, r2 adds to it)
      const saved = await item(eventKey);
      expect(saved?.replays).toHaveProperty(replayId, isoTime);
      expect(saved).not.toHaveProperty('lastError');
    }
  });

  it('a replay followed by a redrive of the same replayed message does not run it twice', async () => {
    // GIVEN a processed event, replayed by r1
    const { eventKey, record } = newEvent();
    await processor()(record);
    const replay = replayedRecord(record, undefined, 'r1');
    await processor()(replay);
    // WHEN the same replayed message comes back (a redrive from the dead-letter queue)
    await processor()(redrivenRecord(replay));
    // THEN the replay ran once
    expect(runs).toEqual([eventKey, `${eventKey} (replay)`]);
  });

  it('a replay of an earlier release (no replay id) runs, and records nothing', async () => {
    const { eventKey, record } = newEvent();
    await processor()(record);
    await processor()(replayedRecord(record, undefined, null));
    expect(runs).toEqual([eventKey, `${eventKey} (replay)`]);
    expect(await item(eventKey)).not.toHaveProperty('replays');
    // Nothing was even tried: no write failed
    expect(JSON.stringify(output.metrics())).not.toContain('ProcessedRecordWriteFailures');
  });
});

describe('a replay through the queue (fauxqs)', () => {
  /** Receives the next message of `queueUrl`, with every attribute. */
  async function receive(queueUrl: string): Promise<Message> {
    const { Messages } = await resources.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 1,
        WaitTimeSeconds: 2,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    expect(Messages).toHaveLength(1);
    const message = Messages![0]!;
    // Acknowledged at once, as the processor's success would: the next message of its group follows.
    await resources.sqs.send(
      new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }),
    );
    return message;
  }

  it('carries its replay id, so its redrive (the same message sent back) does not run again', async () => {
    // GIVEN a processed event, replayed with the CLI's sender to the real queue
    const { eventKey, connectionId, record } = newEvent();
    await processor()(record);
    await sendReplay(
      resources.sqs,
      resources.queueUrl,
      [
        [
          {
            eventKey,
            eventType: 'connection.updated',
            connectionId,
            receivedAt: '2026-01-05T10:00:00.000Z',
            signatureScheme: 'ofauth',
            body: record.body,
          },
        ],
      ],
      { replayId: 'q1', replayedAt: new Date() },
    );
    const replayed = await receive(resources.queueUrl);
    await processor()(toSqsRecord(replayed, 'arn:aws:sqs:us-east-1:000000000000:q', 'us-east-1'));
    // WHEN the same message is sent back to the queue, as a redrive keeps its body and attributes
    await resources.sqs.send(
      new SendMessageCommand({
        QueueUrl: resources.queueUrl,
        MessageBody: replayed.Body!,
        MessageGroupId: replayed.Attributes!.MessageGroupId!,
        MessageDeduplicationId: `redrive-${replayed.MessageId}`,
        MessageAttributes: replayed.MessageAttributes!,
      }),
    );
    const redriven = await receive(resources.queueUrl);
    await processor()(toSqsRecord(redriven, 'arn:aws:sqs:us-east-1:000000000000:q', 'us-east-1'));
    // THEN the replay ran once, recorded under q1
    expect(runs).toEqual([eventKey, `${eventKey} (replay)`]);
    expect(await item(eventKey)).toMatchObject({ replays: { q1: isoTime } });
  });
});
