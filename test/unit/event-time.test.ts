import {
  KSUID_EPOCH_SECONDS,
  MAX_EVENT_TIME_SKEW_MS,
  resolveEventTime,
  svixMessageTime,
} from '../../lambda/shared/event-time.ts';
import { svixMessageId } from '../support/svix-ids.ts';

describe('the time in a Svix message id', () => {
  it.each([
    // Published examples: Svix's own documentation id, and svix-ksuid's README example.
    ['msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', '2023-01-19T00:13:51.000Z'],
    ['msg_1srOrx2ZWZBpBUvZwXKQmoEYga2', '2021-05-21T20:04:03.000Z'],
  ])('reads %s as %s', (id, time) => {
    expect(svixMessageTime(id)?.toISOString()).toBe(time);
  });

  it('reads the second of ids minted by an independent KSUID library', () => {
    // GIVEN ids created at several instants, from the epoch of KSUIDs to far ahead
    const instants = [
      new Date(KSUID_EPOCH_SECONDS * 1000),
      new Date('2024-01-15T10:30:00.999Z'),
      new Date('2099-12-31T23:59:59Z'),
    ];
    for (const at of instants) {
      // WHEN each id is read
      const time = svixMessageTime(svixMessageId(at));
      // THEN its time is the instant, to the second
      expect(time?.getTime()).toBe(Math.floor(at.getTime() / 1000) * 1000);
    }
  });

  it.each([
    ['no msg_ prefix', '2KWPBgLlAfxdpx2AI54pPJ85f4W'],
    ['another prefix', 'evt_2KWPBgLlAfxdpx2AI54pPJ85f4W'],
    ['a short id', 'msg_svix_1'],
    ['26 characters', 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4'],
    ['28 characters', 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4WW'],
    ['a character outside base62', 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4_'],
    ['a value above 2^160', 'msg_zzzzzzzzzzzzzzzzzzzzzzzzzzz'],
    ['the value 2^160, one above the largest KSUID', 'msg_aWgEPTl1tmebfsQzFP4bxwgy80W'],
    ['a leading zero before 27 valid characters', 'msg_02KWPBgLlAfxdpx2AI54pPJ85f4W'],
    ['a trailing zero after 27 valid characters', 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W0'],
  ])('rejects an id with %s', (_case, id) => {
    expect(svixMessageTime(id)).toBeUndefined();
  });
});

describe('the largest KSUID', () => {
  it('is read: 2^160 − 1 is the time 2150-06-19T23:21:35Z', () => {
    expect(svixMessageTime('msg_aWgEPTl1tmebfsQzFP4bxwgy80V')?.toISOString()).toBe(
      '2150-06-19T23:21:35.000Z',
    );
  });
});

describe('resolving an event time', () => {
  const receivedAt = new Date('2024-01-15T10:31:00.250Z');
  const minted = svixMessageId(new Date('2024-01-15T10:30:07Z'));

  it('takes the envelope timestamp first', () => {
    expect(resolveEventTime({ timestamp: '2024-01-15T10:30:00Z', webhookId: minted, receivedAt })).toEqual({
      time: new Date('2024-01-15T10:30:00Z'),
      source: 'envelope',
    });
  });

  it('takes the Svix id time when the envelope has no timestamp', () => {
    expect(resolveEventTime({ webhookId: minted, receivedAt })).toEqual({
      time: new Date('2024-01-15T10:30:07Z'),
      source: 'svix-id',
    });
  });

  it('takes the Svix id time when the timestamp is not a date', () => {
    expect(resolveEventTime({ timestamp: 'yesterday', webhookId: minted, receivedAt }).source).toBe(
      'svix-id',
    );
  });

  it('takes the receipt time without a timestamp or a KSUID id', () => {
    expect(resolveEventTime({ webhookId: 'msg_test_1', receivedAt })).toEqual({
      time: receivedAt,
      source: 'received',
    });
    expect(resolveEventTime({ receivedAt })).toEqual({ time: receivedAt, source: 'received' });
  });

  it('rejects a Svix id time after the receipt beyond the clock skew, using the receipt time', () => {
    // GIVEN ids minted 4.75 s and a minute after the receipt
    const inside = svixMessageId(new Date('2024-01-15T10:31:05Z'));
    const outside = svixMessageId(new Date(receivedAt.getTime() + 60_000));
    // WHEN resolved / THEN only the plausible one is believed
    expect(resolveEventTime({ webhookId: inside, receivedAt }).source).toBe('svix-id');
    expect(resolveEventTime({ webhookId: outside, receivedAt })).toEqual({
      time: receivedAt,
      source: 'received-future',
    });
  });
});

describe('an event time later than its receipt', () => {
  // Svix ids keep whole seconds: a receipt at .000 puts an id exactly 5 s after it, one at .999
  // puts the next second 5.001 s after it.
  const receipt = new Date('2024-01-15T10:30:00.000Z');
  const justBefore = new Date('2024-01-15T10:29:59.999Z');
  const fiveSecondsLater = new Date(receipt.getTime() + 5_000);

  it('allows 5 seconds of clock skew, no more', () => {
    expect(MAX_EVENT_TIME_SKEW_MS).toBe(5_000);
  });

  it('keeps an envelope timestamp 5 s after the receipt, that instant included', () => {
    // GIVEN an envelope stamped exactly 5 s after its receipt
    // WHEN its time is resolved THEN the envelope's time is taken
    expect(resolveEventTime({ timestamp: fiveSecondsLater.toISOString(), receivedAt: receipt })).toEqual({
      time: fiveSecondsLater,
      source: 'envelope',
    });
  });

  it('rejects an envelope timestamp 5 s + 1 ms after the receipt, using the receipt time', () => {
    // GIVEN an envelope stamped 1 ms beyond the allowed skew (the receipt 1 ms before the second)
    // WHEN its time is resolved
    const resolved = resolveEventTime({ timestamp: fiveSecondsLater.toISOString(), receivedAt: justBefore });
    // THEN the receipt time is used, and the source says the carried time lay in the future
    expect(resolved).toEqual({ time: justBefore, source: 'received-future' });
  });

  it('rejects an envelope timestamp two days ahead, without looking at a Svix id', () => {
    const twoDaysAhead = new Date(receipt.getTime() + 2 * 86_400_000).toISOString();
    const plausibleId = svixMessageId(new Date(receipt.getTime() - 1000));
    expect(
      resolveEventTime({ timestamp: twoDaysAhead, webhookId: plausibleId, receivedAt: receipt }),
    ).toEqual({
      time: receipt,
      source: 'received-future',
    });
  });

  it('keeps a Svix id time 5 s after the receipt, that instant included', () => {
    const id = svixMessageId(fiveSecondsLater);
    expect(resolveEventTime({ webhookId: id, receivedAt: receipt })).toEqual({
      time: fiveSecondsLater,
      source: 'svix-id',
    });
  });

  it('rejects a Svix id time 5 s + 1 ms after the receipt, using the receipt time', () => {
    const id = svixMessageId(fiveSecondsLater);
    expect(resolveEventTime({ webhookId: id, receivedAt: justBefore })).toEqual({
      time: justBefore,
      source: 'received-future',
    });
  });
});
