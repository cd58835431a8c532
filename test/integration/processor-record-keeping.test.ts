import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { ConnectionRegistry } from '../../lambda/processor/connections.ts';
import { DynamoDbEventRecords } from '../../lambda/processor/event-records.ts';
import { connectionEvent } from '../fixtures/events.ts';
import { type CapturedOutput, captureStdout } from '../fixtures/output.ts';
import { lambdaContext, replayedRecord, sqsEvent, sqsRecord } from '../fixtures/sqs-events.ts';
import { createTestResources } from '../support/emulators.ts';
import { emulatorProcessor, processedRecord } from './processor-harness.ts';

let resources: Awaited<ReturnType<typeof createTestResources>>;
let documents: DynamoDBDocumentClient;
/** Capacity units DynamoDB reported for each call, by command name. */
const consumed: Array<{ command: string; units: number }> = [];

beforeAll(async () => {
  resources = await createTestResources();
  documents = DynamoDBDocumentClient.from(resources.dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  // Asks DynamoDB for the capacity of every call and keeps it: the cost of the record, measured.
  documents.middlewareStack.add(
    (next, context) => async (args) => {
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const capacity = (result.output as { ConsumedCapacity?: { CapacityUnits?: number } }).ConsumedCapacity;
      consumed.push({ command: String(context.commandName), units: capacity?.CapacityUnits ?? Number.NaN });
      return result;
    },
    { step: 'initialize', name: 'capacityProbe' },
  );
});

let output: CapturedOutput;
beforeEach(() => {
  output = captureStdout();
  consumed.length = 0;
});
afterEach(() => output.restore());

function store(now: () => number = Date.now) {
  return new DynamoDbEventRecords({
    tableName: resources.processedEventsTableName,
    ttlSeconds: 72 * 3600,
    client: documents,
    clock: now,
  });
}

const item = (eventKey: string) => processedRecord(resources, documents, eventKey);

describe('the event record store in DynamoDB', () => {
  const event = (eventKey: string, eventType = 'connection.updated') => ({ eventKey, eventType });

  it('records a processed event without a verifier claim, kept for its TTL from the write', async () => {
    // GIVEN a key nobody claimed (a message of an earlier release) WHEN it is marked processed at t0
    const t0 = Date.parse('2026-01-05T10:00:00Z');
    const key = `msg_${Date.now()}`;
    expect(await store(() => t0).read(key)).toBeUndefined();
    await store(() => t0).markProcessed(event(key));
    // THEN the record exists, processed, with an expiry 72 h after the write
    const expected = {
      eventKey: key,
      eventType: 'connection.updated',
      attempts: 1,
      firstAttemptAt: '2026-01-05T10:00:00.000Z',
      lastAttemptAt: '2026-01-05T10:00:00.000Z',
      processedAt: '2026-01-05T10:00:00.000Z',
      expiresAt: t0 / 1000 + 72 * 3600,
    };
    expect(await item(key)).toEqual(expected);
    expect(await store(() => t0 + 3_600_000).read(key)).toEqual(expected);
  });

  it('counts an item past its expiry as gone (TTL deletes lazily)', async () => {
    const t0 = Date.parse('2026-01-05T10:00:00Z');
    const key = `msg_expired_${Date.now()}`;
    await store(() => t0).markProcessed(event(key));
    const later = t0 + 73 * 3_600_000;
    expect(await store(() => later).read(key)).toBeUndefined();
    await store(() => later).markProcessed(event(key));
    expect(await item(key)).toMatchObject({ processedAt: new Date(later).toISOString() });
  });

  it('costs one strongly consistent read and one write per event (measured)', async () => {
    // GIVEN a new event key WHEN it is read and marked processed, as the processor does once per event
    const key = `msg_capacity_${Date.now()}`;
    await store().read(key);
    await store().markProcessed(event(key));
    // THEN DynamoDB reports 1 read unit (a consistent read of an item under 4 KB) and 1 write unit
    expect(consumed).toEqual([
      { command: 'GetItemCommand', units: 1 },
      { command: 'UpdateItemCommand', units: 1 },
    ]);
  });

  it('counts an item as gone from the second its expiry names', async () => {
    // GIVEN a key recorded at t0, and the very millisecond its expiry names
    const t0 = Date.parse('2026-01-05T10:00:00Z');
    const key = `msg_boundary_${Date.now()}`;
    await store(() => t0).markProcessed(event(key));
    const expiry = (t0 / 1000 + 72 * 3600) * 1000;
    // WHEN it is looked up a millisecond before, and at that moment
    // THEN it is known until then, gone from then on
    expect(await store(() => expiry - 1).read(key)).toMatchObject({ eventKey: key });
    expect(await store(() => expiry).read(key)).toBeUndefined();
  });

  it('keeps the first event type, and adds replays to the map one by one', async () => {
    const key = `msg_replays_${Date.now()}`;
    await store().markReplayed(event(key, 'connection.created'), 'r1');
    await store().markReplayed(event(key, 'connection.updated'), 'r2');
    expect(await item(key)).toMatchObject({
      eventType: 'connection.created',
      attempts: 2,
      replays: { r1: expect.any(String), r2: expect.any(String) },
    });
  });

  it('fails a write it could not make', async () => {
    // GIVEN a store whose table does not exist
    const missing = new DynamoDbEventRecords({
      tableName: 'no-such-table',
      ttlSeconds: 60,
      client: documents,
    });
    // WHEN a key is marked THEN the write fails loudly (the processor logs it)
    await expect(missing.markProcessed(event('msg_1'))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(missing.markReplayed(event('msg_1'), 'r1')).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('rejects a table name or TTL it cannot use', () => {
    expect(() => new DynamoDbEventRecords({ tableName: ' ', ttlSeconds: 60 })).toThrow(/tableName/);
    expect(
      () => new DynamoDbEventRecords({ tableName: undefined as unknown as string, ttlSeconds: 60 }),
    ).toThrow('tableName must be a non-empty string, got "undefined"');
    expect(() => new DynamoDbEventRecords({ tableName: 't', ttlSeconds: 0 })).toThrow(/ttlSeconds/);
  });
});

describe('a replay meeting the connection registry', () => {
  const registry = () =>
    new ConnectionRegistry({ tableName: resources.connectionsTableName, client: documents });
  const processor = () =>
    emulatorProcessor(resources, documents, {
      processedEvents: store(),
    });
  const run = (...records: SQSRecord[]) => processor()(sqsEvent(...records), lambdaContext());
  const updated = (
    connectionId: string,
    timestamp: string,
    permission: string,
    sequenceNumber: string,
    receivedAt: string,
  ) =>
    sqsRecord({
      body: connectionEvent('connection.updated', { connectionId, timestamp, permissions: [permission] }),
      eventKey: `key-${connectionId}-${permission}`,
      sequenceNumber,
      receivedAt,
    });

  it('does not roll back newer state, whether the replayed event is an older second or the same second', async () => {
    // GIVEN a connection updated three times: at 10:29:59, then twice within 10:30:00 (received at
    // .100 and .200; the replays' own SQS sequence numbers, 18000000000000000000 and up, are far larger)
    const id = `conn_replay_${Date.now()}`;
    const older = updated(id, '2024-01-15T10:29:59Z', 'older', '100', '2024-01-15T10:29:59.100Z');
    const sameSecond = updated(id, '2024-01-15T10:30:00Z', 'same-second', '101', '2024-01-15T10:30:00.100Z');
    const newest = updated(id, '2024-01-15T10:30:00Z', 'newest', '102', '2024-01-15T10:30:00.200Z');
    await run(older, sameSecond, newest);
    expect((await registry().get(id))?.permissions).toEqual(['newest']);
    // WHEN the two older events are replayed (each gets a new, larger SQS sequence number)
    const replays = [older, sameSecond].map((record) =>
      replayedRecord(record, record.attributes.SequenceNumber),
    );
    const response = await run(...replays);
    // THEN both handlers ran and neither changed the registry: the newest event is still stored
    expect(response.batchItemFailures).toEqual([]);
    expect(await registry().get(id)).toMatchObject({
      permissions: ['newest'],
      lastEventId: `key-${id}-newest`,
    });
    expect(output.logs('stale event ignored')).toHaveLength(2);
  });

  it('applies a replayed event that is still the newest, as the original would have been', async () => {
    // GIVEN a connection whose registry item was lost (e.g. a bug deleted it)
    const id = `conn_restore_${Date.now()}`;
    const only = updated(id, '2024-01-15T10:30:00Z', 'restored', '200', '2024-01-15T10:30:00.100Z');
    await run(only);
    await documents.send(
      new PutCommand({
        TableName: resources.connectionsTableName,
        Item: { pk: `connection#${id}`, connectionId: id, lastEventTime: 0, lastEventRank: '' },
      }),
    );
    // WHEN its event is replayed THEN the registry has it again
    await run(replayedRecord(only, only.attributes.SequenceNumber));
    expect(await registry().get(id)).toMatchObject({
      permissions: ['restored'],
      lastEventId: `key-${id}-restored`,
    });
  });
});
