/**
 * The processor handler over SQS FIFO batches: group skipping, order, bad bodies, unknown types,
 * the "event processed" log line and the metrics. Stores are fakes here; the registry itself is
 * tested against DynamoDB Local in test/integration/.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSEvent } from 'aws-lambda';
import type { ConnectionRegistry } from '../../lambda/processor/connections.ts';
import { defaultHandlers } from '../../lambda/processor/default-handlers/index.ts';
import { createProcessorHandler, type ProcessorHandlerOptions } from '../../lambda/processor/handler.ts';
import type { EventHandler, EventHandlers } from '../../lambda/processor/router.ts';
import type { RulesStore } from '../../lambda/processor/rules.ts';
import type { RealtimeEvent } from '../../lambda/shared/event-model.ts';
import { EVENT_TYPE_DIMENSION, PROCESSOR_METRICS } from '../../lambda/shared/metrics.ts';
import { MAX_REJECTION_DETAIL_CHARS } from '../../lambda/shared/queue-message.ts';
import {
  EXAMPLE_EVENT_TYPES,
  exampleEvent,
  fixtureEvent,
  inShape,
  SHAPES,
  sdkExampleEvent,
  translatedEvent,
  unknownEvent,
} from '../fixtures/events.ts';
import { FakeStore, RecordingDeadLetterQueue, testLogger } from '../fixtures/handler-context.ts';
import { type CapturedOutput, captureStdout } from '../fixtures/output.ts';
import { connectionUpdatedRecord, lambdaContext, sqsEvent, sqsRecord } from '../fixtures/sqs-events.ts';

let output: CapturedOutput;
beforeEach(() => {
  output = captureStdout();
});
afterEach(() => output.restore());

/** A processor over fake stores whose handlers record what they saw. */
function processorUnderTest(options: ProcessorHandlerOptions = {}) {
  const connections = new FakeStore();
  const rules = new FakeStore();
  const handle = createProcessorHandler({
    connections: connections as unknown as ConnectionRegistry,
    rules: rules as unknown as RulesStore,
    logger: testLogger(),
    metrics: new Metrics({ namespace: 'OFAuthWebhooks', serviceName: 'ofauth-processor' }),
    ...options,
  });
  return {
    connections,
    rules,
    run: (event: SQSEvent) => handle(event, lambdaContext()),
  };
}

/** A connection.updated for connection `group`, numbered `n` (in its permissions). */
const update = connectionUpdatedRecord;

/** Handlers that record `<connection>-<n>` for every connection.updated, failing on `fail`. */
function recordingUpdates(seen: string[], fail: ReadonlySet<string> = new Set()): Partial<EventHandlers> {
  const onUpdated: EventHandler<RealtimeEvent<'connection.updated'>> = (event) => {
    const id = `${event.data.connection.id}-${event.data.connection.permissions?.[0]?.slice(1)}`;
    if (fail.has(id)) throw new Error(`handler failed for ${id}`);
    seen.push(id);
  };
  return { 'connection.updated': onUpdated };
}

/** Bodies that can never become a valid event, with the reason the processor gives. */
const BAD_BODIES = [
  ['not JSON', '{"type":"connection.updated"', 'invalid_json'],
  ['JSON without a type', '{"data":{"connection":{"id":"A"}}}', 'missing_event_type'],
  [
    'a known type with invalid data',
    '{"type":"connection.updated","data":{"connection":{}}}',
    'invalid_data',
  ],
] as const;

describe('the processor handler', () => {
  it.each(SHAPES)('processes every documented example in the %s shape', async (shape) => {
    // GIVEN a batch with one of each documented example
    const { run, connections, rules } = processorUnderTest();
    const batch = sqsEvent(
      ...EXAMPLE_EVENT_TYPES.map((type) => ({ body: inShape(exampleEvent(type), shape) })),
    );
    // WHEN it is processed
    const response = await run(batch);
    // THEN nothing fails, the registry and rules saw their events, and each event logged one line
    expect(response).toEqual({ batchItemFailures: [] });
    expect(connections.writes.map((write) => write.event.type)).toEqual([
      'connection.created',
      'connection.updated',
      'connection.expired',
      'connection.disconnected',
    ]);
    expect(rules.writes.map((write) => write.event.type)).toEqual(['rules.updated']);
    // (each connection's events in order; different connections' lines may interleave)
    expect(
      output
        .logs('event processed')
        .map((line) => line.eventType)
        .sort(),
    ).toEqual([...EXAMPLE_EVENT_TYPES].sort());
  });

  it('fails only the failing message and the rest of its group, while other groups go on', async () => {
    // GIVEN connections A, B and C interleaved in one batch, and a handler that fails on A-2
    const seen: string[] = [];
    const { run } = processorUnderTest({ handlers: recordingUpdates(seen, new Set(['A-2'])) });
    const batch = sqsEvent(
      update('A', 1),
      update('B', 1),
      update('A', 2),
      update('B', 2),
      update('A', 3),
      update('C', 1),
    );
    // WHEN the batch is processed
    const response = await run(batch);
    // THEN A-2 and the later A-3 are reported (in order), A-3 never ran, B and C all ran in order
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'A-2' }, { itemIdentifier: 'A-3' }]);
    expect(seen.filter((id) => id.startsWith('A'))).toEqual(['A-1']);
    expect(seen.filter((id) => id.startsWith('B'))).toEqual(['B-1', 'B-2']);
    expect(seen.filter((id) => id.startsWith('C'))).toEqual(['C-1']);
    expect(seen).toHaveLength(4);
    expect(output.logs('event failed')).toEqual([
      expect.objectContaining({ eventId: 'key-A-2', connectionId: 'A', level: 'ERROR' }),
    ]);
    expect(output.logs('batch processed')).toEqual([
      expect.objectContaining({ records: 6, failed: 1, skippedAfterGroupFailure: 1 }),
    ]);
  });

  it('hands one connection its events in the order of the batch', async () => {
    const seen: string[] = [];
    const { run } = processorUnderTest({ handlers: recordingUpdates(seen) });
    await run(sqsEvent(update('A', 1), update('A', 2), update('B', 1), update('A', 3), update('A', 4)));
    expect(seen.filter((id) => id.startsWith('A'))).toEqual(['A-1', 'A-2', 'A-3', 'A-4']);
  });

  it.each(BAD_BODIES)(
    'moves a message whose body is %s to the dead-letter queue at once, and runs the rest of its group',
    async (_case, body, reason) => {
      // GIVEN a bad body in group A between good messages of A and B, and a dead-letter queue
      const seen: string[] = [];
      const deadLetterQueue = new RecordingDeadLetterQueue();
      const { run } = processorUnderTest({ handlers: recordingUpdates(seen), deadLetterQueue });
      const bad = sqsRecord({ body, groupId: 'A', messageId: 'A-bad', eventKey: 'key-A-bad' });
      // WHEN the batch is processed
      const response = await run(sqsEvent(update('A', 1), bad, update('B', 1), update('A', 2)));
      // THEN the bad message is on the dead-letter queue with its attributes and the reason, and
      // acknowledged: A's later message runs in this same batch
      expect(response.batchItemFailures).toEqual([]);
      expect(seen.filter((id) => id.startsWith('A'))).toEqual(['A-1', 'A-2']);
      expect(seen).toContain('B-1');
      expect(deadLetterQueue.sent).toEqual([
        {
          body,
          messageGroupId: 'A',
          deduplicationId: 'rejected:A-bad',
          attributes: expect.objectContaining({
            eventKey: { DataType: 'String', StringValue: 'key-A-bad' },
            signatureScheme: { DataType: 'String', StringValue: 'ofauth' },
            receivedAt: { DataType: 'String', StringValue: expect.any(String) },
            rejectionReason: { DataType: 'String', StringValue: reason },
            rejectionDetail: { DataType: 'String', StringValue: expect.any(String) },
          }),
        },
      ]);
      expect(output.logs('message moved to the dead-letter queue')).toEqual([
        expect.objectContaining({ messageId: 'A-bad', eventId: 'key-A-bad', reason, level: 'ERROR' }),
      ]);
    },
  );

  it('puts the parse error in the rejectionDetail attribute, cut to fit', async () => {
    // GIVEN a known type whose data fails its schema in many places
    const deadLetterQueue = new RecordingDeadLetterQueue();
    const { run } = processorUnderTest({ deadLetterQueue });
    const permissions = Array.from({ length: 300 }, (_, index) => index);
    const body = JSON.stringify({
      type: 'connection.updated',
      data: { connection: { id: 'A', permissions } },
    });
    // WHEN it is processed
    await run(sqsEvent({ body }));
    // THEN the detail names the failing field and stays within its limit
    const detail = deadLetterQueue.sent[0]?.attributes.rejectionDetail?.StringValue ?? '';
    expect(detail).toMatch(
      /^data of event type "connection.updated" does not match its schema: connection\.permissions\.0/,
    );
    expect(detail.length).toBe(MAX_REJECTION_DETAIL_CHARS);
  });

  it('counts a message moved to the dead-letter queue as rejected, not failed', async () => {
    const { run } = processorUnderTest({ deadLetterQueue: new RecordingDeadLetterQueue() });
    await run(sqsEvent({ body: '{"type":"connection.updated","data":{"connection":{}}}' }));
    const line = output.metrics().find((entry) => entry[EVENT_TYPE_DIMENSION] === 'connection.updated');
    expect(line).toMatchObject({ [PROCESSOR_METRICS.rejected]: 1, [PROCESSOR_METRICS.failed]: 0 });
    expect(output.metrics().some((entry) => PROCESSOR_METRICS.failures in entry)).toBe(false);
    expect(output.logs('batch processed')).toEqual([expect.objectContaining({ rejected: 1, failed: 0 })]);
  });

  it.each(BAD_BODIES)(
    'fails a message whose body is %s, and only its group, when its dead-letter send fails',
    async (_case, body) => {
      // GIVEN a dead-letter queue that cannot be reached
      const seen: string[] = [];
      const deadLetterQueue = new RecordingDeadLetterQueue(new Error('sqs unavailable'));
      const { run } = processorUnderTest({ handlers: recordingUpdates(seen), deadLetterQueue });
      const bad = sqsRecord({ body, groupId: 'A', messageId: 'A-bad' });
      // WHEN the batch is processed
      const response = await run(sqsEvent(update('A', 1), bad, update('B', 1), update('A', 2)));
      // THEN today's behaviour: the bad message and A's later message fail, to be retried
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'A-bad' }, { itemIdentifier: 'A-2' }]);
      expect(seen).toEqual(['A-1', 'B-1']);
      expect(output.logs('message not processable')).toEqual([
        expect.objectContaining({ messageId: 'A-bad', deadLetterError: 'sqs unavailable' }),
      ]);
    },
  );

  it.each(BAD_BODIES)(
    'fails a message whose body is %s, and only its group, without a dead-letter queue',
    async (_case, body) => {
      // GIVEN no DEAD_LETTER_QUEUE_URL and no dead-letter queue option
      const seen: string[] = [];
      const { run } = processorUnderTest({ handlers: recordingUpdates(seen) });
      const bad = sqsRecord({ body, groupId: 'A', messageId: 'A-bad' });
      // WHEN the batch is processed
      const response = await run(sqsEvent(update('A', 1), bad, update('B', 1), update('A', 2)));
      // THEN the bad message and A's later message fail; the batch itself does not
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'A-bad' }, { itemIdentifier: 'A-2' }]);
      expect(seen).toEqual(['A-1', 'B-1']);
      expect(output.logs('message not processable')).toEqual([
        expect.objectContaining({ messageId: 'A-bad' }),
      ]);
    },
  );

  it('keeps retrying handler errors: a failing handler never sends to the dead-letter queue', async () => {
    const seen: string[] = [];
    const deadLetterQueue = new RecordingDeadLetterQueue();
    const { run } = processorUnderTest({
      handlers: recordingUpdates(seen, new Set(['A-1'])),
      deadLetterQueue,
    });
    const response = await run(sqsEvent(update('A', 1), update('A', 2)));
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'A-1' }, { itemIdentifier: 'A-2' }]);
    expect(deadLetterQueue.sent).toEqual([]);
  });

  it('runs the beta handlers for beta events without a connection, without failing them', async () => {
    // GIVEN the beta fixture without a connection, and a translated event without one
    const seen: unknown[] = [];
    const deadLetterQueue = new RecordingDeadLetterQueue();
    const { run } = processorUnderTest({
      deadLetterQueue,
      handlers: {
        'of.websocket.event.received': (event, context) => {
          seen.push(event.data.connection);
          return defaultHandlers['of.websocket.event.received'](event, context);
        },
        'realtime.*': (event, context) => {
          seen.push(event.data.connection);
          return defaultHandlers['realtime.*'](event, context);
        },
      },
    });
    const translated = translatedEvent('realtime.chat_typing.updated');
    const { connection: _connection, ...withoutConnection } = translated.data;
    // WHEN they are processed
    const response = await run(
      sqsEvent(
        { body: fixtureEvent('beta/of.websocket.event.received.no-connection.json') },
        { body: { ...translated, data: withoutConnection } },
      ),
    );
    // THEN both handlers ran, with no connection, nothing failed or went to the dead-letter queue
    expect(response.batchItemFailures).toEqual([]);
    expect(seen).toEqual([undefined, undefined]);
    expect(deadLetterQueue.sent).toEqual([]);
    expect(output.logs('event processed').map((line) => [line.eventType, line.connectionId])).toEqual([
      ['of.websocket.event.received', undefined],
      ['realtime.chat_typing.updated', undefined],
    ]);
  });

  it('acknowledges an unknown type through onUnknownEvent', async () => {
    // GIVEN an unknown type and an onUnknownEvent that records it
    const unknown: string[] = [];
    const { run } = processorUnderTest({ onUnknownEvent: (event) => void unknown.push(event.type) });
    // WHEN it is processed
    const response = await run(sqsEvent({ body: unknownEvent('payout.created') }));
    // THEN it is acknowledged, not failed
    expect(response.batchItemFailures).toEqual([]);
    expect(unknown).toEqual(['payout.created']);
    expect(output.logs('event processed')).toEqual([
      expect.objectContaining({ eventType: 'payout.created' }),
    ]);
  });

  it('acknowledges an unknown type by default, with a warning', async () => {
    const { run } = processorUnderTest();
    const response = await run(sqsEvent({ body: unknownEvent('payout.created') }));
    expect(response.batchItemFailures).toEqual([]);
    expect(output.logs('unknown event type acknowledged')).toHaveLength(1);
  });

  it('reports every message, without throwing, when the whole batch fails', async () => {
    const seen: string[] = [];
    const { run } = processorUnderTest({ handlers: recordingUpdates(seen, new Set(['A-1', 'B-1'])) });
    const response = await run(sqsEvent(update('A', 1), update('B', 1), update('A', 2)));
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual([
      'A-1',
      'B-1',
      'A-2',
    ]);
  });

  it('logs exactly one "event processed" line per processed event, with its keys', async () => {
    // GIVEN one connection event and one account-wide event
    const { run } = processorUnderTest();
    const batch = sqsEvent(
      { body: exampleEvent('connection.created'), eventKey: 'msg_created' },
      { body: exampleEvent('rules.updated'), eventKey: 'msg_rules' },
    );
    // WHEN they are processed
    await run(batch);
    // THEN each has one line with eventId, eventType, connectionId and eventTimestamp (the two
    // message groups run side by side, so their lines come in either order)
    const byEventId = (line: Record<string, unknown>) => String(line.eventId);
    const lines = output.logs('event processed').sort((a, b) => byEventId(a).localeCompare(byEventId(b)));
    expect(lines).toEqual([
      expect.objectContaining({
        eventId: 'msg_created',
        eventType: 'connection.created',
        connectionId: 'conn_abc123',
        eventTimestamp: '2024-01-15T10:30:00.000Z',
        service: 'ofauth-processor',
      }),
      expect.objectContaining({
        eventId: 'msg_rules',
        eventType: 'rules.updated',
        eventTimestamp: '2024-01-15T10:30:00.000Z',
      }),
    ]);
    // An account-wide event has no connection, so its line has no connectionId.
    expect(lines[1]).not.toHaveProperty('connectionId');
  });

  it('hands handlers the event id, time, queue sequence number, raw body and attributes', async () => {
    const contexts: unknown[] = [];
    const { run } = processorUnderTest({
      handlers: { 'connection.expired': (_event, context) => void contexts.push(context) },
    });
    const record = sqsRecord({
      body: exampleEvent('connection.expired'),
      eventKey: 'msg_x',
      signatureScheme: 'svix',
    });
    await run(sqsEvent(record));
    expect(contexts).toEqual([
      expect.objectContaining({
        eventId: 'msg_x',
        eventTime: new Date('2024-01-16T10:30:00Z'),
        sequenceNumber: record.attributes.SequenceNumber,
        rawBody: record.body,
        attributes: expect.objectContaining({ signatureScheme: 'svix', eventType: 'connection.expired' }),
        lambdaContext: expect.objectContaining({ functionName: 'ofauth-processor' }),
      }),
    ]);
  });

  it('keeps fields nobody documented, in the typed event and verbatim in the raw body', async () => {
    // GIVEN an SDK-shaped event with undocumented fields at the top, in data and in the connection
    const contexts: { rawBody: string; data: unknown }[] = [];
    const { run } = processorUnderTest({
      handlers: {
        'connection.created': (event, context) =>
          void contexts.push({ rawBody: context.rawBody, data: event.data }),
      },
    });
    const example = sdkExampleEvent('connection.created');
    const body = JSON.stringify({
      ...example,
      apiVersion: '2026-01',
      data: { ...example.data, origin: 'link', connection: { ...example.data.connection, region: 'eu' } },
    });
    // WHEN it is processed
    const response = await run(sqsEvent({ body }));
    // THEN nothing fails, and every unknown field reaches the handler
    expect(response.batchItemFailures).toEqual([]);
    expect(contexts).toEqual([
      {
        rawBody: body,
        data: expect.objectContaining({
          origin: 'link',
          connection: expect.objectContaining({ region: 'eu' }),
        }),
      },
    ]);
    expect(JSON.parse(contexts[0]?.rawBody ?? '{}')).toMatchObject({ apiVersion: '2026-01' });
  });

  it('emits processed, failed and lag metrics by event type', async () => {
    // GIVEN a clock one minute after the events' time, and a handler that fails on B-1
    const now = Date.parse('2024-01-15T10:31:01Z');
    const seen: string[] = [];
    const { run } = processorUnderTest({
      handlers: recordingUpdates(seen, new Set(['B-1'])),
      clock: () => now,
    });
    // WHEN a batch of two updates (one failing) and a created event is processed
    await run(sqsEvent(update('A', 1), update('B', 1), { body: exampleEvent('connection.created') }));
    // THEN the metrics carry the outcome by type, lag = clock − event time
    const lines = output.metrics();
    const updated = lines.find((line) => line[EVENT_TYPE_DIMENSION] === 'connection.updated');
    const created = lines.find((line) => line[EVENT_TYPE_DIMENSION] === 'connection.created');
    expect(updated).toMatchObject({
      [PROCESSOR_METRICS.processed]: 1,
      [PROCESSOR_METRICS.failed]: 1,
      [PROCESSOR_METRICS.lag]: 60_000,
    });
    expect(created).toMatchObject({ [PROCESSOR_METRICS.processed]: 1, [PROCESSOR_METRICS.lag]: 61_000 });
  });

  it('counts unparseable and unknown messages under bounded dimensions', async () => {
    const { run } = processorUnderTest();
    await run(
      sqsEvent(
        { body: 'not json', groupId: 'g1' },
        { body: unknownEvent('payout.created', 'c2') },
        { body: unknownEvent('payout.updated', 'c3') },
      ),
    );
    const dimensions = output.metrics().map((line) => line[EVENT_TYPE_DIMENSION]);
    expect(dimensions.sort()).toEqual(['unknown', 'unparseable']);
  });
});
