/**
 * Ten thousand generated requests that must never be handed on (malformed, missing and
 * duplicated headers, wrong encodings, lying base64 flags, oversized and truncated bodies, stale
 * and future signatures, wrong secrets, tampered bytes), through the production verifier handler
 * (`lambda/verifier/handler.ts`, wired by the local pipeline to DynamoDB Local, fauxqs and the
 * local Secrets Manager): no 5xx, nothing enqueued, no crash, no secret or expected signature in
 * an answer or a log line, and a genuine delivery still goes through afterwards. Signed bodies
 * that are not JSON or carry no type are generated apart: they are meant to be kept once each on
 * the dead-letter queue.
 */
import { randomBytes } from 'node:crypto';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { PipelineObserver } from '../../bench/pipeline.ts';
import { type HttpRequest, httpApiEvent } from '../../dev/api-gateway-event.ts';
import { eventBody, newOfauthSecret, signDelivery } from '../../dev/deliveries.ts';
import type { HttpApiHandler } from '../../local/gateway.ts';
import { createLambdaContext } from '../../local/lambda-context.ts';
import { type LocalPipeline, startLocalPipeline } from '../../local/pipeline.ts';
import { generateSvixSecret } from '../../testing/signers.ts';
import { badRequests, type SecretSet, unparseableSignedRequests } from './support/bad-input.ts';
import { invariantMismatches } from './support/documented-figures.ts';
import { captureLogs, dumpLogsIfAsked, findSecretLeaks } from './support/log-capture.ts';
import { sendWithRetries } from './support/sender.ts';
import { candidateKeys, countEchoes, digestsIn, expectedSignatureDigests } from './support/signature-echo.ts';
import { type FigureRow, recordFigures } from './support/summary.ts';

const BAD_REQUESTS = 10_000;
const UNPARSEABLE = 210;
const MAX_BODY_BYTES = 16 * 1024;
const TOLERANCE_SECONDS = 300;
/** Two configured secrets (a rotation): one `whsec_` for both schemes, one plain OFAuth string. */
const SECRETS: SecretSet = {
  svix: generateSvixSecret(),
  ofauth: newOfauthSecret(),
  wrongSvix: generateSvixSecret(),
  wrongOfauth: newOfauthSecret(),
};

const logs = captureLogs();
/** HMAC keys of the configured secrets, as either scheme might use them. */
const KEYS = candidateKeys([SECRETS.svix, SECRETS.ofauth]);
/** Every signature the verifier could have expected for a bad or unparseable request (hex digests). */
const expectedDigests = new Set<string>();
let pipeline: LocalPipeline;
let verifier: HttpApiHandler;
const observer = new PipelineObserver();
/**
 * The messages the processor received, by SQS message id: a message received twice (its
 * visibility timeout ran out on a loaded machine, and the event record skipped the copy) was
 * still enqueued once.
 */
const messagesSeenByProcessor = new Set<string>();
/** Records the processor saw by the end of the bad input, before the genuine delivery. */
let enqueuedByBadInput = 0;
const statusCounts = new Map<string, number>();
const byCategory = new Map<string, Map<number, number>>();
let fiveHundreds = 0;
let crashes = 0;
let expectedSignatureInAnswer = 0;
let expectedSignatureInLog = 0;
let keptOnDeadLetterQueue = 0;
let unparseableStatuses = new Map<number, number>();
let genuineAfterwards = 'not run';

beforeAll(async () => {
  pipeline = await startLocalPipeline({
    port: 0,
    secrets: [SECRETS.svix, SECRETS.ofauth],
    endpoints: { dynamodb: process.env.TEST_DYNAMODB_ENDPOINT!, sqs: process.env.TEST_SQS_ENDPOINT! },
    prefix: `rel-bad-${randomBytes(4).toString('hex')}`,
    visibilityTimeoutSeconds: 2,
    env: {
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      POWERTOOLS_METRICS_DISABLED: 'false',
      MAX_BODY_BYTES: String(MAX_BODY_BYTES),
      SIGNATURE_TOLERANCE_SECONDS: String(TOLERANCE_SECONDS),
    },
    verifier: (module) => {
      verifier = module.handler as unknown as HttpApiHandler;
      return verifier;
    },
    processor: (module) => {
      const wrapped = observer.wrap(module.createProcessorHandler());
      return (event, context) => {
        for (const record of event.Records) messagesSeenByProcessor.add(record.messageId);
        return wrapped(event, context);
      };
    },
  });
}, 60_000);

afterAll(async () => {
  await pipeline?.stop();
  logs.stop();
  dumpLogsIfAsked(logs.lines, 'bad-input');
  recordFigures(SUITE, figures());
});

const SUITE = 'bad input';

/** The suite's figures (the log line count varies with timing; the rest is fixed by the seed). */
function figures(): FigureRow[] {
  return [
    {
      figure: 'generated bad requests',
      value: [...statusCounts.values()].reduce((a, b) => a + b, 0),
      required: `≥ ${BAD_REQUESTS}`,
    },
    {
      figure: 'answers',
      value: [...statusCounts.entries()]
        .sort()
        .map(([status, count]) => `${count}× ${status}`)
        .join(', '),
    },
    { figure: 'answered 5xx', value: fiveHundreds, required: '0' },
    { figure: 'handler crashed (threw)', value: crashes, required: '0' },
    { figure: 'enqueued (records seen by the processor)', value: enqueuedByBadInput, required: '0' },
    { figure: 'expected signature echoed in an answer', value: expectedSignatureInAnswer, required: '0' },
    { figure: 'expected signature in a log line', value: expectedSignatureInLog, required: '0' },
    {
      figure: `signed but unparseable bodies (${UNPARSEABLE}, each sent twice): kept on the DLQ`,
      value: `${keptOnDeadLetterQueue} (answers ${[...unparseableStatuses.entries()].map(([s, c]) => `${c}× ${s}`).join(', ')})`,
      required: `${UNPARSEABLE}`,
    },
    { figure: 'genuine delivery afterwards', value: genuineAfterwards, required: '202, processed' },
    { figure: 'log lines captured (bad input)', value: logs.lines.length, measured: true },
    {
      figure: 'secret found in a log line (bad input)',
      value: findSecretLeaks(logs.lines, Object.values(SECRETS)).length,
      required: '0',
    },
  ];
}

async function invoke(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2 | 'crash'> {
  const context: Context = createLambdaContext({ functionName: 'ofauth-verifier', timeoutMs: 6000 });
  try {
    const answer = await verifier(event, context);
    return typeof answer === 'string' ? { statusCode: 200, body: answer } : answer;
  } catch {
    return 'crash';
  }
}

let controls = 0;
/**
 * A positive control for "nothing reached the processor": a genuine delivery through the same
 * handler, awaited until the processor has it. The queue and the processor were live all along,
 * and anything the bad input had put on the queue before it would have been received by then
 * (a fixed sleep would pass just as well with a stopped poller). Counted, so that the checks can
 * expect exactly the controls.
 */
async function positiveControl(): Promise<void> {
  controls += 1;
  const connectionId = `conn_control_${controls}`;
  const delivery = signDelivery(eventBody({ connectionId, seq: 0 }), {
    scheme: 'svix',
    secret: SECRETS.svix,
  });
  const answer = await invoke(httpApiEvent(delivery));
  expect(answer === 'crash' ? 'crash' : answer.statusCode).toBe(202);
  expect(await observer.waitFor([`${connectionId}#0`], 15_000)).toBe(0);
}

/**
 * Whether an answer carries a signature the verifier could have expected for its request (either
 * scheme, any configured secret, the request's own timestamps and ids); remembers those signatures
 * for the log scan.
 */
function echoesExpectedSignature(
  request: HttpRequest,
  answer: APIGatewayProxyStructuredResultV2,
  nowSeconds: number,
): boolean {
  const expected = expectedSignatureDigests(request, KEYS, nowSeconds);
  for (const digest of expected) expectedDigests.add(digest);
  const echoed = digestsIn(`${answer.body ?? ''}${JSON.stringify(answer.headers ?? {})}`);
  return expected.some((digest) => echoed.has(digest));
}

describe('bad input', () => {
  it(`rejects ${BAD_REQUESTS} generated bad requests without a 5xx, a crash or an enqueued event`, async () => {
    // GIVEN ten thousand seeded bad requests of every category
    const nowSeconds = Math.floor(Date.now() / 1000);
    const requests = badRequests({
      secrets: SECRETS,
      maxBodyBytes: MAX_BODY_BYTES,
      toleranceSeconds: TOLERANCE_SECONDS,
      nowSeconds,
      count: BAD_REQUESTS,
    });
    // WHEN each goes through the production verifier handler
    for (const { category, request } of requests) {
      const event = httpApiEvent(request);
      const answer = await invoke(event);
      if (answer === 'crash') {
        crashes += 1;
        continue;
      }
      const status = answer.statusCode ?? 200;
      statusCounts.set(String(status), (statusCounts.get(String(status)) ?? 0) + 1);
      const perCategory = byCategory.get(category) ?? new Map<number, number>();
      perCategory.set(status, (perCategory.get(status) ?? 0) + 1);
      byCategory.set(category, perCategory);
      if (status >= 500) fiveHundreds += 1;
      if (echoesExpectedSignature(request, answer, Math.floor(Date.now() / 1000)))
        expectedSignatureInAnswer += 1;
    }
    // AND a genuine delivery afterwards reaches the processor (the positive control)
    await positiveControl();
    // THEN every answer is a 4xx, nothing crashed, nothing but the control reached the processor
    const categoriesWithNon4xx = [...byCategory.entries()]
      .filter(([, statuses]) => [...statuses.keys()].some((s) => s < 400 || s >= 500))
      .map(([category, statuses]) => `${category}: ${JSON.stringify([...statuses.entries()])}`);
    expect(categoriesWithNon4xx).toEqual([]);
    expect(crashes).toBe(0);
    expect(fiveHundreds).toBe(0);
    expect(messagesSeenByProcessor.size).toBe(controls);
    expect(expectedSignatureInAnswer).toBe(0);
  }, 240_000);

  it('keeps each signed but unparseable body once on the dead-letter queue, never on the event queue', async () => {
    // GIVEN genuinely signed bodies that are not JSON or carry no type, each delivered twice
    const nowSeconds = Math.floor(Date.now() / 1000);
    const requests = unparseableSignedRequests(SECRETS, nowSeconds, UNPARSEABLE);
    const statuses = new Map<number, number>();
    let echoes = 0;
    for (const { request } of [...requests, ...requests]) {
      const answer = await invoke(httpApiEvent(request));
      if (answer !== 'crash' && echoesExpectedSignature(request, answer, Math.floor(Date.now() / 1000)))
        echoes += 1;
      const status = answer === 'crash' ? -1 : (answer.statusCode ?? 200);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    unparseableStatuses = statuses;
    // WHEN the dead-letter queue is drained
    const bodies: string[] = [];
    for (let emptyPolls = 0; emptyPolls < 2; ) {
      const received = await pipeline.clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: pipeline.resources.deadLetterQueueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          VisibilityTimeout: 60,
        }),
      );
      const messages = received.Messages ?? [];
      if (messages.length === 0) {
        emptyPolls += 1;
        continue;
      }
      bodies.push(...messages.map((m) => m.Body ?? ''));
      await pipeline.clients.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: pipeline.resources.deadLetterQueueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
    keptOnDeadLetterQueue = bodies.length;
    await positiveControl();
    // THEN every answer was a 4xx, each body is kept exactly once, and nothing but the controls
    // reached the processor
    expect([...statuses.keys()].every((s) => s >= 400 && s < 500)).toBe(true);
    expect(echoes).toBe(0);
    expectedSignatureInAnswer += echoes;
    expect(bodies.length).toBe(UNPARSEABLE);
    expect(new Set(bodies).size).toBe(UNPARSEABLE);
    enqueuedByBadInput = messagesSeenByProcessor.size - controls;
    expect(messagesSeenByProcessor.size).toBe(controls);
  }, 120_000);

  it('still hands on and processes a genuine delivery afterwards', async () => {
    // GIVEN the pipeline after the bad input
    const body = eventBody({ connectionId: 'conn_after_bad_input', seq: 1 });
    // WHEN a genuine delivery is sent over HTTP
    const outcome = await sendWithRetries(
      pipeline.url,
      signDelivery(body, { scheme: 'svix', secret: SECRETS.svix }),
      { attempts: 1 },
    );
    const lost = await observer.waitFor(['conn_after_bad_input#1'], 10_000);
    genuineAfterwards = `${outcome.attempts.map((a) => a.status).join('→')}, ${lost === 0 ? 'processed' : 'NOT processed'}`;
    // THEN it is accepted and processed
    expect(outcome.attempts[0]?.status).toBe(202);
    expect(lost).toBe(0);
  }, 30_000);

  it('writes no secret and no expected signature to any log line', () => {
    // GIVEN every line logged while the bad input went through (log level DEBUG, metrics on)
    expect(logs.lines.length).toBeGreaterThan(BAD_REQUESTS);
    expect(expectedDigests.size).toBeGreaterThan(BAD_REQUESTS);
    // THEN none carries a secret in any encoding, nor a signature the verifier could have expected
    expect(findSecretLeaks(logs.lines, Object.values(SECRETS))).toEqual([]);
    expectedSignatureInLog = countEchoes(logs.lines, expectedDigests);
    expect(expectedSignatureInLog).toBe(0);
  });

  it('measures the figures docs/reliability.md states', () => {
    // GIVEN every case above has run (the requests are drawn with a fixed seed)
    // THEN the answers and counts are the ones docs/reliability-figures.json holds
    expect(invariantMismatches(SUITE, figures())).toEqual([]);
  });
});
