import { GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { MESSAGE_ATTRIBUTES, REJECTED_MESSAGE_GROUP_ID } from '../../lambda/shared/queue-message.ts';
import { sha256Hex } from '../../lambda/verifier/event-key.ts';
import { REJECTION_ATTRIBUTES, SqsEventQueue } from '../../lambda/verifier/hand-off.ts';
import { answerBody, fixtureBody, lambdaContext, ofAuthDelivery, svixDelivery } from '../support/signing.ts';
import { drainQueue, queueDepth, startVerifierRig, type VerifierRig } from './verifier-harness.ts';

// The EMF lines are checked by the handler tests; here they would only bury the test output.
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

let rig: VerifierRig;
/** The event records' clock: real time plus what a test moved it on by. */
let clockOffsetMs = 0;

beforeAll(async () => {
  rig = await startVerifierRig({ recordClock: () => Date.now() + clockOffsetMs });
});

afterEach(() => {
  clockOffsetMs = 0;
});

/** The event record of a key, as stored. */
async function recordOf(eventKey: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await rig.dynamodb.send(
    new GetItemCommand({
      TableName: rig.recordTableName,
      Key: { eventKey: { S: eventKey } },
      ConsistentRead: true,
    }),
  );
  return Item && unmarshall(Item);
}

/** Marks a key processed, as the processor does once its handler succeeded. */
async function markProcessed(eventKey: string): Promise<void> {
  await rig.dynamodb.send(
    new UpdateItemCommand({
      TableName: rig.recordTableName,
      Key: { eventKey: { S: eventKey } },
      UpdateExpression: 'SET processedAt = :at',
      ExpressionAttributeValues: { ':at': { S: new Date().toISOString() } },
    }),
  );
}

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

  it('gives the record, the deduplication id and the eventKey attribute one key for a 300-character svix-id', async () => {
    // GIVEN a Svix delivery whose svix-id is longer than a deduplication id (128) and an attribute cut (256)
    const svixId = `msg_${'k'.repeat(296)}`;
    const event = svixDelivery({ body: fixtureBody('connection.updated'), id: svixId });
    // WHEN it is delivered, processed, and then delivered again
    const first = await rig.handler(event, lambdaContext());
    await markProcessed(sha256Hex(svixId));
    const again = await rig.handler(event, lambdaContext());
    // THEN one message went on the queue whose deduplication id and eventKey attribute are the answer's event id
    expect([first.statusCode, again.statusCode]).toEqual([202, 200]);
    const key = answerBody(first).eventId;
    expect(key).toBe(sha256Hex(svixId));
    const messages = await drainQueue(rig.sqs, rig.queueUrl);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.Attributes?.MessageDeduplicationId).toBe(key);
    expect(attr(messages[0]!, MESSAGE_ATTRIBUTES.eventKey)).toBe(key);
    expect(await recordOf(String(key))).toMatchObject({ eventKey: key });
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

  it('answers a duplicate of a processed event 200 with one DynamoDB write attempt, and enqueues it once', async () => {
    // GIVEN an event handed on and processed
    const body = fixtureBody('connection.updated');
    const first = await rig.handler(ofAuthDelivery({ body }), lambdaContext());
    await markProcessed(String(answerBody(first).eventId));
    rig.probe.reset();
    // WHEN it is delivered again
    const second = await rig.handler(ofAuthDelivery({ body }), lambdaContext());
    // THEN it is a duplicate, found by the claim's failed condition: one round trip, no read
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(200);
    expect(answerBody(second)).toEqual({ received: true, duplicate: true });
    expect(rig.probe.calls).toEqual(['UpdateItemCommand']);
    expect(await drainQueue(rig.sqs, rig.queueUrl)).toHaveLength(1);
  });

  it('makes one DynamoDB write and no read for a new delivery on a warm instance, and no Secrets Manager call', async () => {
    await rig.handler(ofAuthDelivery({ body: fixtureBody('connection.expired') }), lambdaContext());
    rig.probe.reset();
    const before = rig.secretsManager.calls;
    const result = await rig.handler(
      ofAuthDelivery({ body: fixtureBody('connection.disconnected') }),
      lambdaContext(),
    );
    expect(result.statusCode).toBe(202);
    expect(rig.probe.calls).toEqual(['UpdateItemCommand', 'SendMessageCommand']);
    expect(rig.secretsManager.calls).toBe(before);
  });

  it('answers 409 to a retry while the claim’s lease is live, and hands it on again once the lease ran out', async () => {
    // GIVEN an event just handed on, not processed yet
    const body = fixtureBody('realtime.chat_typing.updated');
    const first = await rig.handler(ofAuthDelivery({ body }), lambdaContext({ remainingMs: 4_000 }));
    const key = String(answerBody(first).eventId);
    const receivedAt = (await recordOf(key))?.receivedAt;
    // WHEN a retry comes within the lease THEN it is told to wait out the lease (4 s at most)
    const early = await rig.handler(ofAuthDelivery({ body }), lambdaContext());
    expect(early.statusCode).toBe(409);
    expect(Number(early.headers?.['retry-after'])).toBeLessThanOrEqual(4);
    // WHEN a retry comes after the lease THEN it is sent again, with the first receipt time
    clockOffsetMs = 4_001;
    const late = await rig.handler(ofAuthDelivery({ body }), lambdaContext());
    expect(late.statusCode).toBe(202);
    expect(await recordOf(key)).toMatchObject({ deliveries: 2, receivedAt });
    const messages = await drainQueue(rig.sqs, rig.queueUrl);
    // (fauxqs, as SQS, drops the second send inside the 5-minute deduplication window)
    expect(messages).toHaveLength(1);
    expect(attr(messages[0]!, MESSAGE_ATTRIBUTES.receivedAt)).toBe(receivedAt);
  });

  it('treats a retry of a processed event re-signed with a new timestamp as a duplicate', async () => {
    const body = fixtureBody('connection.created');
    const t = Math.floor(Date.now() / 1000);
    const first = await rig.handler(ofAuthDelivery({ body, timestamp: t - 60 }), lambdaContext());
    await markProcessed(String(answerBody(first).eventId));
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
    // THEN one is handed on, the others are told it is in flight (retryable), none a 5xx
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.every((s) => s === 202 || s === 409)).toBe(true);
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

  it('writes the claim on the event record: type, connection, scheme, receipt, lease, deliveries and a 72 h expiry', async () => {
    // GIVEN a Svix delivery of a connection's event, with 3 s left to the invocation
    const start = Date.now();
    const body = fixtureBody('connection.updated');
    await rig.handler(svixDelivery({ body, id: 'msg_record' }), lambdaContext({ remainingMs: 3_000 }));
    // THEN its record holds what the verifier knows, and nothing of the processor's yet
    const record = await recordOf('msg_record');
    expect(record).toEqual({
      eventKey: 'msg_record',
      eventType: 'connection.updated',
      connectionId: JSON.parse(body).data.connection.id,
      signatureScheme: 'svix',
      receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      leaseUntil: expect.any(Number),
      claimToken: expect.stringMatching(/^[0-9a-f-]{36}$/),
      deliveries: 1,
      expiresAt: expect.any(Number),
    });
    expect(record?.leaseUntil).toBeGreaterThan(start);
    expect(record?.leaseUntil).toBeLessThanOrEqual(Date.now() + 3_000);
    expect(record?.expiresAt).toBeGreaterThanOrEqual(Math.floor(start / 1000) + 72 * 3600);
    expect(record?.expiresAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 72 * 3600);
  });

  it('releases the claim when the send fails, so that the sender’s retry hands on at once', async () => {
    // GIVEN an SQS send that fails (both of the client's attempts)
    rig.probe.inject('SendMessageCommand', 'fail', 2);
    rig.probe.reset();
    const event = svixDelivery({ body: fixtureBody('connection.updated'), id: 'msg_release' });
    const failed = await rig.handler(event, lambdaContext());
    // THEN it is answered 503 and the claim's lease is cleared by a conditional update
    expect(failed.statusCode).toBe(503);
    expect(rig.probe.calls.filter((c) => c !== 'SendMessageCommand')).toEqual([
      'UpdateItemCommand',
      'UpdateItemCommand',
    ]);
    expect(await recordOf('msg_release')).not.toHaveProperty('leaseUntil');
    // AND the immediate retry is handed on
    rig.probe.faults.length = 0;
    expect((await rig.handler(event, lambdaContext())).statusCode).toBe(202);
    expect(await drainQueue(rig.sqs, rig.queueUrl)).toHaveLength(1);
  });

  it('replaces an expired record that TTL has not deleted yet, rather than reading it as processed', async () => {
    // GIVEN a processed record of this key that expired a minute ago
    await rig.dynamodb.send(
      new PutItemCommand({
        TableName: rig.recordTableName,
        Item: {
          eventKey: { S: 'msg_expired' },
          expiresAt: { N: String(Math.floor(Date.now() / 1000) - 60) },
          processedAt: { S: '2024-01-12T10:30:00.000Z' },
          receivedAt: { S: '2024-01-12T10:29:59.000Z' },
          deliveries: { N: '3' },
        },
      }),
    );
    // WHEN the key is delivered again
    const result = await rig.handler(
      svixDelivery({ body: fixtureBody('connection.updated'), id: 'msg_expired' }),
      lambdaContext(),
    );
    // THEN it is a new event: handed on, with a fresh record and its own receipt time
    expect(result.statusCode).toBe(202);
    const record = await recordOf('msg_expired');
    expect(record).not.toHaveProperty('processedAt');
    expect(record).toMatchObject({ deliveries: 1 });
    expect(record?.receivedAt).not.toBe('2024-01-12T10:29:59.000Z');
    expect(await drainQueue(rig.sqs, rig.queueUrl)).toHaveLength(1);
  });

  it('marks a kept rejected body on its record, without a lease or a fate', async () => {
    const body = 'kept once, marked on the record';
    await rig.handler(ofAuthDelivery({ body }), lambdaContext());
    const record = await recordOf(sha256Hex(body));
    expect(record).toMatchObject({ rejectReason: 'invalid_json', signatureScheme: 'ofauth' });
    expect(Date.parse(String(record?.rejectedAt))).not.toBeNaN();
    expect(record).not.toHaveProperty('leaseUntil');
    expect(record).not.toHaveProperty('processedAt');
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
