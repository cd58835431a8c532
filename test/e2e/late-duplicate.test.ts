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
 * - A crash after the send, then a retry: the ledger was never marked done, so the retry sends
 *   again; the processed-events record skips the second delivery.
 * - A retry after the ledger's done record: answered 200 duplicate, nothing enqueued.
 * - A retry after the ledger record expired (deleted here as TTL would: DynamoDB Local never
 *   expires items): enqueued twice; the processed-events record skips the second delivery.
 * - A retry after both records expired: enqueued twice and handled twice; nothing of ours is
 *   left to stop it (the handler's own idempotency must).
 */
import { DeleteItemCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
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
let ledgerFaults: FaultInjector;
/** A client outside the fault injection, for reading and expiring records as TTL would. */
let records: DynamoDBClient;
let output: CapturedOutput;
const clients: Array<{ destroy(): void }> = [];
/** Deduplication ids the queue was asked for, in order. */
const deduplicationIds: string[] = [];
const handled: string[] = [];

beforeAll(async () => {
  output = captureStdout();
  const onUpdated: EventHandler<RealtimeEvent<'connection.updated'>> = (_event, context) => {
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
  const { HandOff, PowertoolsLedger, SqsEventQueue } = await import('../../lambda/verifier/hand-off.ts');
  const { CachedSigningSecrets, secretsManagerFetcher } = await import('../../lambda/verifier/secrets.ts');
  const { clientConfig } = await import('../../lambda/verifier/aws-clients.ts');
  const { LEDGER_KEY_PREFIXES } = await import('../../lambda/verifier/handler.ts');
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
  ledgerFaults = injectFaults(dynamodb);
  forgetDeduplicationIds(sqs);
  const ledger = (keyPrefix: string) =>
    new PowertoolsLedger({ tableName: pipeline.resources.ledgerTableName, client: dynamodb, keyPrefix });
  verifier = createVerifierHandler({
    secrets: new CachedSigningSecrets({ fetch: secretsManagerFetcher(secrets, pipeline.secrets.secretId) }),
    handOff: new HandOff({
      ledger: ledger(LEDGER_KEY_PREFIXES.handedOn),
      rejectionLedger: ledger(LEDGER_KEY_PREFIXES.rejected),
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

it('runs the handler once when a crash after the send is followed by a retry after the dedup window', async () => {
  // GIVEN a verifier that crashes right after its SQS send (the ledger is never marked done)
  const event = connectionEvent('connection.updated', {
    connectionId: uniqueConnectionId('late'),
    timestamp: new Date().toISOString(),
    permissions: ['profile:read'],
  });
  ledgerFaults.arm({ command: 'UpdateItemCommand', mode: 'hang' });
  // WHEN OFAuth delivers the event: no answer within the verifier's timeout
  const first = await deliver(pipeline, event);
  expect(first.status).toBeGreaterThanOrEqual(500);
  expect(ledgerFaults.pending).toBe(0);
  // AND retries it once the claim's lease has run out, after SQS's deduplication window
  await new Promise((wake) => setTimeout(wake, VERIFIER_TIMEOUT_MS + 1000));
  const retry = await deliver(pipeline, event);
  // THEN the retry is accepted and the queue was handed the same event twice
  expect(retry.status).toBe(202);
  const eventId = String(retry.json.eventId);
  expect(deduplicationIds).toEqual([eventId, eventId]);
  // AND the second delivery of it is skipped, with a log line: the handler ran once
  await eventually(
    () =>
      output.logs('duplicate event skipped: its handler already succeeded').length > 0 ? true : undefined,
    20_000,
    'the late duplicate to be skipped',
  );
  expect(handled).toEqual([eventId]);
  expect(output.logs('duplicate event skipped: its handler already succeeded')).toEqual([
    expect.objectContaining({ eventId, eventType: 'connection.updated' }),
  ]);
}, 60_000);

const SKIPPED = 'duplicate event skipped: its handler already succeeded';

/** Ledger keys in the table now (Powertools hashes the event key, so new keys are found by difference). */
async function ledgerKeys(): Promise<Set<string>> {
  const { Items = [] } = await records.send(
    new ScanCommand({ TableName: pipeline.resources.ledgerTableName }),
  );
  return new Set(Items.map((item) => String(item.id?.S)));
}

/** Deletes items as DynamoDB's TTL would once they expire (DynamoDB Local never does). */
async function expire(tableName: string, keyName: string, keys: Iterable<string>): Promise<void> {
  for (const key of keys) {
    await records.send(new DeleteItemCommand({ TableName: tableName, Key: { [keyName]: { S: key } } }));
  }
}

/** Delivers a fresh event, waits for its handler run; returns it, its event key and its ledger keys. */
async function deliveredAndHandled(name: string) {
  const event = connectionEvent('connection.updated', {
    connectionId: uniqueConnectionId(name),
    timestamp: new Date().toISOString(),
    permissions: ['profile:read'],
  });
  const keysBefore = await ledgerKeys();
  const first = await deliver(pipeline, event);
  expect(first.status).toBe(202);
  const eventId = String(first.json.eventId);
  await eventually(() => (handled.includes(eventId) ? true : undefined), 20_000, `${name}: the handler run`);
  const ledger = [...(await ledgerKeys())].filter((key) => !keysBefore.has(key));
  expect(ledger).toHaveLength(1);
  return { event, eventId, ledger };
}

const sendsOf = (eventId: string) => deduplicationIds.filter((id) => id === eventId).length;
const runsOf = (eventId: string) => handled.filter((id) => id === eventId).length;
const skipsOf = (eventId: string) => output.logs(SKIPPED).filter((line) => line.eventId === eventId).length;

it('answers a retry after the dedup window 200 duplicate from the ledger and enqueues nothing', async () => {
  // GIVEN an event handed on and handled: the ledger holds its done record
  const { event, eventId } = await deliveredAndHandled('after-done');
  // WHEN the sender delivers it again after the queue's deduplication window
  const retry = await deliver(pipeline, event);
  // THEN the ledger answers: 200 duplicate, and the queue was asked for it once only
  expect(retry.status).toBe(200);
  expect(retry.json).toEqual({ received: true, duplicate: true });
  expect(sendsOf(eventId)).toBe(1);
  expect(runsOf(eventId)).toBe(1);
}, 60_000);

it('enqueues a retry past the ledger TTL twice and the processed-events record skips its handler', async () => {
  // GIVEN an event handed on and handled, whose ledger record has since expired
  const { event, eventId, ledger } = await deliveredAndHandled('past-ledger-ttl');
  await expire(pipeline.resources.ledgerTableName, 'id', ledger);
  // WHEN the sender delivers it again, after the queue's deduplication window too
  const retry = await deliver(pipeline, event);
  // THEN the verifier takes it as new and the queue holds it twice
  expect(retry.status).toBe(202);
  expect(sendsOf(eventId)).toBe(2);
  // AND the processor's processed-events record skips the second delivery: one handler run
  const secondDeliveryMet = () => (runsOf(eventId) + skipsOf(eventId) === 2 ? true : undefined);
  await eventually(secondDeliveryMet, 20_000, 'the second delivery to be skipped or handled');
  expect(runsOf(eventId)).toBe(1);
  expect(skipsOf(eventId)).toBe(1);
}, 60_000);

it('fails to stop a retry past both TTLs: enqueued twice and handled twice', async () => {
  // GIVEN an event handed on and handled, whose ledger and processed-events records have both expired
  const { event, eventId, ledger } = await deliveredAndHandled('past-both-ttls');
  await expire(pipeline.resources.ledgerTableName, 'id', ledger);
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
