/**
 * The verifier's Lambda entry point (`lambda/verifier/handler.ts`), loaded as Lambda loads it:
 * configuration from the environment, SDK clients pointed at the emulators by the SDK's own
 * endpoint variables, and nothing passed in. What it wires from that environment: the hand-off,
 * the service name on its log lines and metrics, the signing secrets' cache lifetime, and the
 * warning when a refresh of them fails. The module is imported once per file, as one cold start.
 */
import { createHash } from 'node:crypto';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { MESSAGE_ATTRIBUTES } from '../../lambda/shared/queue-message.ts';
import { type CapturedOutput, captureStdout } from '../fixtures/output.ts';
import { lambdaContext, ofAuthDelivery } from '../support/signing.ts';
import { drainQueue, sleep, startVerifierRig, type VerifierRig } from './verifier-harness.ts';

const CACHE_TTL_SECONDS = 3;

let rig: VerifierRig;
let handler: typeof import('../../lambda/verifier/handler.ts').handler;
let output: CapturedOutput;
const savedEnvironment = { ...process.env };

beforeAll(async () => {
  rig = await startVerifierRig();
  // GIVEN the function's environment, with the SDK's endpoint variables pointing at the emulators
  Object.assign(process.env, {
    SIGNING_SECRET_ID: 'ofauth/signing',
    PROCESSED_EVENTS_TABLE_NAME: rig.recordTableName,
    QUEUE_URL: rig.queueUrl,
    DEAD_LETTER_QUEUE_URL: rig.deadLetterQueueUrl,
    SECRETS_CACHE_TTL_SECONDS: String(CACHE_TTL_SECONDS),
    AWS_ENDPOINT_URL_DYNAMODB: process.env.TEST_DYNAMODB_ENDPOINT,
    AWS_ENDPOINT_URL_SQS: process.env.TEST_SQS_ENDPOINT,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: rig.secretsManager.endpoint,
    POWERTOOLS_LOG_LEVEL: 'INFO',
    POWERTOOLS_METRICS_DISABLED: 'false',
  });
  delete process.env.POWERTOOLS_SERVICE_NAME;
  output = captureStdout();
  ({ handler } = await import('../../lambda/verifier/handler.ts'));
});

afterAll(async () => {
  output.restore();
  for (const name of Object.keys(process.env)) if (!(name in savedEnvironment)) delete process.env[name];
  Object.assign(process.env, savedEnvironment);
  await rig.stop();
});

afterEach(async () => {
  await drainQueue(rig.sqs, rig.queueUrl);
});

let sent = 0;
/** A signed delivery of a fresh connection.created. */
function delivery() {
  sent += 1;
  return ofAuthDelivery({
    body: JSON.stringify({ type: 'connection.created', data: { connection: { id: `conn_entry_${sent}` } } }),
  });
}

describe('the verifier’s Lambda entry point, wired from the environment', () => {
  it('reads the signing secrets at most once per cache lifetime (SECRETS_CACHE_TTL_SECONDS)', async () => {
    // WHEN four deliveries arrive one after another on a cold instance
    const before = rig.secretsManager.calls;
    const statuses = [];
    for (let attempt = 0; attempt < 4; attempt += 1) {
      statuses.push((await handler(delivery(), lambdaContext())).statusCode);
    }
    // THEN all are handed on, and Secrets Manager was asked once (twice at most, should the
    // 3-second lifetime end during the four on a slow machine), not once a delivery
    expect(statuses).toEqual([202, 202, 202, 202]);
    expect(rig.secretsManager.calls - before).toBeGreaterThanOrEqual(1);
    expect(rig.secretsManager.calls - before).toBeLessThanOrEqual(2);
  });

  it('hands an event on once, claiming it in the record table the environment names', async () => {
    // GIVEN a body with no id and no webhook id: its event key is the SHA-256 of the body
    const body = '{"type":"connection.created","data":{"connection":{"id":"conn_entry"}}}';
    const eventKey = createHash('sha256').update(body).digest('hex');
    // WHEN it is delivered, processed (as the processor marks its record), and delivered again
    const first = await handler(ofAuthDelivery({ body }), lambdaContext());
    await rig.dynamodb.send(
      new UpdateItemCommand({
        TableName: rig.recordTableName,
        Key: { eventKey: { S: eventKey } },
        UpdateExpression: 'SET processedAt = :at',
        ConditionExpression: 'attribute_exists(eventKey)',
        ExpressionAttributeValues: { ':at': { S: new Date().toISOString() } },
      }),
    );
    const again = await handler(ofAuthDelivery({ body }), lambdaContext());
    expect([first.statusCode, again.statusCode]).toEqual([202, 200]);
    const messages = await drainQueue(rig.sqs, rig.queueUrl);
    expect(messages.map((m) => m.Attributes?.MessageGroupId)).toEqual(['conn_entry']);
    // THEN it is queued once, under that key, and the sender is told the same key
    expect(messages[0]?.MessageAttributes?.[MESSAGE_ATTRIBUTES.eventKey]?.StringValue).toBe(eventKey);
    expect(JSON.parse(String(first.body))).toMatchObject({ eventId: eventKey });
  });

  it('names its service on every log line and metric, and writes metrics to the configured namespace', async () => {
    await handler(delivery(), lambdaContext());
    const logLines = output.lines().filter((line) => 'level' in line);
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines) expect(line.service).toBe('ofauth-verifier');
    const metricLines = output.metrics() as Array<{
      service?: string;
      _aws: { CloudWatchMetrics: Array<{ Namespace: string }> };
    }>;
    expect(metricLines.length).toBeGreaterThan(0);
    for (const line of metricLines) {
      expect(line.service).toBe('ofauth-verifier');
      expect(line._aws.CloudWatchMetrics[0]?.Namespace).toBe(process.env.POWERTOOLS_METRICS_NAMESPACE);
    }
  });

  it('keeps the cached secrets, and says so, when a refresh after their lifetime fails', async () => {
    // GIVEN the cached secrets' lifetime is over, and Secrets Manager answers 500 for a while
    await sleep(CACHE_TTL_SECONDS * 1000 + 100);
    rig.secretsManager.failNext(10);
    // WHEN a delivery arrives
    const result = await handler(delivery(), lambdaContext());
    // THEN it is handed on with the secrets already held, and the failed refresh is logged
    expect(result.statusCode).toBe(202);
    const [warning, ...more] = output.logs(
      'refreshing the signing secrets failed; the cached secrets stay in use',
    );
    expect(more).toEqual([]);
    expect(warning).toMatchObject({ level: 'WARN', service: 'ofauth-verifier' });
    expect(warning?.error).toEqual(expect.objectContaining({ name: expect.any(String) }));
  });
});
