import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import {
  parseOfAuthSignatureHeader,
  parseSvixSignatureHeader,
  signingKeys,
  verifySignature,
} from '../../lambda/verifier/signature.ts';
import { signOfAuth, signSvix, svixHeaders } from '../../testing/signers.ts';
import { TEST_OFAUTH_SECRET, TEST_SVIX_SECRET } from '../support/signing.ts';

const T = 1_700_000_000;
const NOW = T * 1000;
const body = Buffer.from('{"type":"rules.updated","data":{"revision":"r1"}}');

// Known-answer vectors, computed independently with `openssl dgst -sha256 -hmac`.
const OFAUTH_VECTOR = {
  secret: 'ofauth_secret_vector',
  header: 't=1700000000,v1=16572ce7b35ffbf3a9f59f1f2a1d67120671fedecca76e1ea2e88d92ed065d67',
};
// The example of the Svix documentation, re-computed with openssl.
const SVIX_VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: Buffer.from('{"test": 2432232314}'),
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

function ofAuthHeaders(secret = TEST_OFAUTH_SECRET, timestamp = T, content: Uint8Array = body) {
  return { 'OFAuth-Signature': signOfAuth({ secret, body: content, timestamp }) };
}

describe('OFAuth-Signature', () => {
  it('verifies the known-answer vector', () => {
    // GIVEN a header computed by an independent HMAC implementation
    // WHEN it is verified with the same secret
    const result = verifySignature(
      body,
      { 'ofauth-signature': OFAUTH_VECTOR.header },
      [OFAUTH_VECTOR.secret],
      {
        now: NOW,
      },
    );
    // THEN it is accepted as an OFAuth delivery with its timestamp
    expect(result).toEqual({ ok: true, scheme: 'ofauth', timestamp: T });
  });

  it('produces the known-answer vector when signing', () => {
    expect(signOfAuth({ secret: OFAUTH_VECTOR.secret, body, timestamp: T })).toBe(OFAUTH_VECTOR.header);
  });

  it('matches header names case-insensitively', () => {
    for (const name of ['OFAuth-Signature', 'ofauth-signature', 'OFAUTH-SIGNATURE']) {
      const headers = { [name]: OFAUTH_VECTOR.header };
      expect(verifySignature(body, headers, [OFAUTH_VECTOR.secret], { now: NOW }).ok).toBe(true);
    }
  });

  it('accepts exactly at both tolerance edges', () => {
    // GIVEN signatures 300 s in the past and 300 s in the future
    const past = ofAuthHeaders(TEST_OFAUTH_SECRET, T - 300);
    const future = ofAuthHeaders(TEST_OFAUTH_SECRET, T + 300);
    // THEN both are accepted
    expect(verifySignature(body, past, [TEST_OFAUTH_SECRET], { now: NOW }).ok).toBe(true);
    expect(verifySignature(body, future, [TEST_OFAUTH_SECRET], { now: NOW }).ok).toBe(true);
  });

  it('rejects one second past either tolerance edge', () => {
    const past = ofAuthHeaders(TEST_OFAUTH_SECRET, T - 301);
    const future = ofAuthHeaders(TEST_OFAUTH_SECRET, T + 301);
    expect(verifySignature(body, past, [TEST_OFAUTH_SECRET], { now: NOW })).toEqual({
      ok: false,
      code: 'timestamp_out_of_tolerance',
      scheme: 'ofauth',
    });
    expect(verifySignature(body, future, [TEST_OFAUTH_SECRET], { now: NOW })).toMatchObject({
      code: 'timestamp_out_of_tolerance',
    });
  });

  it('rejects outside a configured tolerance', () => {
    const headers = ofAuthHeaders(TEST_OFAUTH_SECRET, T - 61);
    expect(
      verifySignature(body, headers, [TEST_OFAUTH_SECRET], { now: NOW, toleranceSeconds: 60 }),
    ).toMatchObject({
      code: 'timestamp_out_of_tolerance',
    });
    expect(verifySignature(body, headers, [TEST_OFAUTH_SECRET], { now: NOW, toleranceSeconds: 61 }).ok).toBe(
      true,
    );
  });

  it('accepts any one of several v1 signatures and ignores unknown keys', () => {
    // GIVEN a header with a v0 entry, a wrong v1, the right v1 and an unknown key, in odd spacing
    const right = signOfAuth({ secret: TEST_OFAUTH_SECRET, body, timestamp: T }).split('v1=')[1];
    const header = ` t=${T} , v0=abc, v1=${'0'.repeat(64)},v1=${right}, scheme=future ,x=`;
    // THEN the delivery verifies
    expect(verifySignature(body, { 'OFAuth-Signature': header }, [TEST_OFAUTH_SECRET], { now: NOW }).ok).toBe(
      true,
    );
  });

  it('tries every configured secret (rotation)', () => {
    const headers = ofAuthHeaders('the-new-secret');
    expect(verifySignature(body, headers, ['the-old-secret', 'the-new-secret'], { now: NOW }).ok).toBe(true);
    expect(verifySignature(body, headers, ['the-old-secret'], { now: NOW })).toMatchObject({
      code: 'invalid_signature',
    });
  });

  it('accepts an OFAuth signature keyed with a whsec_ secret, as a string or decoded', () => {
    // GIVEN a whsec_ secret used as the raw string key, and as its decoded bytes
    const asString = ofAuthHeaders(TEST_SVIX_SECRET);
    const decodedKey = Buffer.from(TEST_SVIX_SECRET.slice('whsec_'.length), 'base64');
    const asBytes = {
      'OFAuth-Signature': `t=${T},v1=${independentDigest(decodedKey, `${T}.`, body)}`,
    };
    // THEN both verify
    expect(verifySignature(body, asString, [TEST_SVIX_SECRET], { now: NOW }).ok).toBe(true);
    expect(verifySignature(body, asBytes, [TEST_SVIX_SECRET], { now: NOW }).ok).toBe(true);
  });

  it('rejects a wrong secret, a changed body and a changed timestamp', () => {
    const headers = ofAuthHeaders();
    expect(verifySignature(body, headers, ['other'], { now: NOW })).toMatchObject({
      code: 'invalid_signature',
    });
    const changed = Buffer.from(body);
    changed[5] ^= 1;
    expect(verifySignature(changed, headers, [TEST_OFAUTH_SECRET], { now: NOW })).toMatchObject({
      code: 'invalid_signature',
    });
    const moved = { 'OFAuth-Signature': headers['OFAuth-Signature'].replace(`t=${T}`, `t=${T + 1}`) };
    expect(verifySignature(body, moved, [TEST_OFAUTH_SECRET], { now: NOW })).toMatchObject({
      code: 'invalid_signature',
    });
  });

  it.each([
    ['no t', `v1=${'a'.repeat(64)}`, 'malformed_signature'],
    ['two t', `t=${T},t=${T},v1=${'a'.repeat(64)}`, 'malformed_signature'],
    ['no v1', `t=${T}`, 'malformed_signature'],
    ['a short v1', `t=${T},v1=abcd`, 'malformed_signature'],
    ['a non-hex v1', `t=${T},v1=${'z'.repeat(64)}`, 'malformed_signature'],
    ['an empty header', '', 'malformed_signature'],
    ['a non-numeric t', `t=soon,v1=${'a'.repeat(64)}`, 'malformed_timestamp'],
    ['a negative t', `t=-5,v1=${'a'.repeat(64)}`, 'malformed_timestamp'],
    ['a fractional t', `t=1.5,v1=${'a'.repeat(64)}`, 'malformed_timestamp'],
  ])('rejects a header with %s', (_name, header, code) => {
    expect(verifySignature(body, { 'OFAuth-Signature': header }, [TEST_OFAUTH_SECRET], { now: NOW })).toEqual(
      {
        ok: false,
        code,
        scheme: 'ofauth',
      },
    );
  });

  it('rejects a delivery without any signature header', () => {
    expect(
      verifySignature(body, { 'content-type': 'application/json' }, [TEST_OFAUTH_SECRET], { now: NOW }),
    ).toEqual({ ok: false, code: 'missing_signature' });
    expect(verifySignature(body, undefined, [TEST_OFAUTH_SECRET], { now: NOW })).toMatchObject({
      code: 'missing_signature',
    });
  });

  it('rejects every delivery when no secret is configured', () => {
    expect(verifySignature(body, ofAuthHeaders(), [], { now: NOW })).toMatchObject({
      code: 'invalid_signature',
    });
  });
});

/** An HMAC computed with node:crypto directly, not through the module under test. */
function independentDigest(key: Buffer, prefix: string, content: Uint8Array): string {
  return createHmac('sha256', key).update(prefix).update(content).digest('hex');
}

describe('Svix / Standard Webhooks', () => {
  it('verifies the known-answer vector of the Svix documentation', () => {
    const headers = {
      'svix-id': SVIX_VECTOR.id,
      'svix-timestamp': String(SVIX_VECTOR.timestamp),
      'svix-signature': SVIX_VECTOR.signature,
    };
    const result = verifySignature(SVIX_VECTOR.body, headers, [SVIX_VECTOR.secret], {
      now: SVIX_VECTOR.timestamp * 1000,
    });
    expect(result).toEqual({
      ok: true,
      scheme: 'svix',
      webhookId: SVIX_VECTOR.id,
      timestamp: SVIX_VECTOR.timestamp,
    });
  });

  it('produces the known-answer vector when signing', () => {
    expect(signSvix({ ...SVIX_VECTOR })).toBe(SVIX_VECTOR.signature);
  });

  it('accepts the webhook-* header names and mixed case', () => {
    const headers = svixHeaders({
      secret: TEST_SVIX_SECRET,
      id: 'msg_1',
      body,
      timestamp: T,
      prefix: 'webhook',
    });
    const upper = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verifySignature(body, headers, [TEST_SVIX_SECRET], { now: NOW })).toMatchObject({
      ok: true,
      scheme: 'svix',
      webhookId: 'msg_1',
    });
    expect(verifySignature(body, upper, [TEST_SVIX_SECRET], { now: NOW }).ok).toBe(true);
  });

  it('accepts exactly at both tolerance edges and rejects one second past', () => {
    const at = (timestamp: number) => svixHeaders({ secret: TEST_SVIX_SECRET, id: 'msg_1', body, timestamp });
    expect(verifySignature(body, at(T - 300), [TEST_SVIX_SECRET], { now: NOW }).ok).toBe(true);
    expect(verifySignature(body, at(T + 300), [TEST_SVIX_SECRET], { now: NOW }).ok).toBe(true);
    expect(verifySignature(body, at(T - 301), [TEST_SVIX_SECRET], { now: NOW })).toMatchObject({
      code: 'timestamp_out_of_tolerance',
    });
    expect(verifySignature(body, at(T + 301), [TEST_SVIX_SECRET], { now: NOW })).toMatchObject({
      code: 'timestamp_out_of_tolerance',
    });
  });

  it('accepts any one of several space-separated signatures, skipping other versions', () => {
    const right = signSvix({ secret: TEST_SVIX_SECRET, id: 'msg_1', body, timestamp: T });
    const headers = {
      'svix-id': 'msg_1',
      'svix-timestamp': String(T),
      'svix-signature': `v1a,${'A'.repeat(86)}== v1,${Buffer.alloc(32).toString('base64')} v2,xyz ${right}`,
    };
    expect(verifySignature(body, headers, [TEST_SVIX_SECRET], { now: NOW }).ok).toBe(true);
  });

  it('tries every configured secret, a plain OFAuth secret beside it included', () => {
    const newSecret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const headers = svixHeaders({ secret: newSecret, id: 'msg_1', body, timestamp: T });
    expect(
      verifySignature(body, headers, [TEST_OFAUTH_SECRET, TEST_SVIX_SECRET, newSecret], { now: NOW }).ok,
    ).toBe(true);
    expect(
      verifySignature(body, headers, [TEST_OFAUTH_SECRET, TEST_SVIX_SECRET], { now: NOW }),
    ).toMatchObject({
      code: 'invalid_signature',
    });
  });

  it('uses an unprefixed base64 secret as Svix does, and never a plain OFAuth secret', () => {
    expect(signingKeys([TEST_SVIX_SECRET.slice(6)], 'svix')).toHaveLength(1);
    expect(signingKeys([TEST_OFAUTH_SECRET], 'svix')).toHaveLength(0);
    expect(signingKeys([TEST_OFAUTH_SECRET, TEST_SVIX_SECRET], 'ofauth')).toHaveLength(3);
  });

  it.each([
    ['no id', { 'svix-timestamp': String(T), 'svix-signature': 'v1,x' }, 'missing_webhook_id'],
    ['no timestamp', { 'svix-id': 'msg_1', 'svix-signature': 'v1,x' }, 'missing_timestamp'],
    [
      'a non-numeric timestamp',
      { 'svix-id': 'msg_1', 'svix-timestamp': 'now', 'svix-signature': 'v1,x' },
      'malformed_timestamp',
    ],
    [
      'no v1 entry',
      { 'svix-id': 'msg_1', 'svix-timestamp': String(T), 'svix-signature': 'v2,abc' },
      'malformed_signature',
    ],
    [
      'a short digest',
      { 'svix-id': 'msg_1', 'svix-timestamp': String(T), 'svix-signature': 'v1,AAAA' },
      'malformed_signature',
    ],
    [
      'an empty signature',
      { 'svix-id': 'msg_1', 'svix-timestamp': String(T), 'svix-signature': '' },
      'malformed_signature',
    ],
  ])('rejects headers with %s', (_name, headers, code) => {
    expect(verifySignature(body, headers, [TEST_SVIX_SECRET], { now: NOW })).toEqual({
      ok: false,
      code,
      scheme: 'svix',
    });
  });

  it('rejects a signature over another id', () => {
    const headers = svixHeaders({ secret: TEST_SVIX_SECRET, id: 'msg_1', body, timestamp: T });
    expect(
      verifySignature(body, { ...headers, 'svix-id': 'msg_2' }, [TEST_SVIX_SECRET], { now: NOW }),
    ).toMatchObject({
      code: 'invalid_signature',
    });
  });

  it('accepts a delivery carrying both schemes when either verifies', () => {
    const headers = {
      ...svixHeaders({ secret: TEST_SVIX_SECRET, id: 'msg_1', body, timestamp: T }),
      ...ofAuthHeaders('not-configured'),
    };
    expect(verifySignature(body, headers, [TEST_SVIX_SECRET], { now: NOW })).toMatchObject({
      ok: true,
      scheme: 'svix',
    });
    expect(verifySignature(body, headers, ['not-configured'], { now: NOW })).toMatchObject({
      ok: true,
      scheme: 'ofauth',
    });
  });
});

describe('properties', () => {
  it('the header parsers never throw on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (value) => {
        parseOfAuthSignatureHeader(value);
        parseSvixSignatureHeader(value);
      }),
      { numRuns: 2000 },
    );
  });

  it('verification never throws on arbitrary header values', () => {
    const header = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 120 }),
      fc.constantFrom(`t=${T},v1=`, 'v1,'),
    );
    fc.assert(
      fc.property(header, header, header, header, fc.uint8Array({ maxLength: 64 }), (a, b, c, d, content) => {
        const headers = { 'OFAuth-Signature': a, 'svix-id': b, 'svix-timestamp': c, 'svix-signature': d };
        const result = verifySignature(content, headers, [TEST_OFAUTH_SECRET, TEST_SVIX_SECRET], {
          now: NOW,
        });
        expect(result.ok).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('fails both schemes when any one byte of the body changes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 256 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (content, position, flip) => {
          const changed = Buffer.from(content);
          changed[position % changed.length] ^= flip;
          const ofAuth = ofAuthHeaders(TEST_OFAUTH_SECRET, T, content);
          const svix = svixHeaders({ secret: TEST_SVIX_SECRET, id: 'msg_1', body: content, timestamp: T });
          expect(verifySignature(content, ofAuth, [TEST_OFAUTH_SECRET], { now: NOW }).ok).toBe(true);
          expect(verifySignature(changed, ofAuth, [TEST_OFAUTH_SECRET], { now: NOW }).ok).toBe(false);
          expect(verifySignature(content, svix, [TEST_SVIX_SECRET], { now: NOW }).ok).toBe(true);
          expect(verifySignature(changed, svix, [TEST_SVIX_SECRET], { now: NOW }).ok).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('fails when any one byte of the timestamp or the id changes', () => {
    const printable = fc.integer({ min: 0x21, max: 0x7e });
    fc.assert(
      fc.property(fc.nat(), printable, fc.nat(), printable, (tPos, tChar, idPos, idChar) => {
        const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
        const svix = svixHeaders({ secret: TEST_SVIX_SECRET, id, body, timestamp: T });
        const ofAuth = ofAuthHeaders(TEST_OFAUTH_SECRET, T);
        const t = String(T);
        const ti = tPos % t.length;
        fc.pre(String.fromCharCode(tChar) !== t[ti]);
        const newT = t.slice(0, ti) + String.fromCharCode(tChar) + t.slice(ti + 1);
        const ii = idPos % id.length;
        fc.pre(String.fromCharCode(idChar) !== id[ii]);
        const newId = id.slice(0, ii) + String.fromCharCode(idChar) + id.slice(ii + 1);
        const ofAuthMoved = { 'OFAuth-Signature': ofAuth['OFAuth-Signature'].replace(`t=${t}`, `t=${newT}`) };
        expect(verifySignature(body, ofAuthMoved, [TEST_OFAUTH_SECRET], { now: NOW }).ok).toBe(false);
        expect(
          verifySignature(body, { ...svix, 'svix-timestamp': newT }, [TEST_SVIX_SECRET], { now: NOW }).ok,
        ).toBe(false);
        expect(
          verifySignature(body, { ...svix, 'svix-id': newId }, [TEST_SVIX_SECRET], { now: NOW }).ok,
        ).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
