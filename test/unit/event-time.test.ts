import {
  KSUID_EPOCH_SECONDS,
  MAX_SVIX_ID_SKEW_MS,
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
    // GIVEN ids minted just inside and well outside the allowed skew after the receipt
    const inside = svixMessageId(new Date(receivedAt.getTime() + MAX_SVIX_ID_SKEW_MS - 1000));
    const outside = svixMessageId(new Date(receivedAt.getTime() + MAX_SVIX_ID_SKEW_MS + 2000));
    // WHEN resolved / THEN only the plausible one is believed
    expect(resolveEventTime({ webhookId: inside, receivedAt }).source).toBe('svix-id');
    expect(resolveEventTime({ webhookId: outside, receivedAt })).toEqual({
      time: receivedAt,
      source: 'received',
    });
  });

  it('believes a Svix id time up to 5 minutes after the receipt, that instant included', () => {
    // GIVEN ids minted 4 minutes and exactly 5 minutes after the receipt (clock skew)
    const receipt = new Date('2024-01-15T10:30:00Z');
    for (const ahead of [4 * 60_000, MAX_SVIX_ID_SKEW_MS]) {
      const id = svixMessageId(new Date(receipt.getTime() + ahead));
      // WHEN the time is resolved THEN the id's time is taken
      expect(resolveEventTime({ webhookId: id, receivedAt: receipt })).toEqual({
        time: new Date(receipt.getTime() + ahead),
        source: 'svix-id',
      });
    }
  });
});
