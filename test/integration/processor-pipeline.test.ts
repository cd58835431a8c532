/**
 * The processor end to end against DynamoDB Local: the deployed entry point and the typed lookup
 * functions configured from the environment, re-processing without extra effect, order across a
 * retry after a group failure, and the documented way to make a side-effecting handler idempotent.
 */
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import {
  ConnectionRegistry,
  findConnectionsByClientReferenceId,
  getConnection,
} from '../../lambda/processor/connections.ts';
import { defaultHandlers } from '../../lambda/processor/default-handlers/index.ts';
import {
  createProcessorHandler,
  handler,
  type ProcessorHandlerOptions,
} from '../../lambda/processor/handler.ts';
import type { EventHandler } from '../../lambda/processor/router.ts';
import { getLatestRules } from '../../lambda/processor/rules.ts';
import type { RealtimeEvent } from '../../lambda/shared/event-model.ts';
import { connectionEvent, EXAMPLE_EVENT_TYPES, exampleEvent, toSdkShape } from '../fixtures/events.ts';
import { testLogger } from '../fixtures/handler-context.ts';
import { type CapturedOutput, captureStdout } from '../fixtures/output.ts';
import { lambdaContext, sqsEvent, sqsRecord } from '../fixtures/sqs-events.ts';
import { createTestResources } from '../support/emulators.ts';
import { svixMessageId } from '../support/svix-ids.ts';

let resources: Awaited<ReturnType<typeof createTestResources>>;
let output: CapturedOutput;

beforeAll(async () => {
  resources = await createTestResources();
});
beforeEach(() => {
  output = captureStdout();
});
afterEach(() => output.restore());

/** A processor over a fresh connections table (each test gets its own). */
async function processorOnFreshTable(options: ProcessorHandlerOptions = {}) {
  const table = await createTestResources();
  const documentClient = DynamoDBDocumentClient.from(table.dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const handle = createProcessorHandler({
    connectionsTableName: table.connectionsTableName,
    dynamodb: documentClient,
    logger: testLogger(),
    metrics: new Metrics({ namespace: 'OFAuthWebhooks', serviceName: 'ofauth-processor' }),
    ...options,
  });
  return {
    table,
    registry: new ConnectionRegistry({ tableName: table.connectionsTableName, client: documentClient }),
    run: (event: SQSEvent) => handle(event, lambdaContext()),
    items: async () =>
      (
        await documentClient.send(
          new ScanCommand({ TableName: table.connectionsTableName, ConsistentRead: true }),
        )
      ).Items ?? [],
  };
}

describe('the deployed processor entry point', () => {
  const saved = { ...process.env };
  beforeAll(async () => {
    // The environment the stack gives the function, pointing the SDK at DynamoDB Local. Set
    // before the first invocation, which is when the entry point reads it.
    const table = await createTestResources();
    process.env.CONNECTIONS_TABLE_NAME = table.connectionsTableName;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = process.env.TEST_DYNAMODB_ENDPOINT;
  });
  afterAll(() => {
    process.env = saved;
  });

  it('keeps the registry and rules from both envelope shapes, read back through the typed lookups', async () => {
    // GIVEN the documented created and updated examples, an SDK-shaped created of another
    // connection of the same user, and the rules example
    const sdkCreated = toSdkShape(
      connectionEvent('connection.created', {
        connectionId: 'conn_sdk',
        clientReferenceId: 'user_456',
        status: 'awaiting_2fa',
        userData: { userId: 'of_user_456' },
      }),
    );
    // WHEN they are processed by the deployed entry point
    const response = await handler(
      sqsEvent(
        { body: exampleEvent('connection.created') },
        { body: exampleEvent('connection.updated') },
        { body: sdkCreated, receivedAt: '2024-01-15T12:00:00Z' },
        { body: toSdkShape(exampleEvent('rules.updated')) },
      ),
      lambdaContext(),
    );
    // THEN nothing failed and the typed lookups see the result
    expect(response.batchItemFailures).toEqual([]);
    expect(await getConnection('conn_abc123')).toMatchObject({
      status: 'active',
      permissions: ['profile:read', 'posts:read', 'messages:read'],
      lastEventType: 'connection.updated',
      lastEventAt: '2024-01-15T11:30:00.000Z',
    });
    expect(await findConnectionsByClientReferenceId('user_456')).toEqual([
      expect.objectContaining({ connectionId: 'conn_abc123', status: 'active' }),
      expect.objectContaining({
        connectionId: 'conn_sdk',
        status: 'awaiting_2fa',
        live: true,
        lastEventAt: '2024-01-15T12:00:00.000Z',
      }),
    ]);
    expect(await getLatestRules()).toMatchObject({ revision: '202401151030-a1b2c3', live: true });
  });
});

describe('re-processing', () => {
  it('has no extra effect when the same batch is processed twice', async () => {
    // GIVEN every documented example processed once
    const { run, items } = await processorOnFreshTable();
    const batch = sqsEvent(...EXAMPLE_EVENT_TYPES.map((type) => ({ body: exampleEvent(type) })));
    await run(batch);
    const afterFirst = await items();
    // WHEN the very same messages are delivered again (SQS at-least-once)
    const response = await run(batch);
    // THEN they are acknowledged and the table is unchanged: the events stored last (the
    // disconnection, the rules) are recognized as the same events, the others as overtaken by
    // the tombstone
    expect(response.batchItemFailures).toEqual([]);
    expect(await items()).toEqual(afterFirst);
    expect(afterFirst).toHaveLength(2);
    // (the connection's group and the rules' group run side by side: their lines in either order)
    expect(
      output
        .logs('event already applied')
        .map((line) => [line.eventType, line.reason])
        .sort(),
    ).toEqual([
      ['connection.disconnected', 'same-event'],
      ['rules.updated', 'same-event'],
    ]);
    expect(output.logs('stale event ignored').map((line) => line.reason)).toEqual([
      'tombstone',
      'tombstone',
      'tombstone',
    ]);
  });

  it('applies in-order events stamped with the same second in receipt order', async () => {
    // GIVEN a connection that expires and is reconnected within one second, received in that order
    const { run, registry } = await processorOnFreshTable();
    const time = '2024-01-15T10:30:00Z';
    const batch = sqsEvent(
      {
        body: connectionEvent('connection.created', { connectionId: 'R', timestamp: '2024-01-15T10:00:00Z' }),
      },
      {
        body: connectionEvent('connection.expired', {
          connectionId: 'R',
          status: 'expired',
          timestamp: time,
        }),
        receivedAt: '2024-01-15T10:30:00.100Z',
      },
      {
        body: connectionEvent('connection.updated', {
          connectionId: 'R',
          status: 'active',
          permissions: ['again'],
          timestamp: time,
        }),
        receivedAt: '2024-01-15T10:30:00.200Z',
      },
    );
    // WHEN the batch is processed
    const response = await run(batch);
    // THEN the later event of that second wins: the connection is active again
    expect(response.batchItemFailures).toEqual([]);
    expect(await registry.get('R')).toMatchObject({
      status: 'active',
      permissions: ['again'],
      lastEventType: 'connection.updated',
    });
  });

  it('keeps the newer state when an older SDK-shaped event is retried after a newer one', async () => {
    // GIVEN two SDK-shaped updates of one connection (no envelope timestamp) delivered through
    // Svix: the older one's first attempt failed, the newer one went through, then Svix retried
    // the older one, which the verifier received (and queued) last
    const { run, registry } = await processorOnFreshTable();
    const created = Date.parse('2024-01-15T10:30:00Z');
    const sdkUpdate = (permissions: string[]) =>
      toSdkShape(connectionEvent('connection.updated', { connectionId: 'S', status: 'active', permissions }));
    const older = {
      body: sdkUpdate(['old']),
      signatureScheme: 'svix' as const,
      eventKey: svixMessageId(new Date(created)),
    };
    const newer = {
      body: sdkUpdate(['new']),
      signatureScheme: 'svix' as const,
      eventKey: svixMessageId(new Date(created + 60_000)),
      receivedAt: new Date(created + 61_000).toISOString(),
    };
    await run(sqsEvent(newer));
    // WHEN the older event's retry is processed after it
    const response = await run(
      sqsEvent({ ...older, receivedAt: new Date(created + 5 * 60_000).toISOString() }),
    );
    // THEN the registry keeps the newer state: the retry is ordered by its Svix id's time, not by
    // when it arrived, and the log says which time ordered it
    expect(response.batchItemFailures).toEqual([]);
    expect(await registry.get('S')).toMatchObject({
      permissions: ['new'],
      lastEventId: newer.eventKey,
      lastEventAt: '2024-01-15T10:31:00.000Z',
    });
    expect(output.logs('stale event ignored')).toEqual([
      expect.objectContaining({ eventId: older.eventKey, reason: 'not-newer' }),
    ]);
    expect(output.logs('event processed').map((line) => [line.eventTimestamp, line.eventTimeSource])).toEqual(
      [
        ['2024-01-15T10:31:00.000Z', 'svix-id'],
        ['2024-01-15T10:30:00.000Z', 'svix-id'],
      ],
    );
  });

  it('keeps one connection in order across a retry after its handler failed', async () => {
    // GIVEN connection A's second update fails once; connection B is fine
    let failuresLeft = 1;
    const flaky: EventHandler<RealtimeEvent<'connection.updated'>> = async (event, context) => {
      if (
        event.data.connection.id === 'A' &&
        event.data.connection.permissions?.includes('p2') &&
        failuresLeft-- > 0
      ) {
        throw new Error('downstream timeout');
      }
      await defaultHandlers['connection.updated'](event, context);
    };
    const { run, registry } = await processorOnFreshTable({ handlers: { 'connection.updated': flaky } });
    const update = (id: string, n: number): SQSRecord =>
      sqsRecord({
        body: connectionEvent('connection.updated', {
          connectionId: id,
          clientReferenceId: `user-${id}`,
          timestamp: `2024-01-15T10:3${n}:00Z`,
          permissions: [`p${n}`],
        }),
        messageId: `${id}-${n}`,
      });
    const batch = [update('A', 1), update('B', 1), update('A', 2), update('B', 2), update('A', 3)];
    // WHEN the batch runs, then the failed messages are redelivered as SQS would (same order)
    const first = await run(sqsEvent(...batch));
    const failed = new Set(first.batchItemFailures.map((failure) => failure.itemIdentifier));
    const afterFirst = (await registry.get('A'))?.permissions;
    const second = await run(sqsEvent(...batch.filter((record) => failed.has(record.messageId))));
    // THEN A stopped at its first update, B went on, and the retry finished A in order
    expect([...failed]).toEqual(['A-2', 'A-3']);
    expect(afterFirst).toEqual(['p1']);
    expect((await registry.get('B'))?.permissions).toEqual(['p2']);
    expect(second.batchItemFailures).toEqual([]);
    expect(await registry.get('A')).toMatchObject({
      permissions: ['p3'],
      lastEventAt: '2024-01-15T10:33:00.000Z',
    });
  });

  /**
   * The handlers' README pattern for a side effect: not gated on the registry outcome, made
   * idempotent with Powertools Idempotency keyed on the event id, over the ledger-shaped table
   * (partition key `id`, TTL `expiration`) standing in for your own. The "email" fails `failures`
   * times before it goes out.
   */
  function welcomeEmailHandler(options: { failures: number }) {
    const sent: string[] = [];
    let failuresLeft = options.failures;
    const persistenceStore = new DynamoDBPersistenceLayer({
      tableName: resources.ledgerTableName,
      awsSdkV3Client: resources.dynamodb,
    });
    const idempotency = new IdempotencyConfig({ eventKeyJmesPath: 'eventId' });
    const sendWelcomeEmail = makeIdempotent(
      async (input: { eventId: string; email: string }) => {
        if (failuresLeft-- > 0) throw new Error('mailer unavailable');
        sent.push(input.email);
      },
      { persistenceStore, config: idempotency },
    );
    const onCreated: EventHandler<RealtimeEvent<'connection.created'>> = async (event, context) => {
      await context.connections.apply(event, context);
      if (context.lambdaContext) idempotency.registerLambdaContext(context.lambdaContext);
      await sendWelcomeEmail({
        eventId: context.eventId,
        email: `${event.data.clientReferenceId}@example.com`,
      });
    };
    return { sent, onCreated };
  }

  it('runs a side effect once per event with Powertools Idempotency keyed on the event id', async () => {
    // GIVEN a handler whose side effect is wrapped as the handlers' README shows, over the
    // ledger-shaped table (partition key `id`, TTL `expiration`) standing in for your own
    const { sent, onCreated } = welcomeEmailHandler({ failures: 0 });
    const { run } = await processorOnFreshTable({ handlers: { 'connection.created': onCreated } });
    const batch = sqsEvent({ body: exampleEvent('connection.created'), eventKey: `msg_${Date.now()}` });
    // WHEN the same event is processed twice
    await run(batch);
    await run(batch);
    // THEN the email went out once
    expect(sent).toEqual(['user_456@example.com']);
  });

  it('runs a side effect that threw after the registry write when the event is redelivered', async () => {
    // GIVEN the handlers' README pattern for acting on the current state
    // (`outcome.applied || outcome.reason === 'same-event'`), with a side effect that fails once
    const sent: string[] = [];
    let failuresLeft = 1;
    const onCreated: EventHandler<RealtimeEvent<'connection.created'>> = async (event, context) => {
      const outcome = await context.connections.apply(event, context);
      if (!outcome.applied && outcome.reason !== 'same-event') return;
      if (failuresLeft-- > 0) throw new Error('mailer unavailable');
      sent.push(`${context.eventId}:${event.data.clientReferenceId}`);
    };
    const { run, registry } = await processorOnFreshTable({ handlers: { 'connection.created': onCreated } });
    const record = sqsRecord({ body: exampleEvent('connection.created'), eventKey: 'msg_welcome' });
    // WHEN the first attempt fails after the registry write, and SQS redelivers the message
    const first = await run(sqsEvent(record));
    const stored = await registry.get('conn_abc123');
    const second = await run(sqsEvent(record));
    // THEN the registry was written by the first attempt and the side effect ran on the second
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(stored).toMatchObject({ lastEventId: 'msg_welcome' });
    expect(second.batchItemFailures).toEqual([]);
    expect(sent).toEqual(['msg_welcome:user_456']);
  });

  it('runs an idempotent side effect that threw once on the redelivery, and once only', async () => {
    // GIVEN the handlers' README pattern for a side effect: not gated on the registry outcome,
    // made idempotent with Powertools Idempotency keyed on the event id; it fails the first time
    const { sent, onCreated } = welcomeEmailHandler({ failures: 1 });
    const { run } = await processorOnFreshTable({ handlers: { 'connection.created': onCreated } });
    const batch = sqsEvent({ body: exampleEvent('connection.created'), eventKey: `msg_retry_${Date.now()}` });
    // WHEN the first attempt fails, and the message is delivered twice more
    const responses = [await run(batch), await run(batch), await run(batch)];
    // THEN the email went out on the first redelivery, and not again
    expect(responses.map((response) => response.batchItemFailures.length)).toEqual([1, 0, 0]);
    expect(sent).toEqual(['user_456@example.com']);
  });
});
