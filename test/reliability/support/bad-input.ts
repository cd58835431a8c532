/**
 * A seeded generator of requests that must never be handed on: malformed, missing or duplicated
 * signature headers, wrong encodings, lying base64 flags, oversized and truncated bodies, stale
 * (replayed) or future signatures, wrong secrets and tampered bytes, for both schemes. Built on
 * fast-check arbitraries and drawn with a fixed seed, so a failure reproduces exactly.
 *
 * Signed bodies that are not JSON or carry no type are different: they are genuine deliveries
 * that the verifier keeps once on the dead-letter queue. {@link unparseableSignedRequests} makes
 * those separately so that the suite can count them as expected.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { HttpRequest } from '../../../dev/api-gateway-event.ts';
import { eventBody } from '../../../dev/deliveries.ts';
import { signOfAuth, signSvix } from '../../../testing/signers.ts';

/** The secrets the verifier is configured with, and one it does not know. */
export interface SecretSet {
  readonly ofauth: string;
  readonly svix: string;
  readonly wrongOfauth: string;
  readonly wrongSvix: string;
}

/** A generated request and what kind of bad it is. */
export interface BadRequest {
  readonly category: string;
  readonly request: HttpRequest;
}

/** Options for {@link badRequests}. */
export interface BadInputOptions {
  readonly secrets: SecretSet;
  /** The verifier's body limit; oversized bodies are generated above it. */
  readonly maxBodyBytes: number;
  /** The verifier's tolerance; stale and future timestamps are generated well outside it. */
  readonly toleranceSeconds: number;
  /** "Now" for the signatures, in seconds. */
  readonly nowSeconds: number;
  readonly count: number;
  /** @default 20260101 */
  readonly seed?: number;
}

const hexChars = fc.constantFrom(...'0123456789abcdef'.split(''));
const hex = (length: number) => fc.string({ unit: hexChars, minLength: length, maxLength: length });
const junk = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    ',',
    ',,,',
    '=',
    't=',
    'v1=',
    't=,v1=',
    'v1,',
    'v1, ',
    'null',
    'undefined',
    '\u0000',
  ),
);

/** A body that parses and has a type, so only the signature or framing can be wrong. */
const validBody = fc
  .record({
    connection: fc.stringMatching(/^conn_[a-z0-9]{4,12}$/),
    seq: fc.nat({ max: 1_000_000 }),
    type: fc.constantFrom(
      'connection.created',
      'connection.updated',
      'rules.updated',
      'realtime.chat_typing.updated',
    ),
    nonce: hex(8),
    unicode: fc.boolean(),
  })
  .map(({ connection, seq, type, nonce, unicode }) => {
    const body = eventBody({ connectionId: connection, seq, type, nonce });
    // A non-ASCII character makes encoding mistakes visible in the bytes.
    return unicode ? body.replace(`"seq ${seq}"`, `"seq ${seq} – Zoë ✓"`) : body;
  });

/** Every generated category, weighted roughly by how varied it is. */
function categories(options: BadInputOptions) {
  const { secrets, nowSeconds, toleranceSeconds, maxBodyBytes } = options;
  const outside = fc.integer({ min: toleranceSeconds + 60, max: 10 * 365 * 24 * 3600 });
  const ofauth = (body: string, header: string, extra: Record<string, string> = {}): HttpRequest => ({
    body,
    headers: { 'content-type': 'application/json', 'ofauth-signature': header, ...extra },
  });
  const svix = (body: string, id: string, ts: string, signature: string, prefix = 'svix'): HttpRequest => ({
    body,
    headers: {
      'content-type': 'application/json',
      [`${prefix}-id`]: id,
      [`${prefix}-timestamp`]: ts,
      [`${prefix}-signature`]: signature,
    },
  });
  const msgId = hex(16).map((h) => `msg_${h}`);
  const prefix = fc.constantFrom('svix', 'webhook');

  return {
    missing_signature: fc
      .record({
        body: validBody,
        extra: fc.dictionary(fc.stringMatching(/^x-[a-z-]{1,12}$/), fc.string({ maxLength: 20 })),
      })
      .map(
        ({ body, extra }): HttpRequest => ({
          body,
          headers: { 'content-type': 'application/json', ...extra },
        }),
      ),
    malformed_ofauth_header: fc
      .record({
        body: validBody,
        header: fc.oneof(
          junk,
          hex(64).map((h) => `v1=${h}`),
          hex(64).map((h) => `t=${nowSeconds}`.concat(`,v2=${h}`)),
          hex(64).map((h) => `t=${nowSeconds}x,v1=${h}`),
          hex(64).map((h) => `t=${nowSeconds};v1=${h}`),
          hex(63).map((h) => `t=${nowSeconds},v1=${h}`),
          hex(64).map((h) => `t = ${nowSeconds} , v1 = ${h}`),
          fc.constant(`t=${nowSeconds},v1=${'zz'.repeat(32)}`),
          fc.constant(`t=-1,v1=${'0'.repeat(64)}`),
          fc.constant(`t=1e10,v1=${'0'.repeat(64)}`),
          fc.constant(`t=${'9'.repeat(400)},v1=${'0'.repeat(64)}`),
        ),
      })
      .map(({ body, header }) => ofauth(body, header)),
    malformed_svix_headers: fc
      .record({
        body: validBody,
        id: msgId,
        prefix,
        drop: fc.constantFrom('id', 'timestamp', 'signature', 'none'),
        signature: fc.oneof(
          junk,
          fc.base64String({ minLength: 44, maxLength: 44 }).map((b) => `v2,${b}`),
          fc.base64String({ minLength: 44, maxLength: 44 }).map((b) => `v1 ${b}`),
          fc.base64String({ minLength: 4, maxLength: 40 }).map((b) => `v1,${b}`),
          fc.constant('v1,!!!not-base64!!!'),
        ),
        ts: fc.oneof(
          fc.constant(String(nowSeconds)),
          junk,
          fc.constant(`${nowSeconds}.5`),
          fc.constant(`0x${nowSeconds.toString(16)}`),
        ),
      })
      .map(({ body, id, prefix: p, drop, signature, ts }) => {
        const request = svix(body, id, ts, signature, p);
        const headers = { ...(request.headers as Record<string, string>) };
        if (drop !== 'none') delete headers[`${p}-${drop}`];
        return { ...request, headers };
      }),
    duplicated_headers: fc
      .record({ body: validBody, stale: outside, junkSig: hex(64), id: msgId, otherId: msgId })
      .chain(({ body, stale, junkSig, id, otherId }) =>
        fc.constantFrom<HttpRequest>(
          // Two OFAuth-Signature headers: one stale but genuine, one fresh but wrong.
          {
            body,
            headers: [
              ['content-type', 'application/json'],
              [
                'OFAuth-Signature',
                signOfAuth({ secret: secrets.ofauth, body, timestamp: nowSeconds - stale }),
              ],
              ['ofauth-signature', `t=${nowSeconds},v1=${junkSig}`],
            ],
          },
          // A repeated svix-id changes the signed content: the signature was made for one id.
          {
            body,
            headers: [
              ['content-type', 'application/json'],
              ['svix-id', id],
              ['svix-id', otherId],
              ['svix-timestamp', String(nowSeconds)],
              ['svix-signature', signSvix({ secret: secrets.svix, id, body, timestamp: nowSeconds })],
            ],
          },
          // A repeated timestamp does not parse as one number.
          {
            body,
            headers: [
              ['content-type', 'application/json'],
              ['webhook-id', id],
              ['webhook-timestamp', String(nowSeconds)],
              ['webhook-timestamp', String(nowSeconds - stale)],
              ['webhook-signature', signSvix({ secret: secrets.svix, id, body, timestamp: nowSeconds })],
            ],
          },
        ),
      ),
    wrong_encoding: fc
      .record({ body: validBody, encoding: fc.constantFrom<BufferEncoding>('latin1', 'utf16le', 'ucs2') })
      .map(({ body, encoding }) => {
        // Signed as the sender's UTF-8 text, but the bytes on the wire are another encoding.
        const unicodeBody = body.includes('Zoë') ? body : body.replace('"seq ', '"séq ');
        return {
          ...ofauth(
            unicodeBody,
            signOfAuth({ secret: secrets.ofauth, body: unicodeBody, timestamp: nowSeconds }),
          ),
          body: Buffer.from(unicodeBody, encoding),
          isBase64Encoded: true,
        };
      }),
    lying_base64_flag: fc.record({ body: validBody, way: fc.boolean() }).map(({ body, way }) => {
      const signed = ofauth(body, signOfAuth({ secret: secrets.ofauth, body, timestamp: nowSeconds }));
      return way
        ? // Says base64, but the body is the plain text.
          { ...signed, isBase64Encoded: true, forwardedBody: body }
        : // Says text, but the body is base64 of the signed bytes.
          { ...signed, isBase64Encoded: false, forwardedBody: Buffer.from(body).toString('base64') };
    }),
    oversized_body: fc
      .record({
        extra: fc.integer({ min: 1, max: maxBodyBytes }),
        signed: fc.boolean(),
        id: msgId,
        base64: fc.boolean(),
      })
      .map(({ extra, signed, id, base64 }): HttpRequest => {
        const body = eventBody({ sizeBytes: maxBodyBytes + extra, nonce: id });
        const request = signed
          ? svix(
              body,
              id,
              String(nowSeconds),
              signSvix({ secret: secrets.svix, id, body, timestamp: nowSeconds }),
            )
          : { body, headers: { 'content-type': 'application/json' } };
        return base64 ? { ...request, body: Buffer.from(body), isBase64Encoded: true } : request;
      }),
    stale_or_future_signature: fc
      .record({
        body: validBody,
        offset: outside,
        future: fc.boolean(),
        scheme: fc.boolean(),
        id: msgId,
        prefix,
      })
      .map(({ body, offset, future, scheme, id, prefix: p }) => {
        const t = future ? nowSeconds + offset : nowSeconds - offset;
        return scheme
          ? ofauth(body, signOfAuth({ secret: secrets.ofauth, body, timestamp: t }))
          : svix(body, id, String(t), signSvix({ secret: secrets.svix, id, body, timestamp: t }), p);
      }),
    truncated_body: fc
      .record({ body: validBody, cut: fc.integer({ min: 1, max: 60 }), scheme: fc.boolean(), id: msgId })
      .map(({ body, cut, scheme, id }) => {
        const sent = body.slice(0, Math.max(1, body.length - cut));
        return scheme
          ? ofauth(sent, signOfAuth({ secret: secrets.ofauth, body, timestamp: nowSeconds }))
          : svix(
              sent,
              id,
              String(nowSeconds),
              signSvix({ secret: secrets.svix, id, body, timestamp: nowSeconds }),
            );
      }),
    wrong_secret: fc
      .record({ body: validBody, scheme: fc.constantFrom('ofauth', 'svix', 'crossed'), id: msgId })
      .map(({ body, scheme, id }) => {
        if (scheme === 'ofauth')
          return ofauth(body, signOfAuth({ secret: secrets.wrongOfauth, body, timestamp: nowSeconds }));
        if (scheme === 'svix')
          return svix(
            body,
            id,
            String(nowSeconds),
            signSvix({ secret: secrets.wrongSvix, id, body, timestamp: nowSeconds }),
          );
        // The configured OFAuth secret string used as a Svix key: a real secret, the wrong scheme.
        // (The reverse is genuine: a `whsec_` secret's string is a valid OFAuth-Signature key.)
        const crossed = `whsec_${Buffer.from(secrets.ofauth, 'utf8').toString('base64')}`;
        return svix(
          body,
          id,
          String(nowSeconds),
          signSvix({ secret: crossed, id, body, timestamp: nowSeconds }),
        );
      }),
    tampered: fc
      .record({
        body: validBody,
        at: fc.nat(),
        what: fc.constantFrom('body', 'timestamp', 'id', 'signature'),
        scheme: fc.boolean(),
        id: msgId,
      })
      .map(({ body, at, what, scheme, id }) => {
        const flip = (text: string, index: number) => {
          const i = index % text.length;
          const c = text.charCodeAt(i);
          return text.slice(0, i) + String.fromCharCode(c === 0x41 ? 0x42 : 0x41) + text.slice(i + 1);
        };
        if (scheme) {
          const header = signOfAuth({ secret: secrets.ofauth, body, timestamp: nowSeconds });
          if (what === 'body' || what === 'id') return ofauth(flip(body, at), header);
          if (what === 'timestamp')
            return ofauth(body, header.replace(`t=${nowSeconds}`, `t=${nowSeconds - 1}`));
          return ofauth(
            body,
            header.replace(/v1=(.)/, (_, c) => `v1=${c === 'a' ? 'b' : 'a'}`),
          );
        }
        const signature = signSvix({ secret: secrets.svix, id, body, timestamp: nowSeconds });
        if (what === 'body') return svix(flip(body, at), id, String(nowSeconds), signature);
        if (what === 'id') return svix(body, flip(id, at), String(nowSeconds), signature);
        if (what === 'timestamp') return svix(body, id, String(nowSeconds + 1), signature);
        return svix(
          body,
          id,
          String(nowSeconds),
          signature.replace(/v1,(.)/, (_, c) => `v1,${c === 'A' ? 'B' : 'A'}`),
        );
      }),
    many_signatures: fc
      .record({ body: validBody, count: fc.integer({ min: 50, max: 2000 }), scheme: fc.boolean(), id: msgId })
      .map(({ body, count, scheme, id }) => {
        if (scheme) {
          const entries = Array.from(
            { length: count },
            (_, i) => `v1=${createHash('sha256').update(`${i}`).digest('hex')}`,
          );
          return ofauth(body, `t=${nowSeconds},${entries.join(',')}`);
        }
        const entries = Array.from(
          { length: count },
          (_, i) => `v1,${createHash('sha256').update(`${i}`).digest('base64')}`,
        );
        return svix(body, id, String(nowSeconds), entries.join(' '));
      }),
  };
}

/** Draws `count` bad requests, spread over every category, reproducibly. */
export function badRequests(options: BadInputOptions): BadRequest[] {
  const all = categories(options);
  const weights: Record<keyof typeof all, number> = {
    missing_signature: 8,
    malformed_ofauth_header: 14,
    malformed_svix_headers: 14,
    duplicated_headers: 8,
    wrong_encoding: 6,
    lying_base64_flag: 6,
    oversized_body: 4,
    stale_or_future_signature: 10,
    truncated_body: 8,
    wrong_secret: 8,
    tampered: 12,
    many_signatures: 2,
  };
  const arbitrary = fc.oneof(
    ...Object.entries(all).map(([category, arb]) => ({
      weight: weights[category as keyof typeof all],
      arbitrary: (arb as fc.Arbitrary<HttpRequest>).map((request): BadRequest => ({ category, request })),
    })),
  );
  return fc.sample(arbitrary, { seed: options.seed ?? 20260101, numRuns: options.count });
}

/**
 * Genuinely signed bodies that are not JSON or carry no type: the verifier answers 4xx and keeps
 * each one once on the dead-letter queue. Every body is distinct, so the expected count is exact.
 */
export function unparseableSignedRequests(
  secrets: SecretSet,
  nowSeconds: number,
  count: number,
): Array<BadRequest & { readonly body: string }> {
  const shapes = [
    (n: number) => `not json ${n}`,
    (n: number) => `{"type":"connection.created","data":{"n":${n}`,
    (n: number) => `{"data":{"connection":{"id":"conn_${n}"}}}`,
    (n: number) => `[${n}]`,
    (n: number) => `{"type":${n},"data":{}}`,
    (n: number) => `{"eventType":"","n":${n}}`,
    (n: number) => `"${n}"`,
  ];
  return Array.from({ length: count }, (_, n) => {
    const body = shapes[n % shapes.length]!(n);
    const id = `msg_unparseable_${n}`;
    const request: HttpRequest =
      n % 2 === 0
        ? {
            body,
            headers: {
              'content-type': 'application/json',
              'ofauth-signature': signOfAuth({ secret: secrets.ofauth, body, timestamp: nowSeconds }),
            },
          }
        : {
            body,
            headers: {
              'content-type': 'application/json',
              'svix-id': id,
              'svix-timestamp': String(nowSeconds),
              'svix-signature': signSvix({ secret: secrets.svix, id, body, timestamp: nowSeconds }),
            },
          };
    return { category: 'signed_unparseable', request, body };
  });
}
