/**
 * What a sender gets for each body size, through the local gateway and the real verifier on the
 * emulators: up to MAX_BODY_BYTES, accepted; above it, the verifier's 413 `payload_too_large`;
 * an invocation payload (the event JSON) above Lambda's 6 MiB, a 413 before any invocation;
 * above API Gateway's 10 MiB, its own 413. Binary content types reach Lambda base64-encoded, so
 * the Lambda band starts near 4.5 MiB of body for them and near 6 MiB for text.
 */
import { request } from 'node:http';
import { DEFAULT_MAX_BODY_BYTES } from '../../lambda/verifier/config.ts';
import {
  type Gateway,
  MAX_INVOCATION_PAYLOAD_BYTES,
  MAX_REQUEST_BYTES,
  startGateway,
} from '../../local/gateway.ts';
import { signOfAuth } from '../../testing/signers.ts';
import { TEST_OFAUTH_SECRET } from '../support/signing.ts';
import { drainQueue, startVerifierRig, type VerifierRig } from './verifier-harness.ts';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';

/** Posting and signing megabytes takes seconds on a busy machine (jest's default is 5 s). */
const LARGE_BODY_TIMEOUT_MS = 30_000;

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** POSTs a body signed with OFAuth-Signature and reads the JSON answer. */
function post(url: string, body: Buffer, contentType: string): Promise<Answer> {
  const signature = signOfAuth({
    secret: TEST_OFAUTH_SECRET,
    body,
    timestamp: Math.floor(Date.now() / 1000),
  });
  return new Promise((done, fail) => {
    const req = request(
      url,
      { method: 'POST', headers: { 'content-type': contentType, 'ofauth-signature': signature } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          done({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || '{}') }),
        );
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

let made = 0;
/** A connection.created event of exactly `bytes` bytes (ASCII), padded inside `data`. */
function eventOfSize(bytes: number): Buffer {
  made += 1;
  const head = `{"type":"connection.created","data":{"connection":{"id":"conn_size_${made}"},"padding":"`;
  const tail = '"}}';
  return Buffer.from(head + 'a'.repeat(bytes - head.length - tail.length) + tail);
}

const TEXT = 'application/json';
const BINARY = 'application/octet-stream';

describe('body size bands, through the local gateway and the verifier', () => {
  let rig: VerifierRig;
  let gateway: Gateway;
  let invocations = 0;

  beforeAll(async () => {
    rig = await startVerifierRig();
    gateway = await startGateway({
      port: 0,
      handler: (event, context) => {
        invocations += 1;
        return rig.handler(event, context);
      },
    });
  });

  afterAll(async () => {
    await gateway?.stop();
    await rig?.stop();
  });

  beforeEach(() => {
    invocations = 0;
  });

  afterEach(async () => {
    await drainQueue(rig.sqs, rig.queueUrl);
  });

  it.each([TEXT, BINARY])(
    'accepts a signed body of exactly MAX_BODY_BYTES (%s)',
    async (contentType) => {
      // GIVEN a signed event of exactly the verifier's limit
      const body = eventOfSize(DEFAULT_MAX_BODY_BYTES);
      // WHEN it is posted
      const answer = await post(gateway.url, body, contentType);
      // THEN it is verified and handed on: it fits a queue message with its attributes
      expect(answer).toMatchObject({ status: 202, body: { received: true } });
      expect(await drainQueue(rig.sqs, rig.queueUrl)).toHaveLength(1);
    },
    LARGE_BODY_TIMEOUT_MS,
  );

  it.each([TEXT, BINARY])(
    'rejects a body one byte over MAX_BODY_BYTES with the verifier’s 413 payload_too_large (%s)',
    async (contentType) => {
      // GIVEN a signed event one byte over the verifier's limit
      const body = eventOfSize(DEFAULT_MAX_BODY_BYTES + 1);
      // WHEN it is posted
      const answer = await post(gateway.url, body, contentType);
      // THEN the verifier refuses it, and nothing is queued
      expect(invocations).toBe(1);
      expect(answer).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
      expect(await drainQueue(rig.sqs, rig.queueUrl)).toHaveLength(0);
    },
    LARGE_BODY_TIMEOUT_MS,
  );

  it(
    'rejects a 4.8 MB text body in the verifier, which Lambda still takes as text',
    async () => {
      // GIVEN a body above MAX_BODY_BYTES whose event (text, not base64) stays under 6 MiB
      const body = eventOfSize(4_800_000);
      // WHEN it is posted as JSON
      const answer = await post(gateway.url, body, TEXT);
      // THEN the verifier is invoked and answers 413 payload_too_large
      expect(invocations).toBe(1);
      expect(answer).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
    },
    LARGE_BODY_TIMEOUT_MS,
  );

  it.each([
    ['a 4.8 MB binary body (base64: 6.4 MB)', 4_800_000, BINARY],
    ['a 6.5 MB text body', 6_500_000, TEXT],
    ['a body of 10 MiB exactly, as text', MAX_REQUEST_BYTES, TEXT],
  ])(
    'rejects %s, over Lambda’s invocation payload limit, with 413 Request Too Long without invoking the verifier',
    async (_name, size, contentType) => {
      // GIVEN a body whose payload-2.0 event would be larger than Lambda's 6 MiB
      const body = eventOfSize(size);
      // WHEN it is posted
      const answer = await post(gateway.url, body, contentType);
      // THEN the gateway refuses it as the deployed stack does, and the verifier never runs
      expect(answer).toEqual({ status: 413, body: { message: 'Request Too Long' } });
      expect(invocations).toBe(0);
    },
    LARGE_BODY_TIMEOUT_MS,
  );

  it(
    'rejects a body above 10 MiB with API Gateway’s own 413 without invoking the verifier',
    async () => {
      // GIVEN a body one byte over API Gateway's 10 MiB; WHEN it is posted
      const answer = await post(gateway.url, eventOfSize(MAX_REQUEST_BYTES + 1), TEXT);
      // THEN the gateway refuses it before building any event
      expect(answer).toEqual({ status: 413, body: { message: 'Request Entity Too Large' } });
      expect(invocations).toBe(0);
    },
    LARGE_BODY_TIMEOUT_MS,
  );
});

describe('the local gateway’s invocation payload limit', () => {
  let gateway: Gateway;
  const eventBytes: number[] = [];

  beforeAll(async () => {
    gateway = await startGateway({
      port: 0,
      handler: async (event) => {
        eventBytes.push(Buffer.byteLength(JSON.stringify(event)));
        return { statusCode: 202, body: '{}' };
      },
    });
  });

  afterAll(async () => {
    await gateway?.stop();
  });

  it(
    'invokes with an event of exactly 6 MiB and refuses one byte more',
    async () => {
      // GIVEN the size of the event for a text body of 1,000,000 bytes (the same number of digits in
      // content-length as the bodies below, so that only the body's length differs)
      await post(gateway.url, Buffer.alloc(1_000_000, 0x61), TEXT);
      const overhead = eventBytes[0]! - 1_000_000;
      const atLimit = MAX_INVOCATION_PAYLOAD_BYTES - overhead;
      // WHEN a body whose event is exactly the limit is posted, then one a byte longer
      const under = await post(gateway.url, Buffer.alloc(atLimit, 0x61), TEXT);
      const over = await post(gateway.url, Buffer.alloc(atLimit + 1, 0x61), TEXT);
      // THEN the first is invoked with an event of exactly 6 MiB; the second is refused unseen
      expect(under.status).toBe(202);
      expect(eventBytes).toEqual([eventBytes[0], MAX_INVOCATION_PAYLOAD_BYTES]);
      expect(over).toEqual({ status: 413, body: { message: 'Request Too Long' } });
    },
    LARGE_BODY_TIMEOUT_MS,
  );
});
