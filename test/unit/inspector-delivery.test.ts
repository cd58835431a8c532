import { createHash } from 'node:crypto';
import { signDelivery } from '../../dev/deliveries.ts';
import type { GatewayExchange } from '../../local/gateway.ts';
import { MASK, maskHeader, toDeliveryRecord } from '../../local/inspector/delivery.ts';
import { TEST_SVIX_SECRET } from '../support/signing.ts';

/** An exchange as the gateway reports it, from a request and an answer. */
function exchange(options: {
  readonly headers: Record<string, string>;
  readonly body: Buffer | string;
  readonly status: number;
  readonly answer: unknown;
}): GatewayExchange {
  return {
    requestId: 'req-1',
    receivedAt: Date.parse('2025-01-15T10:30:00.000Z'),
    method: 'POST',
    url: '/webhooks/ofauth',
    rawHeaders: Object.entries(options.headers).flat(),
    body: Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body),
    statusCode: options.status,
    responseHeaders: { 'content-type': 'application/json' },
    responseBody: Buffer.from(JSON.stringify(options.answer)),
    latencyMs: 12.5,
  };
}

const BODY = JSON.stringify({
  type: 'connection.updated',
  timestamp: '2025-01-15T10:30:00Z',
  data: { connection: { id: 'conn_42' } },
});

describe('maskHeader', () => {
  it.each([
    ['ofauth-signature', 't=1700000000,v1=5f0c9a', `t=1700000000,v1=${MASK}`],
    ['OFAuth-Signature', 't=1700000000,v1=aa,v1=bb', `t=1700000000,v1=${MASK},v1=${MASK}`],
    ['ofauth-signature', 'garbage', MASK],
    ['svix-signature', 'v1,abc= v1,def=', `v1,${MASK} v1,${MASK}`],
    ['webhook-signature', 'v1,abc=', `v1,${MASK}`],
    ['authorization', 'Bearer token', MASK],
    ['cookie', 'session=1', MASK],
    ['svix-id', 'msg_1', 'msg_1'],
    ['content-type', 'application/json', 'application/json'],
  ])('GIVEN %s: %s THEN shows %s', (name, value, shown) => {
    expect(maskHeader(name, value)).toBe(shown);
  });
});

describe('toDeliveryRecord', () => {
  it('reads an accepted OFAuth delivery: scheme, type, connection, the answer’s event key, masked signature', () => {
    // GIVEN an OFAuth-signed delivery answered 202 with its event id
    const signed = signDelivery(BODY, { scheme: 'ofauth', secret: 'plain-secret', timestamp: 1_736_937_000 });
    // WHEN it is recorded
    const record = toDeliveryRecord(
      exchange({
        headers: signed.headers,
        body: signed.body,
        status: 202,
        answer: { received: true, eventId: 'key-1' },
      }),
    );
    // THEN every field of the row is read, and the signature value is not kept
    expect(record).toMatchObject({
      id: 'req-1',
      receivedAt: '2025-01-15T10:30:00.000Z',
      status: 202,
      scheme: 'ofauth',
      eventKey: 'key-1',
      eventType: 'connection.updated',
      connectionId: 'conn_42',
      latencyMs: 12.5,
      duplicate: false,
      body: BODY,
      bodyEncoding: 'utf8',
    });
    expect(record.errorCode).toBeUndefined();
    const signature = signed.headers['ofauth-signature']!;
    expect(JSON.stringify(record)).not.toContain(signature.split('v1=')[1]);
    expect(record.headers).toContainEqual(['ofauth-signature', `t=1736937000,v1=${MASK}`]);
  });

  it('derives the event key of a duplicate from its svix-id, as the verifier does', () => {
    // GIVEN a Svix-signed delivery answered 200 duplicate (no event id in the answer)
    const signed = signDelivery(BODY, { scheme: 'svix', secret: TEST_SVIX_SECRET, timestamp: 1_736_937_000 });
    // WHEN it is recorded
    const record = toDeliveryRecord(
      exchange({
        headers: signed.headers,
        body: signed.body,
        status: 200,
        answer: { received: true, duplicate: true },
      }),
    );
    // THEN it is a duplicate keyed by its svix-id, and the Svix signature is masked
    expect(record).toMatchObject({ scheme: 'svix', duplicate: true, eventKey: signed.headers['svix-id'] });
    expect(record.headers.find(([name]) => name === 'svix-signature')?.[1]).toBe(`v1,${MASK}`);
  });

  it('derives the key of an OFAuth duplicate from the body’s SHA-256', () => {
    const signed = signDelivery(BODY, { scheme: 'ofauth', secret: 'plain-secret', timestamp: 1_736_937_000 });
    const record = toDeliveryRecord(
      exchange({
        headers: signed.headers,
        body: signed.body,
        status: 200,
        answer: { received: true, duplicate: true },
      }),
    );
    expect(record.eventKey).toBe(createHash('sha256').update(BODY).digest('hex'));
  });

  it('reads a rejected delivery: its error code, no event key, the type of its (tampered) body', () => {
    // GIVEN a tampered delivery answered 401 invalid_signature
    const signed = signDelivery(BODY, {
      scheme: 'ofauth',
      secret: 'plain-secret',
      timestamp: 1,
      tamper: true,
    });
    // WHEN it is recorded
    const record = toDeliveryRecord(
      exchange({
        headers: signed.headers,
        body: signed.body,
        status: 401,
        answer: { error: 'invalid_signature' },
      }),
    );
    // THEN the row says why, and offers no event
    expect(record).toMatchObject({
      status: 401,
      errorCode: 'invalid_signature',
      eventType: 'connection.updated',
    });
    expect(record.eventKey).toBeUndefined();
  });

  it('keys a signed body the verifier kept (422) as the verifier does, and a 401 not at all', () => {
    // GIVEN a signed body without a type, answered 422 missing_event_type
    const body = JSON.stringify({ data: {} });
    const signed = signDelivery(body, {
      scheme: 'ofauth',
      secret: 'plain-secret',
      timestamp: 1,
      tamper: false,
    });
    // WHEN it is recorded
    const record = toDeliveryRecord(
      exchange({ headers: signed.headers, body, status: 422, answer: { error: 'missing_event_type' } }),
    );
    // THEN it has no event, but the key its dead-letter message carries (SHA-256 of the body)
    expect(record.eventKey).toBeUndefined();
    expect(record.keptEventKey).toBe(createHash('sha256').update(body).digest('hex'));
    const unsigned = toDeliveryRecord(
      exchange({ headers: {}, body, status: 401, answer: { error: 'missing_signature' } }),
    );
    expect(unsigned.keptEventKey).toBeUndefined();
  });

  it('keeps a body that is not UTF-8 as base64, and a request without signature as scheme none', () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
    const record = toDeliveryRecord(
      exchange({ headers: {}, body: bytes, status: 401, answer: { error: 'missing_signature' } }),
    );
    expect(record).toMatchObject({ body: bytes.toString('base64'), bodyEncoding: 'base64', scheme: 'none' });
    expect(record.eventType).toBeUndefined();
  });
});
