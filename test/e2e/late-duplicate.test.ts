/**
 * The late duplicate, end to end on the local pipeline with the real verifier: an invocation
 * crashes after its SQS send and before it marks the ledger done; the sender's retry takes the
 * expired claim over and sends again, after SQS FIFO's 5-minute deduplication window (simulated:
 * the queue is told a new deduplication id for the re-send, as if it had forgotten the first).
 * The queue then holds the event twice; the processed-events record runs the handler once.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
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
  clients.push(dynamodb, sqs, secrets);
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
