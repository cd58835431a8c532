/**
 * The failure model of docs/architecture.md, point by point, against the sender's retry policy: each
 * failure is injected into the real handlers running in the local pipeline (DynamoDB Local,
 * fauxqs, the local Secrets Manager), the sender replays its retries on a compressed clock, and
 * the processor's view decides: no event lost, none enqueued twice, none processed out of order.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { PipelineObserver } from '../../bench/pipeline.ts';
import { httpApiEvent } from '../../dev/api-gateway-event.ts';
import { eventBody, signDelivery } from '../../dev/deliveries.ts';
import type { ConnectionRecord } from '../../lambda/processor/connections.ts';
import type { HttpApiHandler } from '../../local/gateway.ts';
import { createLambdaContext } from '../../local/lambda-context.ts';
import { type LocalPipeline, startLocalPipeline } from '../../local/pipeline.ts';
import { generateSvixSecret } from '../../testing/signers.ts';
import { invariantMismatches } from './support/documented-figures.ts';
import { type FaultInjector, injectFaults } from './support/faults.ts';
import { captureLogs, dumpLogsIfAsked, findSecretLeaks } from './support/log-capture.ts';
import {
  CLIENT_LIMITS,
  type DeliveryOutcome,
  type DeliveryTarget,
  MS_PER_VIRTUAL_SECOND,
  SENDER_BUDGET_MS,
  sendWithRetries,
  VERIFIER_TIMEOUT_MS,
} from './support/sender.ts';
import { type SlowProxy, startSlowProxy } from './support/slow-proxy.ts';
import { type FigureRow, recordFigures } from './support/summary.ts';

const SECRET = generateSvixSecret();
/** Worst case of one case: three deliveries of up to 5 attempts each, and the processor's retries. */
const CASE_TIMEOUT_MS = 60_000;
const logs = captureLogs();

let pipeline: LocalPipeline;
let proxy: SlowProxy;
let dynamo: FaultInjector;
let sqs: FaultInjector;
let coldStart: () => void;
let secondEnvironment: DeliveryTarget;
const clientsToClose: Array<{ destroy(): void }> = [];
let verifier: HttpApiHandler | undefined;
let processor: ((event: SQSEvent, context: Context) => Promise<SQSBatchResponse>) | undefined;
const observer = new PipelineObserver();
/** Remaining injected failures of the processor's handler, by `connectionId#seq`. */
const processorFaults = new Map<string, number>();
let readConnection: (connectionId: string) => Promise<ConnectionRecord | undefined>;

interface CaseResult {
  readonly name: string;
  /** Each delivery's attempts, e.g. `202, 503→202, 202` (a concurrent duplicate after the middle one). */
  readonly answers: string;
  readonly lost: number;
  readonly enqueuedTwice: number;
  readonly outOfOrder: number;
  /** Armed faults that never fired (must be 0 for the case to count). */
  readonly unfired: number;
  /**
   * `SendMessage` calls the verifier made for the middle event (this case's alone, faulted ones
   * included): 2 where a retry re-sent it and only SQS FIFO's deduplication kept it once.
   */
  readonly middleSends: number;
}
const results: CaseResult[] = [];

beforeAll(async () => {
  proxy = await startSlowProxy(() => process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER!);
  pipeline = await startLocalPipeline({
    port: 0,
    secrets: [SECRET],
    endpoints: { dynamodb: process.env.TEST_DYNAMODB_ENDPOINT!, sqs: process.env.TEST_SQS_ENDPOINT! },
    prefix: `rel-fault-${randomBytes(4).toString('hex')}`,
    visibilityTimeoutSeconds: 1,
    verifierTimeoutMs: VERIFIER_TIMEOUT_MS,
    pollers: 2,
    env: { POWERTOOLS_LOG_LEVEL: 'DEBUG', POWERTOOLS_METRICS_DISABLED: 'false' },
    verifier: () => (event, context) =>
      verifier
        ? verifier(event, context)
        : Promise.resolve({ statusCode: 503, body: '{"error":"not_ready"}' }),
    processor: () =>
      observer.wrap((event, context) =>
        processor
          ? processor(event, context)
          : Promise.resolve({
              batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })),
            }),
      ),
  });
  // The handlers' modules are imported only now, with the environment the pipeline set.
  const { createVerifierHandler } = await import('../../lambda/verifier/create-handler.ts');
  const { HandOff, MAX_LEASE_MS, SqsEventQueue } = await import('../../lambda/verifier/hand-off.ts');
  const { DynamoDbEventRecords } = await import('../../lambda/verifier/event-records.ts');
  const { CachedSigningSecrets, secretsManagerFetcher } = await import('../../lambda/verifier/secrets.ts');
  const { clientConfig } = await import('../../lambda/verifier/aws-clients.ts');
  const { createProcessorHandler } = await import('../../lambda/processor/handler.ts');
  const { defaultHandlers } = await import('../../lambda/processor/default-handlers/index.ts');

  const region = 'us-east-1';
  const dynamodbClient = new DynamoDBClient({
    ...clientConfig(CLIENT_LIMITS),
    endpoint: pipeline.endpoints.dynamodb,
    region,
  });
  const sqsClient = new SQSClient({
    ...clientConfig(CLIENT_LIMITS),
    endpoint: pipeline.endpoints.sqs,
    region,
  });
  clientsToClose.push(dynamodbClient, sqsClient);
  dynamo = injectFaults(dynamodbClient);
  sqs = injectFaults(sqsClient);
  const handOff = new HandOff({
    records: new DynamoDbEventRecords({
      tableName: pipeline.resources.processedEventsTableName,
      client: dynamodbClient,
    }),
    // The lease's bound (5 s), on the compressed clock like every other duration.
    maxLeaseMs: (MAX_LEASE_MS / 1000) * MS_PER_VIRTUAL_SECOND,
    queue: new SqsEventQueue({
      client: sqsClient,
      queueUrl: pipeline.resources.queueUrl,
      deadLetterQueueUrl: pipeline.resources.deadLetterQueueUrl,
    }),
  });
  // A new execution environment: fresh clients for Secrets Manager (through the slow proxy) and an empty cache.
  const newEnvironment = () => {
    const secretsManager = new SecretsManagerClient({
      ...clientConfig(CLIENT_LIMITS),
      endpoint: proxy.endpoint,
      region,
    });
    clientsToClose.push(secretsManager);
    return createVerifierHandler({
      secrets: new CachedSigningSecrets({
        fetch: secretsManagerFetcher(secretsManager, pipeline.secrets.secretId),
        ttlMs: 300_000,
      }),
      handOff,
    }) as unknown as HttpApiHandler;
  };
  coldStart = () => {
    verifier = newEnvironment();
  };
  coldStart();
  // A second environment, for a duplicate that Lambda runs beside the first (the local gateway
  // runs one invocation at a time, as one environment does).
  const second = newEnvironment();
  secondEnvironment = async (delivery) => {
    const context = createLambdaContext({ functionName: 'ofauth-verifier', timeoutMs: VERIFIER_TIMEOUT_MS });
    const answer = await second(httpApiEvent({ body: delivery.body, headers: delivery.headers }), context);
    return typeof answer === 'string'
      ? { status: 200, body: answer }
      : { status: answer.statusCode ?? 200, body: String(answer.body ?? '') };
  };

  const { ConnectionRegistry } = await import('../../lambda/processor/connections.ts');
  const registry = new ConnectionRegistry({
    tableName: pipeline.resources.connectionsTableName,
    clientConfig: { endpoint: pipeline.endpoints.dynamodb, region },
  });
  readConnection = (connectionId) => registry.get(connectionId);
  const updated = defaultHandlers['connection.updated'];
  processor = createProcessorHandler({
    handlers: {
      'connection.updated': async (event, context) => {
        const key = `${event.connectionId}#${String(event.data.connection.userData?.name).replace('seq ', '')}`;
        const remaining = processorFaults.get(key) ?? 0;
        if (remaining > 0) {
          processorFaults.set(key, remaining - 1);
          throw new Error(`injected failure of the connection.updated handler for ${key}`);
        }
        await updated(event, context);
      },
    },
  });
  // Warm up: the first call of each SDK client loads code lazily, which under load can outlast
  // the compressed timeouts; the cases must meet only the faults they inject.
  const warmUp = await sendWithRetries(pipeline.url, () =>
    signDelivery(eventBody({ connectionId: 'conn_warm_up', seq: 0 }), { scheme: 'svix', secret: SECRET }),
  );
  expect(warmUp.acknowledged).toBe(true);
  expect(await observer.waitFor(['conn_warm_up#0'], 15_000)).toBe(0);
}, 60_000);

afterAll(async () => {
  await pipeline?.stop();
  await proxy?.stop();
  for (const client of clientsToClose) client.destroy();
  logs.stop();
  dumpLogsIfAsked(logs.lines, 'fault-matrix');
  recordFigures(SUITE, figures());
});

const SUITE = 'fault matrix';

/** The suite's figures: per case, then the log scan's. */
function figures(): FigureRow[] {
  return [
    ...results.map((r) => ({
      figure: `${r.name}: lost / enqueued twice / out of order (answers; sends of the faulty event)`,
      value: `${r.lost} / ${r.enqueuedTwice} / ${r.outOfOrder} (${r.answers}; ${r.middleSends})`,
      required: '0 / 0 / 0',
    })),
    { figure: 'cases', value: results.length, required: '10' },
    { figure: 'log lines captured (fault matrix)', value: logs.lines.length, measured: true },
    {
      figure: 'secret found in a log line (fault matrix)',
      value: findSecretLeaks(logs.lines, [SECRET]).length,
      required: '0',
    },
  ];
}

/** How many of a case's own faults (other than the injectors' and the processor's) have not fired. */
type Unfired = () => number;

/**
 * Sends three events of one connection in order, the faulty one in the middle, with the
 * sender's retry policy; `arm` injects the failure just before the middle one. Then checks what
 * the processor saw and what the connections table holds, and sends a fourth event as a positive
 * control: once it is processed, anything enqueued before it in the connection's FIFO group
 * (a re-send the queue failed to deduplicate) has been processed too.
 */
async function runCase(
  name: string,
  arm: (keyOfMiddle: string, track: (unfired: Unfired) => void) => void,
  options: { scheme?: 'ofauth' | 'svix'; concurrentDuplicate?: boolean } = {},
): Promise<{
  result: CaseResult;
  middle: DeliveryOutcome;
  duplicate?: DeliveryOutcome;
}> {
  const connectionId = `conn_${name.replace(/[^a-z]+/gi, '_').slice(0, 24)}_${randomBytes(3).toString('hex')}`;
  const keys = [0, 1, 2, 3].map((seq) => `${connectionId}#${seq}`);
  const deliveries = [0, 1, 2, 3].map((seq) => {
    const body = eventBody({ connectionId, seq });
    const svixId = `msg_${randomBytes(8).toString('hex')}`;
    // OFAuth re-signs each retry with a new `t`; Svix keeps the message id.
    return (options.scheme ?? 'svix') === 'svix'
      ? () => signDelivery(body, { scheme: 'svix', secret: SECRET, id: svixId })
      : () => signDelivery(body, { scheme: 'ofauth', secret: SECRET });
  });
  const before = { reordered: observer.reordered };
  const first = await sendWithRetries(pipeline.url, deliveries[0]!);
  let unfiredOfCase: Unfired = () => 0;
  arm(keys[1]!, (unfired) => {
    unfiredOfCase = unfired;
  });
  const sends = () => sqs.calls.get('SendMessageCommand') ?? 0;
  const sendsBefore = sends();
  const middlePromise = sendWithRetries(pipeline.url, deliveries[1]!);
  let duplicate: DeliveryOutcome | undefined;
  if (options.concurrentDuplicate) {
    // The duplicate goes in once the first holds the claim and is inside its (slowed) send.
    for (let waited = 0; sqs.pending > 0 && waited < 5_000; waited += 10) {
      await new Promise((wake) => setTimeout(wake, 10));
    }
    duplicate = await sendWithRetries(secondEnvironment, deliveries[1]!);
  }
  const middle = await middlePromise;
  const middleSends = sends() - sendsBefore;
  const last = await sendWithRetries(pipeline.url, deliveries[2]!);
  const lost = await observer.waitFor(keys.slice(0, 3), 15_000);
  // Every armed fault must have fired, or the case proved nothing.
  const unfired =
    dynamo.pending +
    sqs.pending +
    unfiredOfCase() +
    [...processorFaults.values()].reduce((sum, n) => sum + n, 0);
  dynamo.reset();
  sqs.reset();
  processorFaults.clear();
  // The stored state: the registry holds the last event, applied after the ones before it.
  const stored = await readConnection(connectionId);
  expect(stored).toMatchObject({
    status: 'active',
    clientReferenceId: `user_${connectionId}`,
    userData: { name: 'seq 2' },
    lastEventAt: '2026-01-01T00:00:02.000Z',
    lastEventType: 'connection.updated',
  });
  // The positive control, instead of a fixed sleep before counting what was enqueued twice.
  const control = await sendWithRetries(pipeline.url, deliveries[3]!);
  expect(control.attempts.map((a) => a.status)).toEqual([202]);
  expect(await observer.waitFor([keys[3]!], 15_000)).toBe(0);
  const enqueuedTwice = keys.filter((key) => (observer.messageIds.get(key)?.size ?? 0) > 1).length;
  const answers = [first, middle, ...(duplicate ? [duplicate] : []), last]
    .map((outcome) => outcome.attempts.map((a) => a.status).join('→'))
    .join(', ');
  const result = {
    name,
    answers,
    lost,
    enqueuedTwice,
    outOfOrder: observer.reordered - before.reordered,
    unfired,
    middleSends,
  };
  results.push(result);
  return { result, middle, ...(duplicate && { duplicate }) };
}

describe('fault matrix × the sender retry policy (5 attempts)', () => {
  const clean = { lost: 0, enqueuedTwice: 0, outOfOrder: 0, unfired: 0 };

  it(
    'loses nothing when Secrets Manager is down on a cold start',
    async () => {
      // GIVEN a verifier that starts cold, while Secrets Manager fails its next 3 calls (500), before the middle event
      const manager = pipeline.secrets.manager;
      // WHEN three events are delivered in order
      const { result, middle } = await runCase('Secrets Manager down', (_key, track) => {
        coldStart();
        const callsBefore = manager.calls;
        manager.failNext(3);
        track(() => Math.max(0, 3 - (manager.calls - callsBefore)));
      });
      // THEN the middle delivery's first attempt is answered 503 (both SDK attempts failed), its
      // retry meets the third failure and a success, and every event is processed once, in order
      expect(middle.attempts[0]!.status).toBe(503);
      expect(result.answers).toBe('202, 503→202, 202');
      expect(result).toMatchObject({ ...clean, middleSends: 1 });
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'answers 5xx within the budget and loses nothing when Secrets Manager is slow',
    async () => {
      // GIVEN a verifier that starts cold while Secrets Manager holds both attempts of its next call
      // longer than the verifier's timeout
      const holdMs = Math.round(VERIFIER_TIMEOUT_MS * 1.5);
      const { result, middle } = await runCase('Secrets Manager slow', () => {
        proxy.slowNext(CLIENT_LIMITS.maxAttempts, holdMs);
        coldStart();
      });
      const answeredInMs = middle.attempts[0]!.elapsedMs;
      // THEN the SDK's own request timeout, not the function's, produced a 503: after both attempts,
      // well before the verifier's timeout and inside the sender's 10-second budget; a retry went through
      expect(result.answers).toBe('202, 503→202, 202');
      const sdkGiveUpMs =
        CLIENT_LIMITS.maxAttempts * (CLIENT_LIMITS.connectionTimeoutMs + CLIENT_LIMITS.requestTimeoutMs);
      expect(answeredInMs).toBeLessThan(Math.min(sdkGiveUpMs * 1.5, VERIFIER_TIMEOUT_MS * 0.75));
      expect(answeredInMs).toBeLessThan(SENDER_BUDGET_MS);
      expect(result).toMatchObject({ ...clean, middleSends: 1 });
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'loses nothing when the claim of the event record fails',
    async () => {
      const { result } = await runCase('record claim fails', () =>
        dynamo.arm({ command: 'UpdateItemCommand', mode: 'fail' }),
      );
      expect(result.answers).toBe('202, 503→202, 202');
      expect(result).toMatchObject({ ...clean, middleSends: 1 });
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'loses nothing when the SQS send fails',
    async () => {
      const { result } = await runCase(
        'SQS send fails',
        () => sqs.arm({ command: 'SendMessageCommand', mode: 'fail' }),
        { scheme: 'ofauth' },
      );
      expect(result.answers).toBe('202, 503→202, 202');
      expect(result).toMatchObject({ ...clean, middleSends: 2 });
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'loses nothing after a crash while claiming, before the claim was written',
    async () => {
      // GIVEN an invocation that dies in its claim (the write never reaches the table)
      const { result } = await runCase('crash while claiming', () =>
        dynamo.arm({ command: 'UpdateItemCommand', mode: 'hang' }),
      );
      // THEN the crashed attempt got a 5xx at the timeout, and the retry claimed and sent it
      expect(result.answers).toBe('202, 503→202, 202');
      expect(result).toMatchObject({ ...clean, middleSends: 1 });
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'loses nothing after a crash between the claim and the SQS send',
    async () => {
      // GIVEN an invocation that dies after claiming (the send never returns): its lease must run out
      const { result } = await runCase('crash between claim and send', () =>
        sqs.arm({ command: 'SendMessageCommand', mode: 'hang' }),
      );
      // THEN the crashed attempt got API Gateway's bare 500 at the timeout, and the retry, after
      // the lease ran out, took the claim over
      expect(result.answers).toBe('202, 503→202, 202');
      expect(result).toMatchObject({ ...clean, middleSends: 2 });
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'enqueues once after a crash right after the SQS send succeeded',
    async () => {
      // GIVEN an invocation whose send succeeds and which dies before it learns so (the message is
      // on the queue, the record still holds its lease)
      const { result } = await runCase('crash right after the send', () =>
        sqs.arm({ command: 'SendMessageCommand', mode: 'succeed-then-crash' }),
      );
      // THEN the retry, after the lease ran out, finds the event processed on its record: 200
      // duplicate, nothing sent again. (Had the processor not finished yet, the retry would re-send
      // and the queue's deduplication or the processor's read of the record would drop the copy:
      // test/integration/verifier-faults.test.ts and test/e2e/late-duplicate.test.ts.)
      expect(result.answers).toBe('202, 503→200, 202');
      expect(result).toMatchObject({ ...clean, middleSends: 1 });
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'loses nothing after a crash right after the claim was written',
    async () => {
      // GIVEN an invocation whose claim is written and which dies before it learns so (nothing sent)
      const { result } = await runCase(
        'crash right after the claim',
        () => dynamo.arm({ command: 'UpdateItemCommand', mode: 'succeed-then-crash' }),
        { scheme: 'ofauth' },
      );
      // THEN the retry, after the lease ran out, claimed it again and sent it, once
      expect(result.answers).toBe('202, 503→202, 202');
      expect(result).toMatchObject({ ...clean, middleSends: 1 });
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'answers a duplicate that arrives while the first is in flight 409, then 200, and enqueues once',
    async () => {
      const { result, duplicate } = await runCase(
        'duplicate while in flight',
        () => sqs.arm({ command: 'SendMessageCommand', mode: 'slow', delayMs: 100 }),
        { concurrentDuplicate: true },
      );
      // THEN the duplicate is told to retry (409 delivery_in_progress) with the lease's time left,
      // and its retry, which comes after the lease, finds the event processed
      expect(JSON.parse(duplicate!.attempts[0]!.body)).toMatchObject({ error: 'delivery_in_progress' });
      expect(result.answers).toBe('202, 202, 409→200, 202');
      expect(result).toMatchObject({ ...clean, middleSends: 1 });
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'keeps order and loses nothing when the processor handler throws twice',
    async () => {
      // GIVEN a handler that throws twice on the middle event. (fauxqs hands out one message of a
      // FIFO group per receive, so the events after it wait in the queue rather than in the batch;
      // skipGroupOnError within one batch is pinned by test/handlers/processor.test.ts.)
      const { result } = await runCase('processor handler throws (×2)', (key) => {
        processorFaults.set(key, 2);
      });
      // THEN the sender saw only 202s, and the event came back twice and was processed in order
      expect(result.answers).toBe('202, 202, 202');
      expect(result).toMatchObject({ ...clean, middleSends: 1 });
    },
    CASE_TIMEOUT_MS,
  );

  it('writes no secret to any log line', () => {
    // GIVEN every line the handlers logged during the matrix (log level DEBUG, metrics on)
    // THEN none carries the signing secret in any encoding
    expect(logs.lines.length).toBeGreaterThan(0);
    expect(findSecretLeaks(logs.lines, [SECRET])).toEqual([]);
  });

  it('measures the figures docs/reliability.md states', () => {
    // GIVEN every case above has run
    // THEN its outcomes are the ones docs/reliability-figures.json holds (regenerate both with
    // npm run reliability:docs after a run that changes them)
    expect(invariantMismatches(SUITE, figures())).toEqual([]);
  });
});
