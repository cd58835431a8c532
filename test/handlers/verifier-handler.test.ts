import { createHash, createHmac } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { jest } from '@jest/globals';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { SERVICE_NAMES, VERIFIER_METRICS } from '../../lambda/shared/metrics.ts';
import { createVerifierHandler, type VerifierHandler } from '../../lambda/verifier/create-handler.ts';
import { DependencyError } from '../../lambda/verifier/errors.ts';
import { HandOff, type QueuedEvent, type RejectedDelivery } from '../../lambda/verifier/hand-off.ts';
import type { SigningSecretSource } from '../../lambda/verifier/secrets.ts';
import { InMemoryEventQueue, InMemoryEventRecords } from '../support/in-memory-verifier.ts';
import {
  answerBody,
  apiGatewayEvent,
  fixtureBody,
  lambdaContext,
  ofAuthDelivery,
  svixDelivery,
  TEST_OFAUTH_SECRET,
  TEST_SVIX_SECRET,
} from '../support/signing.ts';

const SECRETS = [TEST_OFAUTH_SECRET, TEST_SVIX_SECRET];
const LOG_KEYS = ['eventKey', 'eventType', 'connectionId', 'scheme', 'outcome'] as const;

/**
 * Secrets whose value the test controls, counting calls; `fail` makes the next reads throw,
 * `failRefresh` the next forced refreshes (Secrets Manager down after the cache was filled).
 */
class FakeSecrets implements SigningSecretSource {
  currentCalls = 0;
  refreshCalls = 0;
  fail = false;
  failRefresh = false;
  constructor(
    public value: readonly string[] = SECRETS,
    public refreshed: readonly string[] | undefined = undefined,
  ) {}
  async current() {
    this.currentCalls += 1;
    if (this.fail) throw new DependencyError('secrets', { cause: new Error('down') });
    return this.value;
  }
  async refresh() {
    this.refreshCalls += 1;
    if (this.failRefresh) throw new DependencyError('secrets', { cause: new Error('down') });
    if (this.refreshed) this.value = this.refreshed;
    return this.refreshed;
  }
}

/** A queue that fails on demand. */
class FlakyQueue extends InMemoryEventQueue {
  failEnqueue = 0;
  failKeep = 0;
  override async enqueue(event: QueuedEvent) {
    if (this.failEnqueue-- > 0) throw new Error('SQS is down');
    return super.enqueue(event);
  }
  override async keepRejected(delivery: RejectedDelivery) {
    if (this.failKeep-- > 0) throw new Error('SQS is down');
    return super.keepRejected(delivery);
  }
}

interface Harness {
  handler: VerifierHandler;
  queue: FlakyQueue;
  records: InMemoryEventRecords;
  secrets: SigningSecretSource;
  /** Invokes the handler with a fresh Lambda context (8 s left unless `context` says otherwise). */
  invoke(
    event: APIGatewayProxyEventV2,
    context?: ReturnType<typeof lambdaContext>,
  ): Promise<{
    result: APIGatewayProxyStructuredResultV2;
    logs: Record<string, unknown>[];
    metrics: Record<string, unknown>[];
    output: string;
  }>;
}

function harness(
  options: {
    secrets?: SigningSecretSource;
    maxBodyBytes?: number;
    /** The event records' clock (ms). @default Date.now */
    recordClock?: () => number;
    clock?: () => number;
    toleranceSeconds?: number;
    /** Leave out the logger and metrics, so the handler builds its own. */
    defaultTelemetry?: boolean;
  } = {},
): Harness {
  const queue = new FlakyQueue();
  const records = new InMemoryEventRecords(options.recordClock);
  const secrets = options.secrets ?? new FakeSecrets();
  const handler = createVerifierHandler({
    secrets,
    handOff: new HandOff({ records, queue }),
    ...(!options.defaultTelemetry && {
      logger: new Logger({ serviceName: SERVICE_NAMES.verifier, logLevel: 'DEBUG' }),
      metrics: new Metrics({ serviceName: SERVICE_NAMES.verifier, namespace: 'OFAuthWebhooks' }),
    }),
    ...(options.maxBodyBytes !== undefined && { maxBodyBytes: options.maxBodyBytes }),
    ...(options.clock && { clock: options.clock }),
    ...(options.toleranceSeconds !== undefined && { toleranceSeconds: options.toleranceSeconds }),
  });
  return {
    handler,
    queue,
    records,
    secrets,
    async invoke(event, context = lambdaContext()) {
      const chunks: string[] = [];
      const capture = (chunk: unknown) => {
        chunks.push(String(chunk));
        return true;
      };
      const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
      const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
      let result: APIGatewayProxyStructuredResultV2;
      try {
        result = await handler(event, context);
      } finally {
        out.mockRestore();
        err.mockRestore();
      }
      const output = chunks.join('');
      const lines = output
        .split('\n')
        .filter((line) => line.trim().startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      return {
        result,
        output,
        logs: lines.filter((line) => !('_aws' in line)),
        metrics: lines.filter((line) => '_aws' in line),
      };
    },
  };
}

/** The metric names of the EMF lines, each with its dimension set. */
function metricEntries(
  metrics: Record<string, unknown>[],
): Array<{ name: string; dimensions: string[]; line: Record<string, unknown> }> {
  return metrics.flatMap((line) => {
    const aws = line._aws as {
      CloudWatchMetrics: Array<{ Dimensions: string[][]; Metrics: Array<{ Name: string }> }>;
    };
    return aws.CloudWatchMetrics.flatMap((directive) =>
      directive.Metrics.map((metric) => ({
        name: metric.Name,
        dimensions: directive.Dimensions[0] ?? [],
        line,
      })),
    );
  });
}

const connectionCreated = fixtureBody('connection.created');

describe('verifier handler: accepted deliveries', () => {
  it('answers 202 with the event id and hands the raw body on once', async () => {
    // GIVEN a genuine OFAuth-Signature delivery
    const h = harness();
    const { result, logs, metrics } = await h.invoke(ofAuthDelivery({ body: connectionCreated }));
    // THEN it is answered 202 with the event key as event id
    expect(result.statusCode).toBe(202);
    const answer = answerBody(result);
    expect(answer).toEqual({ received: true, eventId: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // AND the raw body went on the queue verbatim, grouped by connection, with its attributes
    expect(h.queue.events).toHaveLength(1);
    expect(h.queue.events[0]).toEqual({
      body: connectionCreated,
      messageGroupId: 'conn_abc123',
      connectionId: 'conn_abc123',
      attributes: {
        eventType: 'connection.created',
        eventKey: answer.eventId,
        signatureScheme: 'ofauth',
        receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    });
    // AND every log line carries the five keys
    expect(logs.length).toBeGreaterThan(0);
    for (const line of logs) {
      expect(line).toMatchObject({
        eventKey: answer.eventId,
        eventType: 'connection.created',
        connectionId: 'conn_abc123',
        scheme: 'ofauth',
        outcome: 'enqueued',
      });
    }
    // AND the metrics are DeliveriesReceived and EventsEnqueued with the service dimension only
    expect(metricEntries(metrics).map(({ name, dimensions }) => [name, dimensions])).toEqual([
      [VERIFIER_METRICS.received, ['service']],
      [VERIFIER_METRICS.enqueued, ['service']],
    ]);
  });

  it('answers 200 duplicate to a retry of a processed event re-signed with a new timestamp, and enqueues nothing more', async () => {
    // GIVEN an event handed on and then processed
    const h = harness();
    const now = Math.floor(Date.now() / 1000);
    const first = await h.invoke(ofAuthDelivery({ body: connectionCreated, timestamp: now - 10 }));
    h.records.markProcessed(String(answerBody(first.result).eventId));
    // WHEN the sender retries it, signed anew
    const { result, logs, metrics } = await h.invoke(
      ofAuthDelivery({ body: connectionCreated, timestamp: now }),
    );
    expect(result.statusCode).toBe(200);
    expect(answerBody(result)).toEqual({ received: true, duplicate: true });
    expect(h.queue.events).toHaveLength(1);
    expect(logs.every((line) => line.outcome === 'duplicate')).toBe(true);
    expect(metricEntries(metrics).map(({ name }) => name)).toContain(VERIFIER_METRICS.duplicates);
  });

  it('keys a Svix delivery by its svix-id and a Standard Webhooks delivery by its webhook-id', async () => {
    const h = harness();
    const svix = await h.invoke(svixDelivery({ body: connectionCreated, id: 'msg_1' }));
    const std = await h.invoke(svixDelivery({ body: connectionCreated, id: 'msg_2', prefix: 'webhook' }));
    expect(answerBody(svix.result)).toEqual({ received: true, eventId: 'msg_1' });
    expect(answerBody(std.result)).toEqual({ received: true, eventId: 'msg_2' });
    expect(h.queue.events.map((e) => e.attributes.signatureScheme)).toEqual(['svix', 'svix']);
    expect(svix.logs.every((line) => line.scheme === 'svix' && line.eventKey === 'msg_1')).toBe(true);
  });

  it('verifies a base64-encoded body on its decoded bytes and enqueues the decoded text', async () => {
    const h = harness();
    const { result } = await h.invoke(ofAuthDelivery({ body: connectionCreated, base64: true }));
    expect(result.statusCode).toBe(202);
    expect(h.queue.events[0]?.body).toBe(connectionCreated);
  });

  it('hands on unknown types, the SDK envelope shape, and connection-less events in a per-type group', async () => {
    const h = harness();
    const unknown = '{"type":"something.new","data":{"connection":{"id":"conn_9"}}}';
    const sdk =
      '{"eventType":"connection.expired","live":true,"data":{"connection":{"id":"conn_7","status":"expired"}}}';
    const rules = fixtureBody('rules.updated');
    for (const body of [unknown, sdk, rules]) {
      expect((await h.invoke(ofAuthDelivery({ body }))).result.statusCode).toBe(202);
    }
    expect(h.queue.events.map((e) => [e.attributes.eventType, e.messageGroupId])).toEqual([
      ['something.new', 'conn_9'],
      ['connection.expired', 'conn_7'],
      ['rules.updated', 'type:rules.updated'],
    ]);
  });

  it('keys an event by a top-level id when the body carries one', async () => {
    const h = harness();
    const body = '{"id":"evt_42","type":"connection.updated","data":{"connection":{"id":"conn_1"}}}';
    const { result } = await h.invoke(ofAuthDelivery({ body }));
    expect(answerBody(result).eventId).toBe('evt_42');
  });

  it.each([
    [
      'a numeric timestamp',
      '{"type":"connection.created","timestamp":1705314600,"data":{"connection":{"id":"conn_n"}}}',
    ],
    [
      'a null timestamp',
      '{"type":"connection.updated","timestamp":null,"data":{"connection":{"id":"conn_n"}}}',
    ],
    ['a numeric id', '{"type":"future.event","id":123,"data":{"connection":{"id":"conn_n"}}}'],
    [
      'a string live flag',
      '{"eventType":"connection.expired","live":"true","data":{"connection":{"id":"conn_n"}}}',
    ],
  ])('hands on a genuine delivery whose envelope has %s', async (_case, body) => {
    // GIVEN a correctly signed delivery whose optional top-level field has an unexpected type
    const h = harness();
    // WHEN it is delivered
    const { result } = await h.invoke(ofAuthDelivery({ body }));
    // THEN it is accepted and handed on verbatim, not refused and parked on the dead-letter queue
    expect(result.statusCode).toBe(202);
    expect(h.queue.events.map((e) => [e.body, e.messageGroupId])).toEqual([[body, 'conn_n']]);
    expect(h.queue.rejected).toHaveLength(0);
  });

  it('keys an event by a numeric top-level id as its decimal text', async () => {
    // GIVEN a delivery whose top-level id is a number
    const h = harness();
    const body = '{"type":"future.event","id":123,"data":{}}';
    // WHEN it is delivered
    const { result } = await h.invoke(ofAuthDelivery({ body }));
    // THEN its event key is the id's text
    expect(answerBody(result).eventId).toBe('123');
    expect(h.queue.events[0]?.attributes.eventKey).toBe('123');
  });

  it('hands on a body that starts with a byte order mark byte for byte', async () => {
    // GIVEN a genuine delivery whose UTF-8 body starts with EF BB BF, raw and base64-encoded
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(connectionCreated)]);
    for (const base64 of [false, true]) {
      const h = harness();
      // WHEN it is delivered
      const { result } = await h.invoke(ofAuthDelivery({ body, base64 }));
      // THEN it is accepted, and the queued text is the very bytes that were signed, mark included
      expect(result.statusCode).toBe(202);
      expect(h.queue.events).toHaveLength(1);
      expect(Buffer.from(h.queue.events[0]!.body, 'utf8').equals(body)).toBe(true);
      expect(h.queue.events[0]!.messageGroupId).toBe('conn_abc123');
    }
  });

  it.each([
    ['just over the deduplication id limit', 129],
    ['over the attribute limit', 300],
    ['very long', 2_000],
  ])('uses one event key for record, queue and answer when the svix-id is %s', async (_case, length) => {
    // GIVEN a Svix delivery whose svix-id is longer than SQS takes as a deduplication id
    const h = harness();
    const svixId = `msg_${'x'.repeat(length - 4)}`;
    // WHEN it is delivered, then delivered again
    const first = await h.invoke(svixDelivery({ body: connectionCreated, id: svixId }));
    const expected = createHash('sha256').update(svixId).digest('hex');
    h.records.markProcessed(expected);
    const again = await h.invoke(svixDelivery({ body: connectionCreated, id: svixId }));
    // THEN the key is the SHA-256 hex of the id, the same in the record, on the message and in the answer
    expect(answerBody(first.result)).toEqual({ received: true, eventId: expected });
    expect([...h.records.records.keys()]).toEqual([expected]);
    expect(h.queue.events.map((e) => e.attributes.eventKey)).toEqual([expected]);
    expect(first.logs.every((line) => line.eventKey === expected)).toBe(true);
    // AND the retry is a duplicate of it
    expect(again.result.statusCode).toBe(200);
  });

  it('keeps a svix-id of up to 128 printable characters as the event key', async () => {
    // GIVEN a svix-id at the limit
    const h = harness();
    const svixId = `msg_${'y'.repeat(124)}`;
    // WHEN it is delivered
    const { result } = await h.invoke(svixDelivery({ body: connectionCreated, id: svixId }));
    // THEN the id itself is the key
    expect(answerBody(result).eventId).toBe(svixId);
    expect([...h.records.records.keys()]).toEqual([svixId]);
  });

  it('refreshes the secrets once after a miss, so a rotated secret works at once', async () => {
    // GIVEN a cache still holding the old secret while Secrets Manager has the new one
    const secrets = new FakeSecrets(['old-secret'], ['old-secret', 'new-secret']);
    const h = harness({ secrets });
    // WHEN a delivery signed with the new secret arrives
    const { result } = await h.invoke(ofAuthDelivery({ body: connectionCreated, secret: 'new-secret' }));
    // THEN it is accepted after one refresh
    expect(result.statusCode).toBe(202);
    expect(secrets.refreshCalls).toBe(1);
  });

  it('makes no refresh call on a warm invocation that verifies', async () => {
    const secrets = new FakeSecrets();
    const h = harness({ secrets });
    await h.invoke(ofAuthDelivery({ body: connectionCreated }));
    await h.invoke(svixDelivery({ body: connectionCreated, id: 'msg_warm' }));
    expect(secrets.refreshCalls).toBe(0);
  });
});

describe('verifier handler: rejected deliveries', () => {
  const now = Math.floor(Date.now() / 1000);
  it.each([
    ['missing_signature', () => apiGatewayEvent({ body: connectionCreated })],
    ['invalid_signature', () => ofAuthDelivery({ body: connectionCreated, secret: 'not-configured' })],
    ['timestamp_out_of_tolerance', () => ofAuthDelivery({ body: connectionCreated, timestamp: now - 301 })],
    [
      'timestamp_out_of_tolerance',
      () => svixDelivery({ body: connectionCreated, id: 'm', timestamp: now + 400 }),
    ],
    [
      'malformed_signature',
      () => apiGatewayEvent({ body: connectionCreated, headers: { 'OFAuth-Signature': 'garbage' } }),
    ],
    [
      'missing_webhook_id',
      () =>
        apiGatewayEvent({
          body: connectionCreated,
          headers: { 'svix-timestamp': String(now), 'svix-signature': 'v1,x' },
        }),
    ],
  ])('rejects with 401 %s, counted as a signature rejection', async (code, event) => {
    const h = harness();
    const { result, metrics, logs } = await h.invoke(event());
    expect(result.statusCode).toBe(401);
    expect(answerBody(result)).toEqual({ error: code, message: expect.any(String) });
    expect(h.queue.events).toHaveLength(0);
    const entries = metricEntries(metrics);
    expect(entries.find((e) => e.name === VERIFIER_METRICS.signatureRejected)?.dimensions).toEqual([
      'service',
    ]);
    const rejected = entries.find((e) => e.name === VERIFIER_METRICS.rejected);
    expect(rejected?.dimensions).toEqual(['service', 'reason']);
    expect(rejected?.line.reason).toBe(code);
    expect(logs.every((line) => line.outcome === 'rejected')).toBe(true);
  });

  it.each([
    ['missing_signature', () => apiGatewayEvent({ body: connectionCreated })],
    ['timestamp_out_of_tolerance', () => ofAuthDelivery({ body: connectionCreated, timestamp: now - 301 })],
    [
      'timestamp_out_of_tolerance',
      () => svixDelivery({ body: connectionCreated, id: 'm', timestamp: now + 400 }),
    ],
    [
      'malformed_signature',
      () => apiGatewayEvent({ body: connectionCreated, headers: { 'OFAuth-Signature': `t=${now}` } }),
    ],
    [
      'malformed_timestamp',
      () =>
        apiGatewayEvent({
          body: connectionCreated,
          headers: { 'OFAuth-Signature': `t=soon,v1=${'a'.repeat(64)}` },
        }),
    ],
    [
      'missing_timestamp',
      () =>
        apiGatewayEvent({ body: connectionCreated, headers: { 'svix-id': 'm', 'svix-signature': 'v1,x' } }),
    ],
  ])('rejects with 401 %s without re-reading the secrets', async (code, event) => {
    // GIVEN a secret source that would answer a refresh with other secrets
    const secrets = new FakeSecrets(SECRETS, [...SECRETS, 'a-rotated-secret']);
    const h = harness({ secrets });
    // WHEN a delivery fails for a reason a rotated secret cannot change
    const { result } = await h.invoke(event());
    // THEN it is rejected with no refresh: junk must not spend the refresh window a rotation needs
    expect(result.statusCode).toBe(401);
    expect(answerBody(result).error).toBe(code);
    expect(secrets.refreshCalls).toBe(0);
    expect(secrets.currentCalls).toBe(1);
  });

  it('rejects a forged delivery after exactly one refresh, verified against the refreshed secrets', async () => {
    // GIVEN a cache that holds only an old secret, and a refresh that brings the sender's one
    const secrets = new FakeSecrets(['old-secret'], ['old-secret', TEST_OFAUTH_SECRET]);
    const h = harness({ secrets });
    // WHEN a delivery signed with neither arrives, then one signed with the refreshed secret
    const forged = await h.invoke(ofAuthDelivery({ body: connectionCreated, secret: 'forged' }));
    // THEN the forgery is rejected after one refresh
    expect(answerBody(forged.result).error).toBe('invalid_signature');
    expect(secrets.refreshCalls).toBe(1);
  });

  it('rejects each signature failure with its documented message', async () => {
    const messages: Record<string, string> = {
      missing_signature: 'no OFAuth-Signature, svix-signature or webhook-signature header',
      malformed_signature: 'the signature header has no usable timestamp and v1 signature',
      missing_webhook_id: 'the Svix / Standard Webhooks signature has no id header',
      missing_timestamp: 'the Svix / Standard Webhooks signature has no timestamp header',
      malformed_timestamp: 'the signature timestamp is not a whole number of seconds',
      timestamp_out_of_tolerance: 'the signature timestamp is too far from the current time',
      invalid_signature: 'the signature does not match any configured signing secret',
    };
    const events = [
      apiGatewayEvent({ body: connectionCreated }),
      apiGatewayEvent({ body: connectionCreated, headers: { 'OFAuth-Signature': `t=${now}` } }),
      apiGatewayEvent({
        body: connectionCreated,
        headers: { 'svix-timestamp': String(now), 'svix-signature': 'v1,x' },
      }),
      apiGatewayEvent({ body: connectionCreated, headers: { 'svix-id': 'm', 'svix-signature': 'v1,x' } }),
      apiGatewayEvent({
        body: connectionCreated,
        headers: { 'OFAuth-Signature': `t=soon,v1=${'a'.repeat(64)}` },
      }),
      ofAuthDelivery({ body: connectionCreated, timestamp: now - 301 }),
      ofAuthDelivery({ body: connectionCreated, secret: 'not-configured' }),
    ];
    const answered: Record<string, string> = {};
    for (const event of events) {
      const { result } = await harness().invoke(event);
      const { error, message } = answerBody(result) as { error: string; message: string };
      answered[error] = message;
    }
    expect(answered).toEqual(messages);
  });

  it('rejects each unusable signed body with its documented message', async () => {
    const cases: Array<[Buffer, string]> = [
      [Buffer.from('not json'), 'the signed body is not valid UTF-8 JSON'],
      [Buffer.from('{"data":{}}'), 'the signed body has no non-empty string "type" or "eventType"'],
      [
        Buffer.from('{"type":"x","data":"\uffff"}'),
        'the signed body holds characters a queue message cannot carry (U+FFFE, U+FFFF)',
      ],
    ];
    for (const [body, message] of cases) {
      const { result } = await harness().invoke(ofAuthDelivery({ body, base64: true }));
      expect(answerBody(result).message).toBe(message);
    }
  });

  it('rejects with 401 when the refreshed secrets still do not match', async () => {
    const secrets = new FakeSecrets(['old'], ['old', 'newer']);
    const h = harness({ secrets });
    const { result } = await h.invoke(ofAuthDelivery({ body: connectionCreated, secret: 'forged' }));
    expect(result.statusCode).toBe(401);
    expect(secrets.refreshCalls).toBe(1);
  });

  it('rejects with the original 401, logged as a warning, when the forced refresh fails', async () => {
    // GIVEN cached secrets, and a Secrets Manager that fails the refresh a signature miss forces
    const secrets = new FakeSecrets();
    secrets.failRefresh = true;
    const h = harness({ secrets });
    // WHEN a forged delivery arrives
    const { result, metrics, logs } = await h.invoke(
      ofAuthDelivery({ body: connectionCreated, secret: 'forged' }),
    );
    // THEN it is answered 401 invalid_signature, as it would be with Secrets Manager up
    expect(result.statusCode).toBe(401);
    expect(answerBody(result)).toEqual({ error: 'invalid_signature', message: expect.any(String) });
    expect(secrets.refreshCalls).toBe(1);
    // AND the failed refresh is a warning, not a dependency failure
    const names = metricEntries(metrics).map((e) => e.name);
    expect(names).toContain(VERIFIER_METRICS.signatureRejected);
    expect(names).not.toContain(VERIFIER_METRICS.dependencyFailures);
    expect(logs.some((line) => line.level === 'WARN' && String(line.message).includes('refresh'))).toBe(true);
    expect(logs.some((line) => line.level === 'ERROR')).toBe(false);
    expect(logs.at(-1)?.outcome).toBe('rejected');
    expect(h.queue.events).toHaveLength(0);
  });

  it('rejects a body over the limit with 413 before any other work, raw or base64', async () => {
    const secrets = new FakeSecrets();
    const h = harness({ secrets, maxBodyBytes: 100 });
    const big = JSON.stringify({ type: 'x', data: { pad: 'y'.repeat(200) } });
    for (const base64 of [false, true]) {
      const { result, metrics } = await h.invoke(ofAuthDelivery({ body: big, base64 }));
      expect(result.statusCode).toBe(413);
      expect(answerBody(result).error).toBe('payload_too_large');
      expect(metricEntries(metrics).map((e) => e.name)).toEqual(
        expect.arrayContaining([VERIFIER_METRICS.tooLarge, VERIFIER_METRICS.rejected]),
      );
    }
    // AND a multi-byte body whose characters fit but whose bytes do not
    const { result } = await h.invoke(ofAuthDelivery({ body: `{"type":"${'é'.repeat(60)}"}` }));
    expect(result.statusCode).toBe(413);
    expect(secrets.currentCalls).toBe(0);
  });

  it('rejects other methods with 405', async () => {
    const h = harness();
    const { result } = await h.invoke(apiGatewayEvent({ method: 'GET' }));
    expect(result.statusCode).toBe(405);
    expect(result.headers?.allow).toBe('POST');
    expect(answerBody(result).error).toBe('method_not_allowed');
  });

  it.each([
    ['invalid_json', 400, Buffer.from('not json at all')],
    ['invalid_json', 400, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
    [
      'invalid_json',
      400,
      Buffer.concat([
        Buffer.from('{"type":"connection.created","data":{"connection":{"id":"conn_1"},"note":"'),
        Buffer.from([0xff]),
        Buffer.from('"}}'),
      ]),
    ],
    ['missing_event_type', 422, Buffer.from('{"data":{"connection":{"id":"conn_1"}}}')],
    ['unsupported_characters', 422, Buffer.from('{"type":"x","data":"\uffff"}')],
  ])('rejects a signed body with %s (%i) and keeps it once for inspection', async (code, status, body) => {
    // GIVEN a genuinely signed body that cannot be handed on, delivered twice
    const h = harness();
    // (API Gateway base64-encodes a body that is not text; send every case that way)
    const first = await h.invoke(ofAuthDelivery({ body, base64: true }));
    const second = await h.invoke(ofAuthDelivery({ body, base64: true }));
    // THEN both are answered with the same 4xx and the body is kept once, byte for byte
    for (const { result } of [first, second]) {
      expect(result.statusCode).toBe(status);
      expect(answerBody(result).error).toBe(code);
    }
    expect(h.queue.events).toHaveLength(0);
    expect(h.queue.rejected).toHaveLength(1);
    expect(Buffer.from(h.queue.rejected[0]!.body).equals(body)).toBe(true);
    expect(h.queue.rejected[0]).toMatchObject({ reason: code, signatureScheme: 'ofauth' });
  });

  it('still answers 4xx when keeping a bad body fails, and counts it as a rejected body not kept', async () => {
    // GIVEN a dead-letter queue that refuses the next kept body
    const h = harness();
    h.queue.failKeep = 1;
    // WHEN a signed body that is not JSON arrives
    const { result, metrics, logs } = await h.invoke(ofAuthDelivery({ body: 'nope' }));
    // THEN the sender still gets its 4xx (and will not retry it), so the loss has its own metric,
    // once, with the service dimension only; it is no dependency failure answered 503
    expect(result.statusCode).toBe(400);
    const entries = metricEntries(metrics);
    expect(
      entries
        .filter((e) => e.name === VERIFIER_METRICS.rejectedNotKept)
        .map(({ name, dimensions }) => [name, dimensions]),
    ).toEqual([[VERIFIER_METRICS.rejectedNotKept, ['service']]]);
    expect(entries.map((e) => e.name)).not.toContain(VERIFIER_METRICS.dependencyFailures);
    expect(logs.some((line) => line.level === 'ERROR')).toBe(true);
    // AND the next retry keeps it
    await h.invoke(ofAuthDelivery({ body: 'nope' }));
    expect(h.queue.rejected).toHaveLength(1);
  });

  it('rejects a bad body kept already (or being kept right now) without logging or counting a failure', async () => {
    // GIVEN another request has marked this very body (same svix-id) as kept
    const h = harness();
    h.records.records.set('msg_bad_twice', {
      eventKey: 'msg_bad_twice',
      rejectedAt: new Date().toISOString(),
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
    });
    // WHEN the same signed bad body arrives again
    const { result, metrics, logs } = await h.invoke(svixDelivery({ body: 'not json', id: 'msg_bad_twice' }));
    // THEN it gets the body's 4xx, and nothing is reported as a dependency failure
    expect(result.statusCode).toBe(400);
    expect(answerBody(result).error).toBe('invalid_json');
    const names = metricEntries(metrics).map((e) => e.name);
    expect(names).not.toContain(VERIFIER_METRICS.dependencyFailures);
    expect(names).not.toContain(VERIFIER_METRICS.rejectedNotKept);
    expect(names).toContain(VERIFIER_METRICS.rejected);
    expect(logs.filter((line) => line.level === 'ERROR')).toEqual([]);
    expect(logs.filter((line) => line.level === 'WARN').map((line) => line.message)).toEqual([
      'delivery rejected',
    ]);
    expect(h.queue.rejected).toHaveLength(0);
  });

  it('rejects a bad body with its 4xx and names the dead-letter queue when keeping it fails', async () => {
    const h = harness();
    h.queue.failKeep = 1;
    const { result, metrics, logs } = await h.invoke(
      svixDelivery({ body: '{"data":{}}', id: 'msg_untyped' }),
    );
    expect(result.statusCode).toBe(422);
    expect(answerBody(result).error).toBe('missing_event_type');
    expect(metricEntries(metrics).map((e) => e.name)).toContain(VERIFIER_METRICS.rejectedNotKept);
    expect(logs.find((line) => line.level === 'ERROR')).toMatchObject({
      eventKey: 'msg_untyped',
      scheme: 'svix',
      dependency: 'dead-letter-queue',
    });
  });

  it('rejects a bad body with its 4xx and blames the dead-letter queue when keeping it fails with an unnamed error', async () => {
    // GIVEN event records that fail with an error naming no dependency
    const h = harness();
    h.records.claimRejection = async () => {
      throw new Error('unexpected');
    };
    const { result, logs } = await h.invoke(svixDelivery({ body: 'not json', id: 'msg_unnamed' }));
    // THEN the answer stays the body's 4xx, and the failure is put on the dead-letter queue's account
    expect(result.statusCode).toBe(400);
    expect(logs.find((line) => line.level === 'ERROR')).toMatchObject({ dependency: 'dead-letter-queue' });
  });

  it('rejects with a retryable 409 while another request holds the lease, asking to wait out the lease', async () => {
    // GIVEN a key claimed by another request whose lease has 4.5 s to run
    const now = 1_800_000_000_000;
    const h = harness({ recordClock: () => now });
    const event = svixDelivery({ body: connectionCreated, id: 'msg_busy' });
    h.records.records.set('msg_busy', {
      eventKey: 'msg_busy',
      leaseUntil: now + 4_500,
      expiresAt: now / 1000 + 3600,
    });
    // WHEN the same event arrives
    const { result, logs } = await h.invoke(event);
    // THEN it is told to retry once the lease has run out, and nothing is sent
    expect(result.statusCode).toBe(409);
    expect(result.headers?.['retry-after']).toBe('5');
    expect(answerBody(result)).toEqual({
      error: 'delivery_in_progress',
      message: 'this event is being handed on by another request; retry later',
    });
    expect(logs.every((line) => line.outcome === 'in_progress')).toBe(true);
    expect(h.queue.events).toHaveLength(0);
  });
});

describe('verifier handler: failing dependencies', () => {
  it('fails with 503 when the secrets cannot be read, and hands nothing on', async () => {
    const secrets = new FakeSecrets();
    secrets.fail = true;
    const h = harness({ secrets });
    const { result, metrics, logs } = await h.invoke(ofAuthDelivery({ body: connectionCreated }));
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['retry-after']).toBeDefined();
    expect(answerBody(result)).toEqual({
      error: 'dependency_unavailable',
      message: expect.stringContaining('secrets'),
    });
    expect(metricEntries(metrics).map((e) => e.name)).toContain(VERIFIER_METRICS.dependencyFailures);
    expect(logs.every((line) => line.outcome === 'dependency_failure')).toBe(true);
    expect(h.queue.events).toHaveLength(0);
  });

  it('fails with 503 on a cold start with no cached secrets, even for a forged delivery', async () => {
    // GIVEN no secrets in hand at all and Secrets Manager down (reads and refreshes fail)
    const secrets = new FakeSecrets();
    secrets.fail = true;
    secrets.failRefresh = true;
    const h = harness({ secrets });
    // WHEN a delivery arrives whose signature nothing could check
    const { result } = await h.invoke(ofAuthDelivery({ body: connectionCreated, secret: 'forged' }));
    // THEN the answer is 503: nothing could be verified, so the sender must retry
    expect(result.statusCode).toBe(503);
    expect(answerBody(result).error).toBe('dependency_unavailable');
    expect(secrets.refreshCalls).toBe(0);
  });

  it('fails with 503 when the queue send fails, and the retry hands on once', async () => {
    const h = harness();
    h.queue.failEnqueue = 1;
    const first = await h.invoke(ofAuthDelivery({ body: connectionCreated }));
    expect(first.result.statusCode).toBe(503);
    // AND the log line names the queue, and the SDK's error beneath it
    expect(first.logs.filter((line) => line.level === 'ERROR')).toEqual([
      expect.objectContaining({
        dependency: 'queue',
        error: expect.objectContaining({
          name: 'DependencyError',
          message: 'queue is unavailable',
          cause: expect.objectContaining({ message: 'SQS is down' }),
        }),
      }),
    ]);
    expect(h.queue.events).toHaveLength(0);
    const retry = await h.invoke(ofAuthDelivery({ body: connectionCreated }));
    expect(retry.result.statusCode).toBe(202);
    expect(h.queue.events).toHaveLength(1);
  });
});

describe('verifier handler: logs', () => {
  it('never writes a secret or an expected signature, whatever the outcome', async () => {
    // GIVEN deliveries that verify, that fail with a wrong secret, and that fail a dependency
    const h = harness();
    const body = connectionCreated;
    const t = Math.floor(Date.now() / 1000);
    const forged = ofAuthDelivery({ body, secret: 'attacker', timestamp: t });
    const outputs = [
      (await h.invoke(ofAuthDelivery({ body, timestamp: t }))).output,
      (await h.invoke(forged)).output,
      (
        await h.invoke(
          svixDelivery({ body, id: 'msg_x', secret: `whsec_${Buffer.alloc(32, 9).toString('base64')}` }),
        )
      ).output,
      (await h.invoke(ofAuthDelivery({ body: 'bad', timestamp: t }))).output,
    ];
    h.queue.failEnqueue = 1;
    outputs.push((await h.invoke(ofAuthDelivery({ body: `${body} ` }))).output);
    // THEN no output holds a secret, its decoded key, or the signature the verifier expected
    const expected = createHmac('sha256', TEST_OFAUTH_SECRET).update(`${t}.${body}`).digest('hex');
    const forbidden = [TEST_OFAUTH_SECRET, TEST_SVIX_SECRET, TEST_SVIX_SECRET.slice(6), expected];
    const all = outputs.join('\n');
    expect(all.length).toBeGreaterThan(0);
    for (const value of forbidden) expect(all).not.toContain(value);
    expect(all).not.toContain(forged.headers['ofauth-signature']);
  });

  it('clears the keys between invocations', async () => {
    const h = harness();
    await h.invoke(ofAuthDelivery({ body: connectionCreated }));
    const { logs } = await h.invoke(apiGatewayEvent({ body: connectionCreated }));
    expect(logs.length).toBeGreaterThan(0);
    for (const line of logs) {
      expect(line.outcome).toBe('rejected');
      expect(line).not.toHaveProperty('eventType');
      expect(line).not.toHaveProperty('connectionId');
      expect(line).not.toHaveProperty('eventKey');
    }
  });

  it('carries every key on every line of an accepted delivery', async () => {
    const h = harness();
    const { logs } = await h.invoke(svixDelivery({ body: connectionCreated, id: 'msg_keys' }));
    for (const line of logs) for (const key of LOG_KEYS) expect(line[key]).toEqual(expect.any(String));
  });
});

describe('verifier handler: the edges of the answers', () => {
  const secretsFailingWith = (error: unknown): SigningSecretSource => ({
    current: () => Promise.reject(error),
    refresh: () => Promise.reject(error),
  });

  it('answers JSON, and logs and counts an accepted delivery as handed on', async () => {
    const h = harness();
    const { result, logs } = await h.invoke(ofAuthDelivery({ body: connectionCreated }));
    expect(result.statusCode).toBe(202);
    expect(result.headers?.['content-type']).toBe('application/json');
    expect(logs.filter((line) => line.message === 'delivery handed on')).toEqual([
      expect.objectContaining({ statusCode: 202, outcome: 'enqueued' }),
    ]);
    // AND nothing warns
    expect(logs.filter((line) => line.level === 'WARN')).toEqual([]);
  });

  it('logs a duplicate delivery as such, with its 200', async () => {
    const h = harness();
    const first = await h.invoke(ofAuthDelivery({ body: connectionCreated }));
    h.records.markProcessed(String(answerBody(first.result).eventId));
    const { logs } = await h.invoke(ofAuthDelivery({ body: connectionCreated }));
    expect(
      logs.filter((line) => line.message === 'duplicate delivery: already processed or dead-lettered'),
    ).toEqual([expect.objectContaining({ statusCode: 200, outcome: 'duplicate' })]);
  });

  it('hands on again, and says so, a retry that finds the first claim’s lease run out', async () => {
    // GIVEN an event handed on whose claim's lease (at most 5 s) has run out, not yet processed
    let now = 1_800_000_000_000;
    const h = harness({ recordClock: () => now });
    await h.invoke(ofAuthDelivery({ body: connectionCreated }));
    now += 5_001;
    // WHEN the sender retries it (it never saw the first answer)
    const { result, logs } = await h.invoke(ofAuthDelivery({ body: connectionCreated }));
    // THEN it is sent again (SQS or the processor's record drops the copy) and logged as a re-send
    expect(result.statusCode).toBe(202);
    expect(h.queue.events).toHaveLength(2);
    expect(h.queue.events[1]?.attributes.receivedAt).toBe(h.queue.events[0]?.attributes.receivedAt);
    expect(logs.filter((line) => line.message === 'delivery handed on again')).toEqual([
      expect.objectContaining({ statusCode: 202, outcome: 'enqueued', deliveries: 2 }),
    ]);
  });

  it('marks the lines logged before the outcome is known as pending', async () => {
    // GIVEN a forged delivery, and a refresh of the secrets that fails
    const secrets = new FakeSecrets();
    secrets.failRefresh = true;
    const h = harness({ secrets });
    // WHEN it is answered
    const { logs } = await h.invoke(ofAuthDelivery({ body: connectionCreated, secret: 'forged' }));
    // THEN the warning logged while it was being verified says pending, the answer's line rejected
    expect(logs.map((line) => [line.message, line.outcome])).toEqual([
      ['refreshing the signing secrets after a signature miss failed; answering 401', 'pending'],
      ['delivery rejected', 'rejected'],
    ]);
    // AND the warning carries the refresh's error, for the operator to act on
    expect(logs[0]?.error).toEqual(expect.objectContaining({ name: 'DependencyError' }));
  });

  it('logs a rejection with its status and code, and says when the body was kept', async () => {
    const h = harness();
    const forged = await h.invoke(ofAuthDelivery({ body: connectionCreated, secret: 'forged' }));
    const bad = await h.invoke(ofAuthDelivery({ body: 'not json' }));
    const rejected = (logs: Record<string, unknown>[]) =>
      logs.filter((line) => line.message === 'delivery rejected');
    expect(rejected(forged.logs)).toEqual([
      expect.objectContaining({ level: 'WARN', statusCode: 401, code: 'invalid_signature' }),
    ]);
    expect(rejected(forged.logs)[0]).not.toHaveProperty('keptOnDeadLetterQueue');
    expect(rejected(bad.logs)).toEqual([
      expect.objectContaining({ statusCode: 400, code: 'invalid_json', keptOnDeadLetterQueue: true }),
    ]);
  });

  it('logs a failed keep of a bad body as an error naming the dependency', async () => {
    const h = harness();
    h.queue.failKeep = 1;
    const { logs } = await h.invoke(ofAuthDelivery({ body: 'not json' }));
    expect(logs.filter((line) => line.level === 'ERROR')).toEqual([
      expect.objectContaining({
        message: 'signed body rejected, and keeping it on the dead-letter queue failed',
        statusCode: 400,
        code: 'invalid_json',
      }),
    ]);
  });

  it('counts only a 401 as a signature rejection and only a 413 as too large', async () => {
    const h = harness({ maxBodyBytes: Buffer.byteLength(connectionCreated) });
    const names = async (event: APIGatewayProxyEventV2) =>
      metricEntries((await h.invoke(event)).metrics).map((entry) => entry.name);
    const tooLarge = await names(ofAuthDelivery({ body: `${connectionCreated} ` }));
    const forged = await names(ofAuthDelivery({ body: connectionCreated, secret: 'forged' }));
    const bad = await names(ofAuthDelivery({ body: 'not json' }));
    expect(tooLarge).toContain(VERIFIER_METRICS.tooLarge);
    expect(tooLarge).not.toContain(VERIFIER_METRICS.signatureRejected);
    expect(forged).toContain(VERIFIER_METRICS.signatureRejected);
    expect(forged).not.toContain(VERIFIER_METRICS.tooLarge);
    expect(bad).not.toContain(VERIFIER_METRICS.signatureRejected);
    expect(bad).not.toContain(VERIFIER_METRICS.tooLarge);
  });

  it('says why in the answer to a body over the limit and to a method other than POST', async () => {
    const h = harness({ maxBodyBytes: 100 });
    const big = await h.invoke(ofAuthDelivery({ body: `{"type":"${'x'.repeat(200)}"}` }));
    expect(answerBody(big.result)).toEqual({
      error: 'payload_too_large',
      message: 'the body is larger than 100 bytes',
    });
    const get = await h.invoke(apiGatewayEvent({ method: 'get' }));
    expect(answerBody(get.result)).toEqual({
      error: 'method_not_allowed',
      message: 'GET is not supported; use POST',
    });
  });

  it('takes a body of exactly the limit, raw or base64-encoded', async () => {
    // GIVEN a limit of exactly the body's size (in bytes; base64 takes 4 characters per 3 bytes)
    const body = `{"type":"connection.created","data":{"connection":{"id":"c"}},"pad":"${'x'.repeat(30)}"}`;
    const h = harness({ maxBodyBytes: Buffer.byteLength(body) });
    // WHEN it comes as text and base64-encoded THEN both are handed on
    for (const base64 of [false, true]) {
      const { result } = await h.invoke(
        ofAuthDelivery({ body, base64, timestamp: Math.floor(Date.now() / 1000) }),
      );
      expect(result.statusCode).not.toBe(413);
    }
    expect(h.queue.events).toHaveLength(1);
  });

  it.each([
    ['no requestContext', (event: APIGatewayProxyEventV2) => ({ ...event, requestContext: undefined })],
    [
      'no http',
      (event: APIGatewayProxyEventV2) => ({
        ...event,
        requestContext: { ...event.requestContext, http: undefined },
      }),
    ],
    [
      'no method',
      (event: APIGatewayProxyEventV2) => ({
        ...event,
        requestContext: {
          ...event.requestContext,
          http: { ...event.requestContext.http, method: undefined },
        },
      }),
    ],
  ])('reads a request with %s as a POST', async (_case, strip) => {
    const h = harness();
    const event = strip(ofAuthDelivery({ body: connectionCreated })) as unknown as APIGatewayProxyEventV2;
    const { result } = await h.invoke(event);
    expect(result.statusCode).toBe(202);
  });

  it('reads a request without a body as an empty body', async () => {
    // GIVEN an empty body, genuinely signed, that API Gateway passes on without a body field
    const h = harness();
    const event = ofAuthDelivery({ body: '' });
    delete event.body;
    // WHEN it is answered THEN as the signed empty body it is: not JSON
    const { result } = await h.invoke(event);
    expect(result.statusCode).toBe(400);
    expect(answerBody(result).error).toBe('invalid_json');
  });

  it('answers a timeout of any dependency with 503, naming the timeout', async () => {
    const timeout = Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    const h = harness({ secrets: secretsFailingWith(timeout) });
    const { result, logs } = await h.invoke(ofAuthDelivery({ body: connectionCreated }));
    expect(result.statusCode).toBe(503);
    expect(answerBody(result)).toEqual({
      error: 'dependency_unavailable',
      message: 'timeout is unavailable; retry later',
    });
    expect(logs.filter((line) => line.level === 'ERROR')).toEqual([
      expect.objectContaining({
        message: 'a dependency failed; the sender will retry',
        statusCode: 503,
        dependency: 'timeout',
        outcome: 'dependency_failure',
      }),
    ]);
  });

  it('fails with 503 and counts a verifier timeout when the invocation runs out of time', async () => {
    // GIVEN a Secrets Manager that never answers, and an invocation with 60 ms left
    const h = harness({
      secrets: { current: () => new Promise(() => {}), refresh: () => new Promise(() => {}) },
    });
    // WHEN a delivery arrives
    const { result, logs, metrics } = await h.invoke(
      ofAuthDelivery({ body: connectionCreated }),
      lambdaContext({ remainingMs: 60 }),
    );
    // THEN middy's early timeout answers 503, so the sender retries
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['retry-after']).toBe('5');
    // AND, since Lambda counts no error for an invocation that answered, VerifierTimeouts counts it
    // (with the service dimension only), besides the 503's DependencyFailures
    const entries = metricEntries(metrics);
    expect(
      entries
        .filter((e) => e.name === VERIFIER_METRICS.timeouts)
        .map(({ name, dimensions }) => [name, dimensions]),
    ).toEqual([[VERIFIER_METRICS.timeouts, ['service']]]);
    expect(entries.map((e) => e.name)).toContain(VERIFIER_METRICS.dependencyFailures);
    expect(logs.filter((line) => line.level === 'ERROR')).toEqual([
      expect.objectContaining({ statusCode: 503, dependency: 'timeout', outcome: 'dependency_failure' }),
    ]);
    expect(h.queue.events).toHaveLength(0);
  });

  it('does not count an SDK call’s own timeout as a verifier timeout', async () => {
    // GIVEN a dependency whose SDK call timed out (the invocation itself still had time)
    const timeout = Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    const h = harness({ secrets: secretsFailingWith(timeout) });
    // WHEN a delivery arrives
    const { result, metrics } = await h.invoke(ofAuthDelivery({ body: connectionCreated }));
    // THEN it is a dependency failure answered 503, not an invocation that ran out of time
    expect(result.statusCode).toBe(503);
    const names = metricEntries(metrics).map((e) => e.name);
    expect(names).toContain(VERIFIER_METRICS.dependencyFailures);
    expect(names).not.toContain(VERIFIER_METRICS.timeouts);
  });

  it.each([
    ['an error', new Error('a bug')],
    ['something that is not an error', 'a string'],
  ])('answers %s it does not know with 500, logged as unexpected', async (_case, thrown) => {
    const h = harness({ secrets: secretsFailingWith(thrown) });
    const { result, logs, metrics } = await h.invoke(ofAuthDelivery({ body: connectionCreated }));
    expect(result.statusCode).toBe(500);
    expect(answerBody(result)).toEqual({ error: 'internal_error', message: 'unexpected error; retry later' });
    expect(logs.filter((line) => line.level === 'ERROR')).toEqual([
      expect.objectContaining({ message: 'unexpected error', statusCode: 500, outcome: 'error' }),
    ]);
    expect(metricEntries(metrics).map((entry) => entry.name)).not.toContain(
      VERIFIER_METRICS.dependencyFailures,
    );
  });
});

describe('the verifier handler’s options', () => {
  const connectionCreated = fixtureBody('connection.created');
  const T = Date.parse('2024-01-15T10:30:00Z');

  it('judges a signature’s age by the clock it is given, and stamps the receipt time from it', async () => {
    // GIVEN a handler whose clock reads T, and a delivery signed at T (years ago by the wall clock)
    const h = harness({ clock: () => T });
    // WHEN it arrives
    const { result } = await h.invoke(ofAuthDelivery({ body: connectionCreated, timestamp: T / 1000 }));
    // THEN it is fresh by that clock, and handed on received at T
    expect(result.statusCode).toBe(202);
    expect(h.queue.events.map((event) => event.attributes.receivedAt)).toEqual(['2024-01-15T10:30:00.000Z']);
  });

  it('rejects a signature older than the tolerance it is given, which the default of 300 s accepts', async () => {
    const signedAt = Math.floor(Date.now() / 1000) - 60;
    const strict = await harness({ toleranceSeconds: 10 }).invoke(
      ofAuthDelivery({ body: connectionCreated, timestamp: signedAt }),
    );
    expect(strict.result.statusCode).toBe(401);
    expect(answerBody(strict.result).error).toBe('timestamp_out_of_tolerance');
    const lenient = await harness().invoke(ofAuthDelivery({ body: connectionCreated, timestamp: signedAt }));
    expect(lenient.result.statusCode).toBe(202);
  });

  it('builds its own logger and metrics for the verifier’s service when given none', async () => {
    // GIVEN the level at which an accepted delivery logs its line (the tests' default is SILENT)
    const logLevel = process.env.POWERTOOLS_LOG_LEVEL;
    process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
    try {
      const { result, logs, metrics } = await harness({ defaultTelemetry: true }).invoke(
        ofAuthDelivery({ body: connectionCreated }),
      );
      expect(result.statusCode).toBe(202);
      expect(logs.map((line) => line.message)).toContain('delivery handed on');
      expect(metrics.length).toBeGreaterThan(0);
      for (const line of [...logs, ...metrics]) expect(line.service).toBe(SERVICE_NAMES.verifier);
    } finally {
      if (logLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
      else process.env.POWERTOOLS_LOG_LEVEL = logLevel;
    }
  });
});
