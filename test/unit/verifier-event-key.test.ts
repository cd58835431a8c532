import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { deduplicationIdFor, eventKeyFor } from '../../lambda/verifier/event-key.ts';

const body = Buffer.from('{"type":"rules.updated","data":{}}');
const bodyHash = createHash('sha256').update(body).digest('hex');

describe('event key', () => {
  it('is the signed webhook id when there is one', () => {
    expect(eventKeyFor({ webhookId: 'msg_1', envelopeId: 'evt_1', body })).toEqual({
      value: 'msg_1',
      source: 'webhook-id',
    });
  });

  it('is the top-level id without a webhook id', () => {
    expect(eventKeyFor({ envelopeId: 'evt_1', body })).toEqual({ value: 'evt_1', source: 'id' });
  });

  it('is the SHA-256 of the raw body otherwise', () => {
    expect(eventKeyFor({ body })).toEqual({ value: bodyHash, source: 'body-sha256' });
  });

  it('is the same for a retry re-signed with a new timestamp (it never sees the signature)', () => {
    // GIVEN the same body delivered twice with different signatures
    // THEN the key depends on the body only
    expect(eventKeyFor({ body: Buffer.from(body) }).value).toBe(eventKeyFor({ body }).value);
  });
});

describe('deduplication id', () => {
  it('is the event key when SQS accepts it', () => {
    expect(deduplicationIdFor('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W')).toBe('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W');
    expect(deduplicationIdFor(bodyHash)).toBe(bodyHash);
  });

  it('is a SHA-256 hex of a key that is too long or holds other characters', () => {
    const long = `msg_${'x'.repeat(200)}`;
    expect(deduplicationIdFor(long)).toBe(createHash('sha256').update(long).digest('hex'));
    expect(deduplicationIdFor('msg with spaces')).toMatch(/^[0-9a-f]{64}$/);
    expect(deduplicationIdFor('msg_é')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('always fits SQS: 1 to 128 characters of letters, digits and punctuation', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }), (key) => {
        const id = deduplicationIdFor(key);
        expect(id).toMatch(/^[!-~]{1,128}$/);
        expect(deduplicationIdFor(key)).toBe(id);
      }),
    );
  });
});
