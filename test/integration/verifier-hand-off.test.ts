import { DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { MESSAGE_ATTRIBUTES, REJECTED_MESSAGE_GROUP_ID } from '../../lambda/shared/queue-message.ts';
import { DependencyError } from '../../lambda/verifier/errors.ts';
import { sha256Hex } from '../../lambda/verifier/event-key.ts';
import { PowertoolsLedger, REJECTION_ATTRIBUTES, SqsEventQueue } from '../../lambda/verifier/hand-off.ts';
import { answerBody, fixtureBody, lambdaContext, ofAuthDelivery, svixDelivery } from '../support/signing.ts';
import { drainQueue, queueDepth, SdkProbe, startVerifierRig, type VerifierRig } from './verifier-harness.ts';

// The EMF lines are checked by the handler tests; here they would only bury the test output.
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

let rig: VerifierRig;

beforeAll(async () => {
  rig = await startVerifierRig();
});

afterAll(async () => {
  await rig.stop();
});

afterEach(async () => {
  await drainQueue(rig.sqs, rig.queueUrl);
  await drainQueue(rig.sqs, rig.deadLetterQueueUrl);
});

const attr = (message: { MessageAttributes?: Record<string, { StringValue?: string }> }, name: string) =>
  message.MessageAttributes?.[name]?.StringValue;

describe('verifier against DynamoDB Local and fauxqs', () => {
  it('puts the raw body on the FIFO queue with its group, deduplication id and attributes', async () => {
    // GIVEN a Svix delivery whose body has unusual but valid spacing
    const body = fixtureBody('of.websocket.event.received').replace('{', '{   ');
    const result = await rig.handler(svixDelivery({ body, id: 'msg_queue_1' }), lambdaContext());
    expect(result.statusCode).toBe(202);
    // THEN exactly one message, byte-for-byte the body, grouped by connection, deduplicated by the svix id
    const messages = await drainQueue(rig.sqs, rig.queueUrl);
    expect(messages).toHaveLength(1);
    const [message] = messages;
    expect(message?.Body).toBe(body);
    expect(message?.Attributes?.MessageGroupId).toBe('conn_oy6c6kim3uo0cyiu3iy67m4d');
    expect(message?.Attributes?.MessageDeduplicationId).toBe('msg_queue_1');
    expect(attr(message!, MESSAGE_ATTRIBUTES.eventType)).toBe('of.websocket.event.received');
    expect(attr(message!, MESSAGE_ATTRIBUTES.eventKey)).toBe('msg_queue_1');
    expect(attr(message!, MESSAGE_ATTRIBUTES.signatureScheme)).toBe('svix');
    expect(Date.parse(attr(message!, MESSAGE_ATTRIBUTES.receivedAt) ?? '')).not.toBeNaN();
  });

  it('gives the ledger, the deduplication id and the eventKey attribute one key for a 300-character svix-id', async () => {
    // GIVEN a Svix delivery whose svix-id is longer than a deduplication id (128) and an attribute cut (256)
    const svixId = `msg_${'k'.repeat(296)}`;
    const event = svixDelivery({ body: fixtureBody('connection.updated'), id: svixId });
    // WHEN it is delivered, and then delivered again
    const first = await rig.handler(event, lambdaContext());
    const again = await rig.handler(event, lambdaContext());
    // THEN one message went on the queue whose deduplication id and eventKey attribute are the answer's event id
    expect([first.statusCode, again.statusCode]).toEqual([202, 200]);
    const key = answerBody(first).eventId;
    expect(key).toBe(sha256Hex(svixId));
    const messages = await drainQueue(rig.sqs, rig.queueUrl);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.Attributes?.MessageDeduplicationId).toBe(key);
    expect(attr(messages[0]!, MESSAGE_ATTRIBUTES.eventKey)).toBe(key);
    // (the ledger side, keyed by the same value, is pinned by the handler test with the in-memory ledger;
    // the 200 above shows the ledger found the key on the retry)
  });

  it('puts a body that starts with a byte order mark on the queue byte for byte', async () => {
    // GIVEN a genuine delivery whose UTF-8 body starts with EF BB BF
    const body = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(fixtureBody('connection.updated')),
    ]);
    // WHEN it is delivered
    const result = await rig.handler(ofAuthDelivery({ body }), lambdaContext());
    // THEN the queued message is exactly those bytes, mark included
    expect(result.statusCode).toBe(202);
    const messages = await drainQueue(rig.sqs, rig.queueUrl);
    expect(messages).toHaveLength(1);
    expect(Buffer.from(messages[0]?.Body ?? '', 'utf8').equals(body)).toBe(true);
  });

  it('keeps a rejected body that starts with a byte order mark byte for byte on the dead-letter queue', async () => {
    // GIVEN a signed body with a byte order mark followed by something that is not JSON
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('not json, with a mark')]);
    // WHEN it is delivered
    const result = await rig.handler(ofAuthDelivery({ body }), lambdaContext());
    // THEN it is refused, and the kept copy is the request body verbatim, as text
    expect(result.statusCode).toBe(400);
    const kept = await drainQueue(rig.sqs, rig.deadLetterQueueUrl);
    expect(kept).toHaveLength(1);
    expect(attr(kept[0]!, REJECTION_ATTRIBUTES.bodyEncoding)).toBe('utf8');
    expect(Buffer.from(kept[0]?.Body ?? '', 'utf8').equals(body)).toBe(true);
  });

  it('answers a duplicate 200 and enqueues it once, with one AWS call per duplicate', async () => {
    const body = fixtureBody('connection.updated');
    const first = await rig.handler(ofAuthDelivery({ body }), lambdaContext());
    rig.probe.reset();
    const second = await rig.handler(ofAuthDelivery({ body }), lambdaContext());
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(200);
    expect(answerBody(second)).toEqual({ received: true, duplicate: true });
    // the conditional put fails and returns the done record: one round trip, no Secrets Manager call
    expect(rig.probe.calls).toEqual(['PutItemCommand']);
    expect(await drainQueue(rig.sqs, rig.queueUrl)).toHaveLength(1);
  });

  it('makes three AWS calls for a new delivery on a warm instance and none to Secrets Manager', async () => {
    await rig.handler(ofAuthDelivery({ body: fixtureBody('connection.expired') }), lambdaContext());
    rig.probe.reset();
    const before = rig.secretsManager.calls;
    const result = await rig.handler(
      ofAuthDelivery({ body: fixtureBody('connection.disconnected') }),
      lambdaContext(),
    );
    expect(result.statusCode).toBe(202);
    expect(rig.probe.calls).toEqual(['PutItemCommand', 'SendMessageCommand', 'UpdateItemCommand']);
    expect(rig.secretsManager.calls).toBe(before);
  });

  it('treats a retry re-signed with a new timestamp as a duplicate', async () => {
    const body = fixtureBody('realtime.chat_typing.updated');
    const t = Math.floor(Date.now() / 1000);
    const first = await rig.handler(ofAuthDelivery({ body, timestamp: t - 60 }), lambdaContext());
    const retry = await rig.handler(ofAuthDelivery({ body, timestamp: t }), lambdaContext());
    expect([first.statusCode, retry.statusCode]).toEqual([202, 200]);
    expect(await drainQueue(rig.sqs, rig.queueUrl)).toHaveLength(1);
  });

  it('enqueues exactly one message for 50 concurrent identical deliveries, and answers no 5xx', async () => {
    // GIVEN one Svix delivery sent 50 times at once (a fresh instance: cold secrets cache)
    const handler = rig.coldStart();
    const event = svixDelivery({ body: fixtureBody('connection.created'), id: 'msg_concurrent' });
    const results = await Promise.all(Array.from({ length: 50 }, () => handler(event, lambdaContext())));
    const statuses = results.map((r) => r.statusCode);
    // THEN one is handed on, the others are duplicates or retryable in-progress answers
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.every((s) => s === 202 || s === 200 || s === 409)).toBe(true);
    expect(await drainQueue(rig.sqs, rig.queueUrl)).toHaveLength(1);
  });

  it('keeps a signed body that is not JSON once on the dead-letter queue, and answers 400', async () => {
    // GIVEN a signed body that is not JSON, delivered three times
    const body = 'this is not json';
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await rig.handler(ofAuthDelivery({ body }), lambdaContext()));
    // THEN every answer is 400 invalid_json
    expect(answers.map((a) => [a.statusCode, answerBody(a).error])).toEqual(
      Array(3).fill([400, 'invalid_json']),
    );
    // AND the body sits once on the dead-letter queue, in the rejected group, nothing on the main queue
    const kept = await drainQueue(rig.sqs, rig.deadLetterQueueUrl);
    expect(kept).toHaveLength(1);
    expect(kept[0]?.Body).toBe(body);
    expect(kept[0]?.Attributes?.MessageGroupId).toBe(REJECTED_MESSAGE_GROUP_ID);
    expect(kept[0]?.Attributes?.MessageDeduplicationId).toBe(sha256Hex(body));
    expect(attr(kept[0]!, REJECTION_ATTRIBUTES.reason)).toBe('invalid_json');
    expect(attr(kept[0]!, REJECTION_ATTRIBUTES.bodyEncoding)).toBe('utf8');
    expect(await queueDepth(rig.sqs, rig.queueUrl)).toBe(0);
  });

  it('keeps a body that is not UTF-8 base64-encoded on the dead-letter queue', async () => {
    const body = Buffer.from([0x7b, 0x22, 0xff, 0x00, 0x7d]);
    const result = await rig.handler(ofAuthDelivery({ body, base64: true }), lambdaContext());
    expect(result.statusCode).toBe(400);
    const kept = await drainQueue(rig.sqs, rig.deadLetterQueueUrl);
    expect(kept).toHaveLength(1);
    expect(Buffer.from(kept[0]?.Body ?? '', 'base64').equals(body)).toBe(true);
    expect(attr(kept[0]!, REJECTION_ATTRIBUTES.bodyEncoding)).toBe('base64');
  });

  it('writes ledger records with the Powertools layout and the 72 h TTL', async () => {
    const start = Math.floor(Date.now() / 1000);
    await rig.handler(svixDelivery({ body: fixtureBody('rules.updated'), id: 'msg_ttl' }), lambdaContext());
    const { Items = [] } = await rig.dynamodb.send(new ScanCommand({ TableName: rig.ledgerTableName }));
    const done = Items.filter((item) => item.status?.S === 'COMPLETED');
    expect(done.length).toBeGreaterThan(0);
    const record = await rig.dynamodb.send(
      new GetItemCommand({ TableName: rig.ledgerTableName, Key: { id: done[0]!.id! }, ConsistentRead: true }),
    );
    const expiration = Number(record.Item?.expiration?.N);
    expect(expiration).toBeGreaterThanOrEqual(start + 72 * 3600 - 5);
    expect(expiration).toBeLessThanOrEqual(start + 72 * 3600 + 60);
    expect(String(done[0]!.id!.S)).toMatch(/^ofauth#(event|rejected)#/);
  });
});

describe('the dead-letter copy of a rejected body, against its size limit', () => {
  const LIMIT = 100;
  /** The largest raw body whose base64 fits in LIMIT characters. */
  const FITS = 75;
  let counter = 0;

  /** Keeps one rejected body through the SQS adapter and reads back what the dead-letter queue holds. */
  async function keep(body: Uint8Array, limit: number | 'default' = LIMIT) {
    counter += 1;
    const queue = new SqsEventQueue({
      client: rig.sqs,
      queueUrl: rig.queueUrl,
      deadLetterQueueUrl: rig.deadLetterQueueUrl,
      ...(limit !== 'default' && { maxDeadLetterBodyBytes: limit }),
    });
    await queue.keepRejected({
      body,
      eventKey: `key-size-${counter}`,
      signatureScheme: 'svix',
      receivedAt: '2024-01-15T10:30:00.000Z',
      reason: 'invalid_json',
    });
    const kept = await drainQueue(rig.sqs, rig.deadLetterQueueUrl);
    expect(kept).toHaveLength(1);
    return {
      body: kept[0]?.Body ?? '',
      encoding: attr(kept[0]!, REJECTION_ATTRIBUTES.bodyEncoding),
      truncated: attr(kept[0]!, REJECTION_ATTRIBUTES.truncated),
    };
  }

  /** Bytes that are not UTF-8 (0xff never is), `length` of them. */
  const binary = (length: number) => Buffer.alloc(length, 0xff);

  it('keeps a text body of exactly the limit verbatim, untruncated', async () => {
    const body = `"${'a'.repeat(LIMIT - 2)}"`;
    expect(await keep(Buffer.from(body))).toEqual({ body, encoding: 'utf8', truncated: 'false' });
  });

  it('keeps a text body one byte over the limit, base64-encoded and cut to fit, marked truncated', async () => {
    const body = Buffer.from('b'.repeat(LIMIT + 1));
    const kept = await keep(body);
    expect(kept).toEqual({
      body: body.subarray(0, FITS).toString('base64'),
      encoding: 'base64',
      truncated: 'true',
    });
    expect(kept.body.length).toBeLessThanOrEqual(LIMIT);
  });

  it('keeps a body over the limit in bytes but not in characters, cut to fit', async () => {
    // GIVEN 60 two-byte characters: 60 characters, 120 bytes
    const body = Buffer.from('é'.repeat(60));
    expect(await keep(body)).toEqual({
      body: body.subarray(0, FITS).toString('base64'),
      encoding: 'base64',
      truncated: 'true',
    });
  });

  it('keeps a binary body whose base64 just fits, whole', async () => {
    const body = binary(FITS);
    const kept = await keep(body);
    expect(kept).toEqual({ body: body.toString('base64'), encoding: 'base64', truncated: 'false' });
    expect(kept.body.length).toBe(LIMIT);
  });

  it('keeps a binary body that base64 would inflate past the limit, cut to fit and marked truncated', async () => {
    // GIVEN 76 bytes, under the limit as bytes, but 104 characters as base64
    const body = binary(FITS + 1);
    expect(await keep(body)).toEqual({
      body: binary(FITS).toString('base64'),
      encoding: 'base64',
      truncated: 'true',
    });
  });

  it('puts a placeholder in an attribute whose value is empty, as SQS takes no empty attribute', async () => {
    const queue = new SqsEventQueue({
      client: rig.sqs,
      queueUrl: rig.queueUrl,
      deadLetterQueueUrl: rig.deadLetterQueueUrl,
    });
    await queue.keepRejected({
      body: Buffer.from('x'),
      eventKey: 'key-empty-reason',
      signatureScheme: 'svix',
      receivedAt: '2024-01-15T10:30:00.000Z',
      reason: '',
    });
    const kept = await drainQueue(rig.sqs, rig.deadLetterQueueUrl);
    expect(attr(kept[0]!, REJECTION_ATTRIBUTES.reason)).toBe('-');
  });

  it('keeps an empty body as a placeholder that says so', async () => {
    expect(await keep(new Uint8Array(0))).toEqual({ body: '-', encoding: 'empty', truncated: 'false' });
  });

  it('keeps a large binary body within the dead-letter queue’s default limit (1 MiB less 8 KiB)', async () => {
    // GIVEN 800,000 bytes of binary: 1,066,668 characters as base64, more than the queue takes
    const kept = await keep(binary(800_000), 'default');
    // THEN it is kept, cut to the bytes whose base64 fits, and marked truncated
    const fits = Math.floor(((1024 * 1024 - 8 * 1024) / 4) * 3);
    expect(kept.encoding).toBe('base64');
    expect(kept.truncated).toBe('true');
    expect(Buffer.from(kept.body, 'base64').equals(binary(fits))).toBe(true);
  });
});

describe('the queue adapter’s attributes', () => {
  it('replaces every character SQS refuses in an attribute, and cuts it to 256 characters', async () => {
    const queue = new SqsEventQueue({
      client: rig.sqs,
      queueUrl: rig.queueUrl,
      deadLetterQueueUrl: rig.deadLetterQueueUrl,
    });
    await queue.enqueue({
      body: '{"type":"x","data":{}}',
      messageGroupId: 'group-attributes',
      attributes: {
        eventType: `a\uffffb\u0000c${'t'.repeat(300)}`,
        eventKey: 'key-attributes',
        signatureScheme: 'svix',
        receivedAt: '2024-01-15T10:30:00.000Z',
      },
    });
    const [message] = await drainQueue(rig.sqs, rig.queueUrl);
    expect(message?.MessageAttributes?.[MESSAGE_ATTRIBUTES.eventType]?.DataType).toBe('String');
    const eventType = attr(message!, MESSAGE_ATTRIBUTES.eventType);
    expect(eventType).toBe(`a\ufffdb\ufffdc${'t'.repeat(251)}`);
    expect(eventType).toHaveLength(256);
  });
});

describe('the Powertools ledger', () => {
  const lease = { getRemainingTimeInMillis: () => 5_000 };
  const ledger = (retryAfterSeconds?: number) =>
    new PowertoolsLedger({
      tableName: rig.ledgerTableName,
      client: rig.dynamodb,
      keyPrefix: 'ofauth#ledger-test',
      ...(retryAfterSeconds !== undefined && { retryAfterSeconds }),
    });

  it('runs the work once per key, then answers duplicate', async () => {
    let runs = 0;
    const work = async () => {
      runs += 1;
    };
    expect(await ledger().once('key-once', lease, work)).toEqual({ status: 'fresh', recorded: true });
    expect(await ledger().once('key-once', lease, work)).toEqual({ status: 'duplicate' });
    expect(runs).toBe(1);
  });

  it('fails with the work’s own error, unwrapped, and releases the key', async () => {
    const failure = new Error('the work failed');
    await expect(
      ledger().once('key-failing', lease, async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await ledger().once('key-failing', lease, async () => {})).toEqual({
      status: 'fresh',
      recorded: true,
    });
  });

  it('reports the work done but not recorded when marking the key done fails, with the error', async () => {
    // GIVEN a DynamoDB client whose next UpdateItem (marking a claim done) fails
    const probe = new SdkProbe();
    const client = new DynamoDBClient({ endpoint: process.env.TEST_DYNAMODB_ENDPOINT, region: 'us-east-1' });
    probe.attach(client);
    probe.inject('UpdateItemCommand');
    const subject = new PowertoolsLedger({
      tableName: rig.ledgerTableName,
      client,
      keyPrefix: 'ofauth#ledger-test',
    });
    // WHEN the work runs
    const outcome = await subject.once('key-unrecorded', lease, async () => {});
    // THEN it ran, and the failure to record it is reported rather than thrown
    expect(outcome).toEqual({ status: 'fresh', recorded: false, recordError: expect.any(Error) });
    client.destroy();
  });

  it('fails with a DependencyError naming the ledger, with its cause, when the claim cannot be written', async () => {
    const probe = new SdkProbe();
    const client = new DynamoDBClient({ endpoint: process.env.TEST_DYNAMODB_ENDPOINT, region: 'us-east-1' });
    probe.attach(client);
    probe.inject('PutItemCommand');
    const subject = new PowertoolsLedger({
      tableName: rig.ledgerTableName,
      client,
      keyPrefix: 'ofauth#ledger-test',
    });
    let ran = false;
    const failure = await subject
      .once('key-unclaimed', lease, async () => {
        ran = true;
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DependencyError);
    expect(failure).toMatchObject({
      dependency: 'ledger',
      cause: expect.objectContaining({ name: expect.stringMatching(/^Idempotency/) }),
    });
    expect(ran).toBe(false);
    client.destroy();
  });

  it('rejects a second claim while the first holds the lease, asking for a retry after 10 s by default', async () => {
    let release: () => void = () => {};
    const first = ledger().once('key-busy', lease, () => new Promise<void>((resolve) => (release = resolve)));
    await new Promise((wake) => setTimeout(wake, 200));
    const second = await ledger()
      .once('key-busy', lease, async () => {})
      .catch((error: unknown) => error);
    const configured = await ledger(3)
      .once('key-busy', lease, async () => {})
      .catch((error: unknown) => error);
    release();
    await first;
    expect(second).toMatchObject({ statusCode: 409, code: 'delivery_in_progress', retryAfterSeconds: 10 });
    expect(configured).toMatchObject({ retryAfterSeconds: 3 });
  });
});
