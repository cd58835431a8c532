/**
 * When an event happened, as far as a delivery tells: the envelope's `timestamp` (documented
 * shape), else the creation time inside a Svix message id (the SDK shape has no timestamp, and
 * Svix ids are `msg_` + a KSUID), else when the receiver got it. See docs/ofauth-contract.md,
 * "Event time".
 *
 * Pure: no clock, no I/O. The processor orders the registry by the result; the archive and the
 * local tools may record it.
 */

/** Where an event's time came from: its envelope, its Svix message id, or its receipt. */
export type EventTimeSource = 'envelope' | 'svix-id' | 'received';

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
 * How far after its receipt a Svix id's time may lie and still be believed: a message cannot be
 * created after it arrived, beyond the clock skew between Svix and AWS. A later time means the id
 * was not minted by Svix, so the receipt time is used.
 */
export const MAX_SVIX_ID_SKEW_MS = 5 * 60_000;

/** An ISO-8601 text as a date, or `undefined` when it is not one. */
function parseTime(text: string | undefined): Date | undefined {
  if (text === undefined || text === '') return undefined;
  const millis = Date.parse(text);
  return Number.isNaN(millis) ? undefined : new Date(millis);
}

/**
 * The event's time: the envelope `timestamp`, else the time in a Svix message id (when it is
 * not after the receipt, give or take {@link MAX_SVIX_ID_SKEW_MS}), else the receipt time.
 *
 * @example
 * resolveEventTime({ webhookId: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', receivedAt: new Date() });
 * // { time: 2023-01-19T00:13:51.000Z, source: 'svix-id' }
 */
export function resolveEventTime(input: EventTimeInput): ResolvedEventTime {
  const envelopeTime = parseTime(input.timestamp);
  if (envelopeTime) return { time: envelopeTime, source: 'envelope' };
  const idTime = input.webhookId === undefined ? undefined : svixMessageTime(input.webhookId);
  if (idTime && idTime.getTime() <= input.receivedAt.getTime() + MAX_SVIX_ID_SKEW_MS) {
    return { time: idTime, source: 'svix-id' };
  }
  return { time: input.receivedAt, source: 'received' };
}
