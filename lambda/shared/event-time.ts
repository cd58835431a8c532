/**
 * When an event happened, as far as a delivery tells: the envelope's `timestamp` (documented
 * shape), else the creation time inside a Svix message id (the SDK shape has no timestamp, and
 * Svix ids are `msg_` + a KSUID), else when the receiver got it; a carried time more than
 * {@link MAX_EVENT_TIME_SKEW_MS} after the receipt is not believed. See docs/ofauth-contract.md,
 * "Event time".
 *
 * Pure: no clock, no I/O. The processor orders the registry by the result; the archive and the
 * local tools may record it.
 */

/**
 * Where an event's time came from: its envelope, its Svix message id, or its receipt;
 * `received-future` is the receipt too, used because the envelope or Svix id time lay more than
 * {@link MAX_EVENT_TIME_SKEW_MS} after it.
 */
export type EventTimeSource = 'envelope' | 'svix-id' | 'received' | 'received-future';

/** An event's time and where it came from. */
export interface ResolvedEventTime {
  readonly time: Date;
  readonly source: EventTimeSource;
}

/** The prefix Svix puts before the KSUID of a message id. */
export const SVIX_MESSAGE_ID_PREFIX = 'msg_';

/** KSUID's base62 alphabet (digits, upper case, lower case) and its 27-character text form. */
const KSUID_BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KSUID_TEXT = /^[0-9A-Za-z]{27}$/;
/** A KSUID is 20 bytes: a 4-byte big-endian timestamp, then 16 random bytes. */
const KSUID_PAYLOAD_BITS = 128n;
const KSUID_MAX = (1n << 160n) - 1n;
/** KSUID timestamps count seconds from 2014-05-13T16:53:20Z. */
export const KSUID_EPOCH_SECONDS = 1_400_000_000;

/**
 * The creation time carried by a Svix message id (`msg_` + a 27-character base62 KSUID), to the
 * second, or `undefined` when the id is not of that form. Svix keeps the id across retries of a
 * message, so every attempt yields the same time.
 *
 * @example
 * svixMessageTime('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W'); // 2023-01-19T00:13:51.000Z
 * svixMessageTime('msg_test_1'); // undefined
 */
export function svixMessageTime(id: string): Date | undefined {
  if (!id.startsWith(SVIX_MESSAGE_ID_PREFIX)) return undefined;
  const ksuid = id.slice(SVIX_MESSAGE_ID_PREFIX.length);
  if (!KSUID_TEXT.test(ksuid)) return undefined;
  let value = 0n;
  for (const character of ksuid) value = value * 62n + BigInt(KSUID_BASE62.indexOf(character));
  // 27 base62 digits reach past 2^160; such text is not a KSUID.
  if (value > KSUID_MAX) return undefined;
  const seconds = Number(value >> KSUID_PAYLOAD_BITS) + KSUID_EPOCH_SECONDS;
  return new Date(seconds * 1000);
}

/** What a delivery tells about its time. */
export interface EventTimeInput {
  /** The envelope's `timestamp`, when it has one. */
  readonly timestamp?: string | undefined;
  /** The signed `svix-id` / `webhook-id`, when the Svix scheme verified the delivery. */
  readonly webhookId?: string | undefined;
  /** When the receiver got the delivery. */
  readonly receivedAt: Date;
}

/**
 * How far after its receipt an event's carried time (envelope `timestamp` or Svix id) may lie and
 * still be believed: an event cannot happen after it arrived, beyond the clock skew between OFAuth
 * and AWS. The registry orders by event time, so a time believed further ahead would make every
 * later event of its connection "not newer" until then; capped here, a future-stamped event holds
 * its connection's later events back for at most this long.
 */
export const MAX_EVENT_TIME_SKEW_MS = 5_000;

/** An ISO-8601 text as a date, or `undefined` when it is not one. */
function parseTime(text: string | undefined): Date | undefined {
  if (text === undefined || text === '') return undefined;
  const millis = Date.parse(text);
  return Number.isNaN(millis) ? undefined : new Date(millis);
}

/**
 * The event's time: the envelope `timestamp`, else the time in a Svix message id, else the
 * receipt time. A carried time later than the receipt by more than {@link MAX_EVENT_TIME_SKEW_MS}
 * is replaced by the receipt time, source `received-future` (a Svix id is not consulted then:
 * an envelope that lies about its time tells nothing more reliable).
 *
 * @example
 * resolveEventTime({ webhookId: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', receivedAt: new Date() });
 * // { time: 2023-01-19T00:13:51.000Z, source: 'svix-id' }
 */
export function resolveEventTime(input: EventTimeInput): ResolvedEventTime {
  const envelopeTime = parseTime(input.timestamp);
  const carried: ResolvedEventTime | undefined = envelopeTime
    ? { time: envelopeTime, source: 'envelope' }
    : carriedIdTime(input.webhookId);
  if (!carried) return { time: input.receivedAt, source: 'received' };
  if (carried.time.getTime() > input.receivedAt.getTime() + MAX_EVENT_TIME_SKEW_MS) {
    return { time: input.receivedAt, source: 'received-future' };
  }
  return carried;
}

function carriedIdTime(webhookId: string | undefined): ResolvedEventTime | undefined {
  const time = webhookId === undefined ? undefined : svixMessageTime(webhookId);
  return time && { time, source: 'svix-id' };
}
