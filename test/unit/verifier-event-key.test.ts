import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { eventKeyFor, isEventKey, toEventKey } from '../../lambda/verifier/event-key.ts';
import { HandOff } from '../../lambda/verifier/hand-off.ts';
import { InMemoryEventQueue, InMemoryEventRecords } from '../support/in-memory-verifier.ts';

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

describe('event key format', () => {
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

  it('keeps an id that SQS takes as a deduplication id', () => {
    expect(toEventKey('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W')).toBe('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W');
    expect(toEventKey(bodyHash)).toBe(bodyHash);
    const atLimit = `msg_${'x'.repeat(124)}`;
    expect(toEventKey(atLimit)).toBe(atLimit);
  });

  it('is the SHA-256 hex of an id that is too long or holds other characters', () => {
    const long = `msg_${'x'.repeat(125)}`;
    expect(toEventKey(long)).toBe(sha256(long));
    expect(toEventKey('msg with spaces')).toBe(sha256('msg with spaces'));
    expect(toEventKey('msg_é')).toBe(sha256('msg_é'));
  });

  it('hashes an over-long webhook id or top-level id once, in the key itself', () => {
    // GIVEN ids longer than SQS takes as a deduplication id
    const webhookId = `msg_${'w'.repeat(300)}`;
    const envelopeId = `evt_${'e'.repeat(300)}`;
    // WHEN keys are derived from them
    // THEN the key is already the hashed value, so ledger, deduplication id and attribute agree
    expect(eventKeyFor({ webhookId, body })).toEqual({ value: sha256(webhookId), source: 'webhook-id' });
    expect(eventKeyFor({ envelopeId, body })).toEqual({ value: sha256(envelopeId), source: 'id' });
  });

  it('always yields 1 to 128 printable ASCII characters, the same on every call', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }), (id) => {
        // GIVEN any webhook id or top-level id
        // WHEN a key is derived twice
        const key = eventKeyFor({ webhookId: id, body }).value;
        // THEN it fits SQS's deduplication id (and so the 256-character attribute) and is stable
        expect(key).toMatch(/^[!-~]{1,128}$/);
        expect(isEventKey(key)).toBe(true);
        expect(eventKeyFor({ webhookId: id, body }).value).toBe(key);
        expect(eventKeyFor({ envelopeId: id, body }).value).toBe(key);
        // AND an id that already fits is kept as it is
        if (/^[!-~]{1,128}$/.test(id)) expect(key).toBe(id);
      }),
    );
  });
});

describe('HandOff', () => {
  const lease = { getRemainingTimeInMillis: () => 5_000 };
  const ports = () => ({
    records: new InMemoryEventRecords(),
    queue: new InMemoryEventQueue(),
  });

  it('rejects a key that eventKeyFor would not produce, before anything is written', async () => {
    // GIVEN a hand-off, and keys that could not serve as a deduplication id
    const p = ports();
    const handOff = new HandOff(p);
    const attributes = {
      eventType: 'x',
      signatureScheme: 'svix',
      receivedAt: '2024-01-15T10:30:00Z',
    } as const;
    for (const eventKey of [`msg_${'x'.repeat(200)}`, 'msg with spaces', '']) {
      // WHEN an event or a rejected body is handed over with such a key
      // THEN it is refused, and neither record nor queue holds anything
      await expect(
        handOff.handOn({ body: '{}', messageGroupId: 'g', attributes: { ...attributes, eventKey } }, lease),
      ).rejects.toThrow(/1 to 128 printable ASCII/);
      await expect(
        handOff.keepRejected({
          body: Buffer.from('x'),
          eventKey,
          signatureScheme: 'svix',
          receivedAt: '-',
          reason: 'invalid_json',
        }),
      ).rejects.toThrow(TypeError);
    }
    expect(p.records.records.size).toBe(0);
    expect(p.queue.events.length + p.queue.rejected.length).toBe(0);
  });
});
