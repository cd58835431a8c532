/**
 * The finer rules of the signature headers that a forger could lean on: which entries count as a
 * signature at all, how strictly their values are read, which scheme a rejection names, and the
 * secret generator the CLI and the local pipeline use.
 */
import { createHash, createHmac } from 'node:crypto';
import {
  normalizeHeaders,
  parseOfAuthSignatureHeader,
  parseSvixSignatureHeader,
  SVIX_SECRET_PREFIX,
  signingKeys,
  verifySignature,
} from '../../lambda/verifier/signature.ts';
import { generateSvixSecret, signOfAuth, signSvix, svixHeaders } from '../../testing/signers.ts';
import { TEST_OFAUTH_SECRET, TEST_SVIX_SECRET } from '../support/signing.ts';

const T = 1_700_000_000;
const NOW = T * 1000;
const body = Buffer.from('{"type":"connection.created","data":{"connection":{"id":"conn_1"}}}');

/** The hex digest OFAuth would send for `body` at `T`, computed without the module under test. */
function rightHex(secret = TEST_OFAUTH_SECRET, timestamp = T): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** The base64 digest Svix would send for `body`, computed without the module under test. */
function rightSvixBase64(id = 'msg_1', timestamp = T, secret = TEST_SVIX_SECRET): string {
  const key = Buffer.from(secret.slice(SVIX_SECRET_PREFIX.length), 'base64');
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
}

const verifyOfAuth = (header: string, secrets: readonly string[] = [TEST_OFAUTH_SECRET]) =>
  verifySignature(body, { 'OFAuth-Signature': header }, secrets, { now: NOW });

describe('OFAuth-Signature: only v1 entries are signatures', () => {
  it.each([
    ['v0', 'v0'],
    ['v2', 'v2'],
    ['an unknown key', 'sig'],
    ['an upper-case V1', 'V1'],
  ])('rejects the right digest under %s as malformed: no v1 entry', (_name, key) => {
    // GIVEN the genuine digest, but under a key other than v1
    const header = `t=${T},${key}=${rightHex()}`;
    // WHEN it is verified
    // THEN it is no signature at all
    expect(verifyOfAuth(header)).toEqual({ ok: false, code: 'malformed_signature', scheme: 'ofauth' });
  });

  it('rejects the right digest under v0 beside a wrong v1 as an invalid signature', () => {
    const header = `t=${T},v0=${rightHex()},v1=${'0'.repeat(64)}`;
    expect(verifyOfAuth(header)).toEqual({ ok: false, code: 'invalid_signature', scheme: 'ofauth' });
  });

  it.each([
    ['a character before it', `x${'a'.repeat(64)}`],
    ['a character after it', `${'a'.repeat(64)}x`],
    ['two more hex digits', `${'a'.repeat(64)}00`],
    ['63 digits', 'a'.repeat(63)],
  ])('rejects a v1 value that is 64 hex digits with %s', (_name, value) => {
    expect(parseOfAuthSignatureHeader(`t=${T},v1=${value}`)).toEqual({
      ok: false,
      code: 'malformed_signature',
    });
  });

  it('rejects the right digest followed by extra hex digits, or preceded by a stray character', () => {
    // GIVEN the genuine digest with something around it, which a prefix or suffix match would accept
    for (const value of [`${rightHex()}00`, `${rightHex()}zz`, `g${rightHex()}`]) {
      // THEN the entry is not a signature, so the header has none
      expect(verifyOfAuth(`t=${T},v1=${value}`)).toEqual({
        ok: false,
        code: 'malformed_signature',
        scheme: 'ofauth',
      });
    }
  });

  it('reads an upper-case hex digest', () => {
    expect(verifyOfAuth(`t=${T},v1=${rightHex().toUpperCase()}`)).toEqual({
      ok: true,
      scheme: 'ofauth',
      timestamp: T,
    });
  });

  it('parses the entries it keeps into digests, in order, and skips entries without a key', () => {
    const wrong = 'ab'.repeat(32);
    const parsed = parseOfAuthSignatureHeader(`=x, t = ${T} ,v1=${wrong}, v1 = ${rightHex()},novalue,t5`);
    expect(parsed).toEqual({
      ok: true,
      timestamp: String(T),
      signatures: [Buffer.from(wrong, 'hex'), Buffer.from(rightHex(), 'hex')],
    });
  });

  it('rejects a header that is not a string', () => {
    expect(parseOfAuthSignatureHeader(undefined)).toEqual({ ok: false, code: 'malformed_signature' });
    expect(parseOfAuthSignatureHeader(42)).toEqual({ ok: false, code: 'malformed_signature' });
  });

  it('rejects a t with more than 12 digits as malformed, and accepts 12', () => {
    expect(parseOfAuthSignatureHeader(`t=1234567890123,v1=${rightHex()}`)).toEqual({
      ok: false,
      code: 'malformed_timestamp',
    });
    expect(parseOfAuthSignatureHeader(`t=123456789012,v1=${rightHex()}`)).toMatchObject({ ok: true });
  });
});

describe('Svix / Standard Webhooks: only version v1 entries are signatures', () => {
  const headersWith = (signature: string, extra: Record<string, string> = {}) => ({
    'svix-id': 'msg_1',
    'svix-timestamp': String(T),
    'svix-signature': signature,
    ...extra,
  });

  it.each([['v1a'], ['v2'], ['V1'], ['']])(
    'rejects the right digest under version "%s" as malformed: no v1 entry',
    (version) => {
      const result = verifySignature(
        body,
        headersWith(`${version},${rightSvixBase64()}`),
        [TEST_SVIX_SECRET],
        {
          now: NOW,
        },
      );
      expect(result).toEqual({ ok: false, code: 'malformed_signature', scheme: 'svix' });
    },
  );

  it('rejects entries without a comma, with loose base64, or of another length', () => {
    const right = rightSvixBase64();
    expect(parseSvixSignatureHeader(`v1${right}`)).toEqual([]);
    expect(parseSvixSignatureHeader(`v1,${right.replace(/=$/, '')}`)).toEqual([]);
    expect(parseSvixSignatureHeader(`v1,${right}==`)).toEqual([]);
    expect(parseSvixSignatureHeader(`v1,!${right}`)).toEqual([]);
    expect(parseSvixSignatureHeader(`v1,${Buffer.alloc(31).toString('base64')}`)).toEqual([]);
    expect(parseSvixSignatureHeader(`v1,${Buffer.alloc(33).toString('base64')}`)).toEqual([]);
    expect(parseSvixSignatureHeader(undefined)).toEqual([]);
  });

  it('keeps every v1 digest in order', () => {
    const other = Buffer.alloc(32, 9).toString('base64');
    expect(parseSvixSignatureHeader(`v1,${other} v1a,${other} v1,${rightSvixBase64()}`)).toEqual([
      Buffer.from(other, 'base64'),
      Buffer.from(rightSvixBase64(), 'base64'),
    ]);
  });

  it('reads a timestamp header with surrounding spaces, and signs over the trimmed value', () => {
    const result = verifySignature(
      body,
      headersWith(`v1,${rightSvixBase64()}`, { 'svix-timestamp': ` ${T} ` }),
      [TEST_SVIX_SECRET],
      { now: NOW },
    );
    expect(result).toEqual({ ok: true, scheme: 'svix', webhookId: 'msg_1', timestamp: T });
  });

  it('rejects a timestamp with more than 12 digits as malformed', () => {
    const result = verifySignature(
      body,
      headersWith(`v1,${rightSvixBase64()}`, { 'svix-timestamp': '1234567890123' }),
      [TEST_SVIX_SECRET],
      { now: NOW },
    );
    expect(result).toEqual({ ok: false, code: 'malformed_timestamp', scheme: 'svix' });
  });
});

describe('the scheme named on every rejection', () => {
  it('rejects an invalid and a stale OFAuth signature naming the ofauth scheme', () => {
    expect(verifyOfAuth(signOfAuth({ secret: 'other', body, timestamp: T }))).toEqual({
      ok: false,
      code: 'invalid_signature',
      scheme: 'ofauth',
    });
    expect(verifyOfAuth(signOfAuth({ secret: TEST_OFAUTH_SECRET, body, timestamp: T - 301 }))).toEqual({
      ok: false,
      code: 'timestamp_out_of_tolerance',
      scheme: 'ofauth',
    });
  });

  it('rejects an invalid and a stale Svix signature naming the svix scheme, for both header families', () => {
    for (const prefix of ['svix', 'webhook'] as const) {
      const wrong = svixHeaders({
        secret: generateSvixSecret('other'),
        id: 'msg_1',
        body,
        timestamp: T,
        prefix,
      });
      const stale = svixHeaders({ secret: TEST_SVIX_SECRET, id: 'msg_1', body, timestamp: T + 301, prefix });
      expect(verifySignature(body, wrong, [TEST_SVIX_SECRET], { now: NOW })).toEqual({
        ok: false,
        code: 'invalid_signature',
        scheme: 'svix',
      });
      expect(verifySignature(body, stale, [TEST_SVIX_SECRET], { now: NOW })).toEqual({
        ok: false,
        code: 'timestamp_out_of_tolerance',
        scheme: 'svix',
      });
    }
  });

  it('rejects with the first scheme’s failure when every scheme present fails', () => {
    // GIVEN a forged Svix signature beside a malformed OFAuth-Signature
    const headers = {
      ...svixHeaders({ secret: generateSvixSecret('forger'), id: 'msg_1', body, timestamp: T }),
      'OFAuth-Signature': 'garbage',
    };
    // THEN the Svix failure is answered, not the later one
    expect(verifySignature(body, headers, [TEST_SVIX_SECRET, TEST_OFAUTH_SECRET], { now: NOW })).toEqual({
      ok: false,
      code: 'invalid_signature',
      scheme: 'svix',
    });
  });

  it('tries the webhook-* headers after a failing svix-* set', () => {
    const headers = {
      'svix-id': 'msg_1',
      'svix-timestamp': String(T),
      'svix-signature': `v1,${Buffer.alloc(32).toString('base64')}`,
      ...svixHeaders({ secret: TEST_SVIX_SECRET, id: 'msg_2', body, timestamp: T, prefix: 'webhook' }),
    };
    expect(verifySignature(body, headers, [TEST_SVIX_SECRET], { now: NOW })).toEqual({
      ok: true,
      scheme: 'svix',
      webhookId: 'msg_2',
      timestamp: T,
    });
  });
});

describe('the tolerance, in whole seconds', () => {
  it('compares the timestamp with the current second, not with a fraction of it', () => {
    // GIVEN a signature 300 s old, checked 999 ms into the following second
    const header = signOfAuth({ secret: TEST_OFAUTH_SECRET, body, timestamp: T - 300 });
    // THEN it is still within the 300 s tolerance
    expect(
      verifySignature(body, { 'OFAuth-Signature': header }, [TEST_OFAUTH_SECRET], { now: NOW + 999 }).ok,
    ).toBe(true);
  });

  it('applies a configured tolerance to Svix deliveries too', () => {
    const headers = svixHeaders({ secret: TEST_SVIX_SECRET, id: 'msg_1', body, timestamp: T - 61 });
    expect(verifySignature(body, headers, [TEST_SVIX_SECRET], { now: NOW, toleranceSeconds: 60 })).toEqual({
      ok: false,
      code: 'timestamp_out_of_tolerance',
      scheme: 'svix',
    });
    expect(verifySignature(body, headers, [TEST_SVIX_SECRET], { now: NOW, toleranceSeconds: 61 }).ok).toBe(
      true,
    );
  });
});

describe('headers and keys', () => {
  it('lower-cases header names and drops values that are not strings', () => {
    const headers = { 'SVIX-ID': 'msg_1', 'X-Number': 5, 'X-Missing': undefined } as unknown as Record<
      string,
      string
    >;
    expect(normalizeHeaders(headers)).toEqual({ 'svix-id': 'msg_1' });
    expect(normalizeHeaders(null)).toEqual({});
    expect(normalizeHeaders('t=1' as unknown as Record<string, string>)).toEqual({});
  });

  it('derives no key from an empty secret or a bare whsec_ prefix, and each key once', () => {
    expect(signingKeys(['', SVIX_SECRET_PREFIX], 'svix')).toEqual([]);
    expect(signingKeys([''], 'ofauth')).toEqual([]);
    expect(signingKeys([SVIX_SECRET_PREFIX], 'ofauth')).toEqual([Buffer.from(SVIX_SECRET_PREFIX)]);
    expect(signingKeys([TEST_SVIX_SECRET, TEST_SVIX_SECRET], 'svix')).toEqual([
      Buffer.from(TEST_SVIX_SECRET.slice(SVIX_SECRET_PREFIX.length), 'base64'),
    ]);
    expect(signingKeys([TEST_OFAUTH_SECRET, TEST_OFAUTH_SECRET], 'ofauth')).toEqual([
      Buffer.from(TEST_OFAUTH_SECRET),
    ]);
  });

  it('keys OFAuth signatures with a plain secret’s own bytes only, even when it looks like base64', () => {
    expect(signingKeys(['QUJDRA=='], 'ofauth')).toEqual([Buffer.from('QUJDRA==')]);
  });

  it('derives no Svix key from a whsec_ secret that is not base64 in either alphabet', () => {
    // Unpadded and URL-safe base64 are accepted (as the Svix libraries accept them); a character
    // of neither alphabet, mixed alphabets or over-long padding are not.
    for (const secret of ['whsec_AAAA!!==', 'whsec_AA-+AAAA', 'whsec_AAAAA===']) {
      expect(signingKeys([secret], 'svix')).toEqual([]);
    }
  });

  it('ignores an entry of the secrets list that is not a string', () => {
    const secrets = [undefined, TEST_OFAUTH_SECRET] as unknown as string[];
    expect(signingKeys(secrets, 'ofauth')).toEqual([Buffer.from(TEST_OFAUTH_SECRET)]);
  });

  it('signs with the whsec_ secret, its bare base64 part, a string or a byte body alike', () => {
    const expected = `v1,${rightSvixBase64()}`;
    expect(signSvix({ secret: TEST_SVIX_SECRET, id: 'msg_1', body, timestamp: T })).toBe(expected);
    expect(
      signSvix({
        secret: TEST_SVIX_SECRET.slice(SVIX_SECRET_PREFIX.length),
        id: 'msg_1',
        body,
        timestamp: T,
      }),
    ).toBe(expected);
    expect(signSvix({ secret: TEST_SVIX_SECRET, id: 'msg_1', body: body.toString(), timestamp: T })).toBe(
      expected,
    );
    expect(signOfAuth({ secret: TEST_OFAUTH_SECRET, body: body.toString(), timestamp: T })).toBe(
      `t=${T},v1=${rightHex()}`,
    );
  });

  it('fails to sign with a secret that is not base64 after its prefix, or empty', () => {
    for (const secret of ['whsec_not base64!', SVIX_SECRET_PREFIX]) {
      expect(() => signSvix({ secret, id: 'msg_1', body, timestamp: T })).toThrow(
        new TypeError('a Svix signing secret must be base64 after its whsec_ prefix'),
      );
    }
  });

  it('builds svix-* headers by default and webhook-* headers when asked', () => {
    const input = { secret: TEST_SVIX_SECRET, id: 'msg_1', body, timestamp: T };
    expect(svixHeaders(input)).toEqual({
      'svix-id': 'msg_1',
      'svix-timestamp': String(T),
      'svix-signature': `v1,${rightSvixBase64()}`,
    });
    expect(Object.keys(svixHeaders({ ...input, prefix: 'webhook' }))).toEqual([
      'webhook-id',
      'webhook-timestamp',
      'webhook-signature',
    ]);
  });
});

describe('the secret generator', () => {
  it('makes a whsec_ secret of 32 random bytes, a new one on every call', () => {
    // WHEN two secrets are generated without a seed
    const first = generateSvixSecret();
    const second = generateSvixSecret();
    // THEN each is whsec_ and the strict base64 of 32 bytes, and they differ
    for (const secret of [first, second]) {
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(secret.slice(SVIX_SECRET_PREFIX.length), 'base64')).toHaveLength(32);
    }
    expect(first).not.toBe(second);
  });

  it('derives the same secret from the same seed: the SHA-256 of the seed', () => {
    const expected = `whsec_${createHash('sha256').update('repeatable').digest('base64')}`;
    expect(generateSvixSecret('repeatable')).toBe(expected);
    expect(generateSvixSecret('repeatable')).toBe(expected);
    expect(generateSvixSecret('another')).not.toBe(expected);
  });

  it('makes secrets that sign and verify under both schemes', () => {
    const secret = generateSvixSecret();
    const svix = svixHeaders({ secret, id: 'msg_1', body, timestamp: T });
    const ofauth = { 'OFAuth-Signature': signOfAuth({ secret, body, timestamp: T }) };
    expect(verifySignature(body, svix, [secret], { now: NOW }).ok).toBe(true);
    expect(verifySignature(body, ofauth, [secret], { now: NOW }).ok).toBe(true);
  });
});
