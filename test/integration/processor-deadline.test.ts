/**
 * The kit's own AWS calls honour the invocation's deadline (`HandlerContext.signal`), against
 * DynamoDB Local and fauxqs: each call made with an aborted signal fails without reaching the
 * emulator, and a default handler that meets the deadline hands its event back, writing nothing.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ConnectionRegistry } from '../../lambda/processor/connections.ts';
import { rejectedMessage, SqsDeadLetterQueue } from '../../lambda/processor/dead-letters.ts';
import { defaultHandlers } from '../../lambda/processor/default-handlers/index.ts';
import { DynamoDbEventRecords } from '../../lambda/processor/event-records.ts';
import { createProcessorHandler } from '../../lambda/processor/handler.ts';
import { UnprocessableMessageError } from '../../lambda/processor/queued-event.ts';
import { RulesStore } from '../../lambda/processor/rules.ts';
import type { RealtimeEvent } from '../../lambda/shared/event-model.ts';
import { connectionEvent, rulesUpdatedEvent, typedEvent } from '../fixtures/events.ts';
import { testLogger } from '../fixtures/handler-context.ts';
import { type CapturedOutput, captureStdout } from '../fixtures/output.ts';
import { connectionUpdatedRecord, lambdaContext, sqsEvent, sqsRecord } from '../fixtures/sqs-events.ts';
import { createTestResources } from '../support/emulators.ts';

let resources: Awaited<ReturnType<typeof createTestResources>>;
let documents: DynamoDBDocumentClient;
let output: CapturedOutput;

beforeAll(async () => {
  resources = await createTestResources();
  documents = DynamoDBDocumentClient.from(resources.dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
});
beforeEach(() => {
  output = captureStdout();
});
afterEach(() => output.restore());

/** A signal aborted as the deadline aborts it. */
function abortedSignal(): AbortSignal {
  const controller = new AbortController();
  controller.abort(new DOMException("the invocation's deadline is near", 'TimeoutError'));
  return controller.signal;
}

/** How the SDK fails a call whose signal aborted: an AbortError carrying the deadline's reason. */
const ABORTED = { name: 'AbortError', message: expect.stringMatching(/deadline is near/) };

const itemsOf = async (tableName: string) =>
  (await documents.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ?? [];

const position = (eventId: string, signal: AbortSignal) => ({
  eventId,
  eventTime: new Date('2024-01-15T10:30:00Z'),
  sequenceNumber: '18000000000000000001',
  signal,
});

describe("the kit's AWS calls under an aborted deadline signal", () => {
  it('writes neither a connection nor the rules, and reads neither', async () => {
    const { connectionsTableName } = await createTestResources();
    const registry = new ConnectionRegistry({ tableName: connectionsTableName, client: documents });
    const rules = new RulesStore({ tableName: connectionsTableName, client: documents });
    const connection = typedEvent<'connection.updated'>(
      connectionEvent('connection.updated', { connectionId: 'conn_deadline' }),
    );
    const rulesEvent = typedEvent<'rules.updated'>(rulesUpdatedEvent({ revision: 'r1' }));
    await expect(registry.apply(connection, position('e1', abortedSignal()))).rejects.toMatchObject(ABORTED);
    await expect(rules.apply(rulesEvent, position('e2', abortedSignal()))).rejects.toMatchObject(ABORTED);
    await expect(registry.get('conn_deadline', { signal: abortedSignal() })).rejects.toMatchObject(ABORTED);
    await expect(rules.getLatest({ signal: abortedSignal() })).rejects.toMatchObject(ABORTED);
    expect(await itemsOf(connectionsTableName)).toEqual([]);
  });

  it('neither reads nor writes the event record', async () => {
    const { processedEventsTableName } = await createTestResources();
    const records = new DynamoDbEventRecords({
      tableName: processedEventsTableName,
      ttlSeconds: 3_600,
      client: documents,
    });
    const event = { eventKey: 'e1', eventType: 'connection.updated' };
    await expect(records.markProcessed(event, abortedSignal())).rejects.toMatchObject(ABORTED);
    await expect(records.markFailed(event, new Error('x'), true, abortedSignal())).rejects.toMatchObject(
      ABORTED,
    );
    await expect(records.markDeadLettered(event, 'r', 'x', abortedSignal())).rejects.toMatchObject(ABORTED);
    await expect(records.markReplayed(event, 'r1', abortedSignal())).rejects.toMatchObject(ABORTED);
    await expect(records.read('e1', abortedSignal())).rejects.toMatchObject(ABORTED);
    expect(await itemsOf(processedEventsTableName)).toEqual([]);
  });

  it('sends nothing to the dead-letter queue', async () => {
    const queue = new SqsDeadLetterQueue({
      queueUrl: resources.deadLetterQueueUrl,
      client: () => resources.sqs,
    });
    const record = sqsRecord({ body: 'not json', messageId: 'deadline-poison', groupId: 'g' });
    const message = rejectedMessage(record, new UnprocessableMessageError('invalid_json', 'not JSON'));
    await expect(queue.send(message, abortedSignal())).rejects.toMatchObject(ABORTED);
    const received = await resources.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: resources.deadLetterQueueUrl, WaitTimeSeconds: 1 }),
    );
    expect(received.Messages ?? []).toEqual([]);
  });
});

describe('a default handler that meets the deadline', () => {
  it('hands its event back and leaves the registry as it was', async () => {
    // GIVEN 150 ms left, a 100 ms margin, and the default connection.updated handler called only
    // once the deadline has passed (a handler whose own work took too long)
    const { connectionsTableName } = await createTestResources();
    const handle = createProcessorHandler({
      connectionsTableName,
      dynamodb: documents,
      logger: testLogger(),
      metrics: new Metrics({ namespace: 'OFAuthWebhooks', serviceName: 'ofauth-processor' }),
      archive: false,
      processedEvents: false,
      deadlineMarginMs: 100,
      handlers: {
        'connection.updated': async (event: RealtimeEvent<'connection.updated'>, context) => {
          await new Promise((resolve) => context.signal.addEventListener('abort', resolve));
          await defaultHandlers['connection.updated'](event, context);
        },
      },
    });
    // WHEN one event is processed
    const response = await handle(
      sqsEvent(connectionUpdatedRecord('A', 1)),
      lambdaContext({ getRemainingTimeInMillis: () => 150 }),
    );
    // THEN its registry write was aborted: the event comes back, and nothing was written
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'A-1' }]);
    expect(output.logs('event failed')).toEqual([
      expect.objectContaining({
        error: expect.objectContaining(ABORTED),
      }),
    ]);
    expect(await itemsOf(connectionsTableName)).toEqual([]);
  });
});
