import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { EVENT_SOURCE } from '../../lambda/processor/event-bus.ts';
import type { EventHandlers } from '../../lambda/processor/router.ts';
import { REPLAY_ATTRIBUTES } from '../../lambda/shared/queue-message.ts';
import { type LocalEventBus, startLocalEventBus } from '../../local/event-bus.ts';
import { connectionEvent, deliveryBody, unknownEvent } from '../fixtures/events.ts';
import { type CapturedOutput, captureStdout } from '../fixtures/output.ts';
import { lambdaContext, replayedRecord, sqsEvent, sqsRecord } from '../fixtures/sqs-events.ts';
import { createTestResources } from '../support/emulators.ts';
import { emulatorProcessor, processedRecord } from './processor-harness.ts';

const BUS = 'orders-bus';

let resources: Awaited<ReturnType<typeof createTestResources>>;
let documents: DynamoDBDocumentClient;
let bus: LocalEventBus;
let output: CapturedOutput;
/** Event ids of each handler run, in order. */
const runs: string[] = [];
/** The event queue's maxReceiveCount, as the stack passes it. */
const MAX_RECEIVE_COUNT = 3;

beforeAll(async () => {
  resources = await createTestResources();
  documents = DynamoDBDocumentClient.from(resources.dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  bus = await startLocalEventBus();
  process.env.PROCESSED_EVENTS_TABLE_NAME = resources.processedEventsTableName;
  process.env.EVENT_BUS_NAME = BUS;
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = bus.endpoint;
  process.env.MAX_RECEIVE_COUNT = String(MAX_RECEIVE_COUNT);
});

afterAll(async () => {
  delete process.env.PROCESSED_EVENTS_TABLE_NAME;
  delete process.env.EVENT_BUS_NAME;
  delete process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;
  delete process.env.MAX_RECEIVE_COUNT;
  await bus.stop();
});

beforeEach(() => {
  output = captureStdout();
  runs.length = 0;
});
afterEach(() => output.restore());

/** A processor as deployed: its record store and its publisher from the environment. */
function processor() {
  const handle = emulatorProcessor(resources, documents, {
    handlers: {
      'connection.updated': async (_event, context) => {
        runs.push(context.eventId);
      },
    } as Partial<EventHandlers>,
    onUnknownEvent: async (_event, context) => {
      runs.push(context.eventId);
    },
  });
  return (...records: SQSRecord[]) => handle(sqsEvent(...records), lambdaContext());
}

let counter = 0;
/** A connection.updated of a connection of its own, with a unique event key. */
function newEvent() {
  counter += 1;
  const connectionId = `conn_bus_${Date.now()}_${counter}`;
  const eventKey = `msg_bus_${Date.now()}_${counter}`;
  const record = sqsRecord({
    body: connectionEvent('connection.updated', {
      connectionId,
      permissions: ['p1'],
      timestamp: '2026-01-05T10:00:00Z',
    }),
    eventKey,
    receivedAt: '2026-01-05T10:00:01.000Z',
  });
  return { connectionId, eventKey, record };
}

const publishedWith = (eventKey: string) =>
  bus.events.filter((event) => (event.detail as { eventKey?: string }).eventKey === eventKey);

const item = (eventKey: string) => processedRecord(resources, documents, eventKey);

/** A replay of `record` by replay run `replayId`, sent with `replay --publish`. */
function publishingReplay(record: SQSRecord, replayId: string): SQSRecord {
  const replay = replayedRecord(record, undefined, replayId);
  replay.messageAttributes[REPLAY_ATTRIBUTES.publish] = { dataType: 'String', stringValue: 'true' };
  return replay;
}

describe('publishing handled events to the event bus', () => {
  it('publishes a handled event once with its source, type, time and detail, and records it', async () => {
    // GIVEN a connection.updated WHEN the processor handles it
    const { connectionId, eventKey, record } = newEvent();
    const response = await processor()(record);

    // THEN one entry reached the bus, with the documented fields
    expect(response.batchItemFailures).toEqual([]);
    expect(publishedWith(eventKey)).toEqual([
      expect.objectContaining({
        source: EVENT_SOURCE,
        detailType: 'connection.updated',
        time: '2026-01-05T10:00:00.000Z',
        eventBusName: BUS,
        detail: {
          event: expect.objectContaining({
            type: 'connection.updated',
            timestamp: '2026-01-05T10:00:00Z',
            connectionId,
            data: { connection: { id: connectionId, permissions: ['p1'] } },
          }),
          connectionId,
          eventKey,
          eventTime: '2026-01-05T10:00:00.000Z',
          eventTimeSource: 'envelope',
          receivedAt: '2026-01-05T10:00:01.000Z',
          replay: false,
        },
      }),
    ]);
    // AND the record's one update says processed and published
    expect(await item(eventKey)).toMatchObject({
      processedAt: expect.any(String),
      publishedAt: expect.any(String),
    });
  });

  it('publishes an event of an unknown type with its raw data', async () => {
    // GIVEN an event of a type this release does not know WHEN it is handled
    const eventKey = `msg_bus_unknown_${Date.now()}`;
    const record = sqsRecord({
      body: deliveryBody(unknownEvent('payout.created', 'conn_bus_unknown')),
      eventKey,
    });
    await processor()(record);

    // THEN it is published under its own type, data as sent
    const [published] = publishedWith(eventKey);
    expect(published).toMatchObject({
      detailType: 'payout.created',
      detail: { event: { type: 'payout.created' } },
    });
    expect((published!.detail as { event: { data: unknown } }).event.data).toEqual(
      JSON.parse(record.body).data,
    );
  });

  it('publishes once when the same batch is delivered again, or a late duplicate of the key arrives', async () => {
    // GIVEN a handled and published event
    const { eventKey, record } = newEvent();
    await processor()(record);

    // WHEN its batch comes back (a redelivery) and a new message of the same key arrives
    await processor()(record);
    await processor()({ ...record, messageId: `${record.messageId}-late` });

    // THEN the handler ran once and one entry reached the bus
    expect(runs).toEqual([eventKey]);
    expect(publishedWith(eventKey)).toHaveLength(1);
  });

  it('retries an entry that PutEvents failed in part, within the same attempt', async () => {
    // GIVEN a bus that fails the next entry (FailedEntryCount 1) WHEN an event is handled
    const { eventKey, record } = newEvent();
    bus.failNext(1);
    const response = await processor()(record);

    // THEN the publisher sent it again and it went through once
    expect(response.batchItemFailures).toEqual([]);
    expect(publishedWith(eventKey)).toHaveLength(1);
  });

  it('sends the entry again after PutEvents answered a server error', async () => {
    // GIVEN a bus that answers the next two calls 500 WHEN an event is handled
    const { eventKey, record } = newEvent();
    bus.failNext(2, 'error');
    const response = await processor()(record);

    // THEN the third attempt published it, once
    expect(response.batchItemFailures).toEqual([]);
    expect(publishedWith(eventKey)).toHaveLength(1);
  });

  it('fails the message when publishing keeps failing, and its retry only publishes', async () => {
    // GIVEN a bus that fails every attempt of the publisher (3) WHEN an event is handled
    const { eventKey, record } = newEvent();
    bus.failNext(3);
    const first = await processor()(record);

    // THEN the message fails (retried by SQS), and the record says handled, not processed
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(publishedWith(eventKey)).toHaveLength(0);
    expect(await item(eventKey)).toMatchObject({
      handledAt: expect.any(String),
      lastError: expect.stringContaining('ThrottlingException'),
    });
    expect(await item(eventKey)).not.toHaveProperty('processedAt');
    expect(await item(eventKey)).not.toHaveProperty('deadLetteredAt');
    expect(JSON.stringify(output.metrics())).toContain('"EventsNotPublished"');
    expect(JSON.stringify(output.metrics())).toContain('"EventsFailed"');
    expect(output.logs('event handled but not published to the event bus; it will be retried')).toHaveLength(
      1,
    );

    // WHEN SQS delivers it again
    const second = await processor()(record);

    // THEN it is published once, without running the handler a second time
    expect(second.batchItemFailures).toEqual([]);
    expect(runs).toEqual([eventKey]);
    expect(publishedWith(eventKey)).toHaveLength(1);
    expect(await item(eventKey)).toMatchObject({
      processedAt: expect.any(String),
      publishedAt: expect.any(String),
    });
  });

  it('records a publish that failed at the last receive as dead-lettered by max_receive_count', async () => {
    // GIVEN an event at the queue's last receive, and a bus that fails every attempt
    const { eventKey, record } = newEvent();
    const last = {
      ...record,
      attributes: { ...record.attributes, ApproximateReceiveCount: String(MAX_RECEIVE_COUNT) },
    };
    bus.failNext(3);
    // WHEN it is handled
    const response = await processor()(last);
    // THEN the message fails, and the record says handled, not published, and that SQS moves it
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(await item(eventKey)).toMatchObject({
      handledAt: expect.any(String),
      deadLetteredAt: expect.any(String),
      deadLetterReason: 'max_receive_count',
      lastError: expect.stringContaining('ThrottlingException'),
    });
    expect(await item(eventKey)).not.toHaveProperty('publishedAt');
  });

  it('leaves the record of a processed event alone when a replay of it could not be published', async () => {
    // GIVEN a handled and published event, replayed with --publish while the bus fails every attempt
    const { eventKey, record } = newEvent();
    await processor()(record);
    const replay = publishingReplay(record, 'replay-fails');
    bus.failNext(3);
    // WHEN the replay is processed
    const response = await processor()(replay);
    // THEN the replay fails, to be retried, and the record does not say the original's publish failed
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: replay.messageId }]);
    expect(await item(eventKey)).not.toHaveProperty('handledAt');
    expect(await item(eventKey)).not.toHaveProperty('lastError');
  });

  it('publishes a replay only when the operator asked for it (replay --publish)', async () => {
    // GIVEN a handled and published event
    const { eventKey, record } = newEvent();
    await processor()(record);

    // WHEN it is replayed without --publish
    await processor()(replayedRecord(record, undefined, 'replay-plain'));
    // THEN nothing more is published
    expect(publishedWith(eventKey)).toHaveLength(1);
    // WHEN it is replayed with --publish
    const withPublish = publishingReplay(record, 'replay-publish');
    await processor()(withPublish);

    // THEN both replays ran the handler, and only the second published (marked as a replay)
    expect(runs).toEqual([eventKey, eventKey, eventKey]);
    expect(publishedWith(eventKey).map((event) => (event.detail as { replay: boolean }).replay)).toEqual([
      false,
      true,
    ]);
  });
});
