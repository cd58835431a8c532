/**
 * Late retries, end to end on the local pipeline with the real verifier: the same event delivered
 * again after SQS FIFO's 5-minute deduplication window, and which layer then stops a second
 * handler run (the table in docs/reliability.md).
 *
 * fauxqs keeps its deduplication cache for the same 5 minutes as SQS and offers no way to shorten
 * or clear it (a purge keeps it), so the window's end is simulated: the queue is told a new
 * deduplication id for a re-send of an id it has seen, as if it had forgotten the first. Every
 * case therefore meets a queue that deduplicates nothing, and what stops the duplicate is ours.
 *
 * - A crash right after the send, then a retry once the handler succeeded: the event record says
 *   processed, so the retry is answered 200 duplicate and nothing is sent again.
 * - A retry after the claim's lease ran out while the handler is still running: the verifier sends
 *   again (the queue holds it twice); the processor's read of the record skips the second copy.
 * - A retry after the record expired (deleted here as TTL would: DynamoDB Local never expires
 *   items): enqueued twice and handled twice; nothing of ours is left to stop it (the handler's
 *   own idempotency must).
 */
import { DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { EventHandler, EventHandlers } from '../../lambda/processor/router.ts';
import type { RealtimeEvent } from '../../lambda/shared/event-model.ts';
import type { HttpApiHandler } from '../../local/gateway.ts';
import type { LocalPipeline } from '../../local/pipeline.ts';
import { connectionEvent } from '../fixtures/events.ts';
import { testLogger } from '../fixtures/handler-context.ts';
import { type CapturedOutput, captureStdout } from '../fixtures/output.ts';
import { type FaultInjector, injectFaults } from '../reliability/support/faults.ts';
import { deliver, eventually, startTestPipeline, uniqueConnectionId } from './pipeline-support.ts';

const VERIFIER_TIMEOUT_MS = 1500;

let pipeline: LocalPipeline;
let verifier: HttpApiHandler | undefined;
let queueFaults: FaultInjector;
/** A client outside the fault injection, for reading and expiring records as TTL would. */
let records: DynamoDBClient;
let output: CapturedOutput;
const clients: Array<{ destroy(): void }> = [];
/** Deduplication ids the queue was asked for, in order. */
const deduplicationIds: string[] = [];
const handled: string[] = [];
/** Handler runs held until the test lets them go, by connection id. */
const held = new Map<string, Promise<void>>();

beforeAll(async () => {
  output = captureStdout();
  const onUpdated: EventHandler<RealtimeEvent<'connection.updated'>> = async (event, context) => {
    await held.get(String(event.connectionId));
    handled.push(context.eventId);
  };
  pipeline = await startTestPipeline({
    verifierTimeoutMs: VERIFIER_TIMEOUT_MS,
    verifier: () => (event, context) => verifier!(event, context),
    processor: (module) =>
      module.createProcessorHandler({
        handlers: { 'connection.updated': onUpdated } as Partial<EventHandlers>,
        logger: testLogger(),
      }),
  });
  // The verifier's modules, imported now that the pipeline has set their environment, wired to
  // clients whose calls the test controls.
  const { createVerifierHandler } = await import('../../lambda/verifier/create-handler.ts');
  const { HandOff, SqsEventQueue } = await import('../../lambda/verifier/hand-off.ts');
  const { DynamoDbEventRecords } = await import('../../lambda/verifier/event-records.ts');
  const { CachedSigningSecrets, secretsManagerFetcher } = await import('../../lambda/verifier/secrets.ts');
  const { clientConfig } = await import('../../lambda/verifier/aws-clients.ts');
  const region = 'us-east-1';
  const dynamodb = new DynamoDBClient({ ...clientConfig(), endpoint: pipeline.endpoints.dynamodb, region });
  const sqs = new SQSClient({ ...clientConfig(), endpoint: pipeline.endpoints.sqs, region });
  const secrets = new SecretsManagerClient({
    ...clientConfig(),
    endpoint: pipeline.secrets.manager.endpoint,
    region,
  });
  records = new DynamoDBClient({ ...clientConfig(), endpoint: pipeline.endpoints.dynamodb, region });
  clients.push(dynamodb, sqs, secrets, records);
  forgetDeduplicationIds(sqs);
  queueFaults = injectFaults(sqs);
  verifier = createVerifierHandler({
    secrets: new CachedSigningSecrets({ fetch: secretsManagerFetcher(secrets, pipeline.secrets.secretId) }),
    handOff: new HandOff({
      records: new DynamoDbEventRecords({
        tableName: pipeline.resources.processedEventsTableName,
        client: dynamodb,
      }),
      queue: new SqsEventQueue({
        client: sqs,
        queueUrl: pipeline.resources.queueUrl,
        deadLetterQueueUrl: pipeline.resources.deadLetterQueueUrl,
      }),
    }),
  }) as unknown as HttpApiHandler;
}, 60_000);

afterAll(async () => {
  await pipeline?.stop();
  for (const client of clients) client.destroy();
  output?.restore();
});

/**
 * The queue's 5-minute deduplication window, passed: a deduplication id the queue has seen is
 * sent as a new one, so SQS takes the re-send as a new message (as it does after 5 minutes).
 */
function forgetDeduplicationIds(sqs: SQSClient): void {
  const send = sqs.send.bind(sqs) as (command: unknown) => Promise<unknown>;
  (sqs as { send: unknown }).send = (command: unknown) => {
    if (command instanceof SendMessageCommand && command.input.MessageDeduplicationId) {
      const id = command.input.MessageDeduplicationId;
      const seen = deduplicationIds.includes(id);
      deduplicationIds.push(id);
      if (seen) command.input.MessageDeduplicationId = `${id}-after-window`;
    }
    return send(command);
  };
}

const SKIPPED = 'duplicate event skipped: its handler already succeeded';

/** Deletes items as DynamoDB's TTL would once they expire (DynamoDB Local never does). */
async function expire(tableName: string, keyName: string, keys: Iterable<string>): Promise<void> {
  for (const key of keys) {
    await records.send(new DeleteItemCommand({ TableName: tableName, Key: { [keyName]: { S: key } } }));
  }
}

const freshEvent = (name: string) =>
  connectionEvent('connection.updated', {
    connectionId: uniqueConnectionId(name),
    timestamp: new Date().toISOString(),
    permissions: ['profile:read'],
  });

/** Delivers a fresh event, waits for its handler run; returns it and its event key. */
async function deliveredAndHandled(name: string) {
  const event = freshEvent(name);
  const first = await deliver(pipeline, event);
  expect(first.status).toBe(202);
  const eventId = String(first.json.eventId);
  await eventually(() => (handled.includes(eventId) ? true : undefined), 20_000, `${name}: the handler run`);
  return { event, eventId };
}

const sendsOf = (eventId: string) => deduplicationIds.filter((id) => id === eventId).length;
const runsOf = (eventId: string) => handled.filter((id) => id === eventId).length;
const skipsOf = (eventId: string) => output.logs(SKIPPED).filter((line) => line.eventId === eventId).length;

it('answers a retry after a crash right after the send 200 duplicate once the handler succeeded', async () => {
  // GIVEN a verifier whose SQS send succeeds and which then dies (no answer within its timeout)
  const event = freshEvent('crash-after-send');
  queueFaults.arm({ command: 'SendMessageCommand', mode: 'succeed-then-crash' });
  const first = await deliver(pipeline, event);
  expect(first.status).toBeGreaterThanOrEqual(500);
  expect(queueFaults.pending).toBe(0);
  const eventId = deduplicationIds.at(-1)!;
  await eventually(() => (handled.includes(eventId) ? true : undefined), 20_000, 'the handler run');
  // WHEN OFAuth retries it after SQS's deduplication window
  const retry = await deliver(pipeline, event);
  // THEN the record says processed: 200 duplicate, sent once, handled once
  expect(retry.status).toBe(200);
  expect(retry.json).toEqual({ received: true, duplicate: true });
  expect(sendsOf(eventId)).toBe(1);
  expect(runsOf(eventId)).toBe(1);
}, 60_000);

it('answers a retry after the dedup window 200 duplicate from the record and enqueues nothing', async () => {
  // GIVEN an event handed on and handled: its record says processed
  const { event, eventId } = await deliveredAndHandled('after-done');
  // WHEN the sender delivers it again after the queue's deduplication window
  const retry = await deliver(pipeline, event);
  // THEN the record answers: 200 duplicate, and the queue was asked for it once only
  expect(retry.status).toBe(200);
  expect(retry.json).toEqual({ received: true, duplicate: true });
  expect(sendsOf(eventId)).toBe(1);
  expect(runsOf(eventId)).toBe(1);
}, 60_000);

it('enqueues a retry that comes while the handler still runs twice, and the processor skips the copy', async () => {
  // GIVEN an event handed on whose handler is still running (held by the test)
  const connectionId = uniqueConnectionId('while-running');
  const event = connectionEvent('connection.updated', {
    connectionId,
    timestamp: new Date().toISOString(),
    permissions: ['profile:read'],
  });
  let letGo: () => void = () => {};
  held.set(connectionId, new Promise<void>((resolve) => (letGo = resolve)));
  const first = await deliver(pipeline, event);
  expect(first.status).toBe(202);
  const eventId = String(first.json.eventId);
  // WHEN the sender retries it once the claim's lease has run out, after the dedup window too
  await new Promise((wake) => setTimeout(wake, VERIFIER_TIMEOUT_MS + 200));
  const retry = await deliver(pipeline, event);
  // THEN the verifier sends it again (not processed yet), and the queue holds it twice
  expect(retry.status).toBe(202);
  expect(sendsOf(eventId)).toBe(2);
  // AND once the handler is let go, the second copy is skipped: one handler run
  letGo();
  const secondDeliveryMet = () => (runsOf(eventId) + skipsOf(eventId) === 2 ? true : undefined);
  await eventually(secondDeliveryMet, 20_000, 'the second delivery to be skipped or handled');
  expect(runsOf(eventId)).toBe(1);
  expect(skipsOf(eventId)).toBe(1);
}, 60_000);

it('fails to stop a retry past the record’s TTL: enqueued twice and handled twice', async () => {
  // GIVEN an event handed on and handled, whose record has expired
  const { event, eventId } = await deliveredAndHandled('past-ttl');
  await expire(pipeline.resources.processedEventsTableName, 'eventKey', [eventId]);
  // WHEN the sender (or someone resending from the dashboard) delivers it again
  const retry = await deliver(pipeline, event);
  // THEN nothing of the receiver's remembers it: enqueued again, and its handler runs again
  expect(retry.status).toBe(202);
  expect(sendsOf(eventId)).toBe(2);
  const secondDeliveryMet = () => (runsOf(eventId) + skipsOf(eventId) === 2 ? true : undefined);
  await eventually(secondDeliveryMet, 20_000, 'the second delivery to be skipped or handled');
  expect(skipsOf(eventId)).toBe(0);
  expect(runsOf(eventId)).toBe(2);
}, 60_000);
