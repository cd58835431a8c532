/**
 * An event's identity across retries. A sender may re-sign a retry with a new timestamp, so the
 * signature and its timestamp are never part of it.
 *
 * One value serves three places unchanged: the ledger key, the SQS FIFO `MessageDeduplicationId`
 * and the `eventKey` message attribute (the processor's `eventId`). SQS limits the deduplication
 * id to 128 characters of printable ASCII, so an id outside that (an over-long `svix-id`, an `id`
 * with spaces or non-ASCII characters) is replaced here, once, by its SHA-256 hex. Nothing
 * downstream hashes, cuts or rewrites a key again, so all three always agree.
 */
import { createHash } from 'node:crypto';

/** Where an event key came from. */
export type EventKeySource = 'webhook-id' | 'id' | 'body-sha256';

/** An event's identity. */
export interface EventKey {
  /**
   * The key: the webhook id, the top-level `id`, or the hex SHA-256 of the raw body; always 1 to
   * 128 characters of printable ASCII (see {@link toEventKey}).
   */
  readonly value: string;
  readonly source: EventKeySource;
}

/** What the event key is derived from. */
export interface EventKeyInput {
  /** The `svix-id` / `webhook-id` covered by a verified Svix signature. */
  readonly webhookId?: string | undefined;
  /** A top-level `id` of the envelope, should a payload carry one. */
  readonly envelopeId?: string | undefined;
  /** The raw body as received. */
  readonly body: Uint8Array;
}

/** SHA-256 of some bytes, as lower-case hex. */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** What SQS accepts as a deduplication id: 1 to 128 letters, digits and ASCII punctuation. */
const EVENT_KEY_FORMAT = /^[!-~]{1,128}$/;

/**
 * An id as an event key: the id itself when it is 1 to 128 characters of printable ASCII (every
 * `svix-id` OFAuth sends, e.g. `msg_2KWPBgLlAfxdpx2AI54pPJ85f4W`), else its SHA-256 hex (64
 * characters), the same on every retry. The only place a key is hashed.
 *
 * @example
 * toEventKey('msg_1'); // 'msg_1'
 * toEventKey('x'.repeat(300)); // SHA-256 hex of the 300 characters
 */
export function toEventKey(id: string): string {
  return EVENT_KEY_FORMAT.test(id) ? id : sha256Hex(id);
}

/** Whether a value can serve unchanged as ledger key, deduplication id and message attribute. */
export function isEventKey(value: string): boolean {
  return EVENT_KEY_FORMAT.test(value);
}

/**
 * The key of an event: the signed `svix-id`/`webhook-id`, else a top-level `id`, else SHA-256 of
 * the raw body; an id SQS would not take as a deduplication id is hashed by {@link toEventKey}.
 * Only pass a webhook id that the verified signature covers: an unsigned header would let a
 * replay pick its own identity.
 *
 * @example
 * eventKeyFor({ body: Buffer.from('{"type":"rules.updated"}') }); // { source: 'body-sha256', value: '…' }
 */
export function eventKeyFor(input: EventKeyInput): EventKey {
  if (input.webhookId) return { value: toEventKey(input.webhookId), source: 'webhook-id' };
  if (input.envelopeId) return { value: toEventKey(input.envelopeId), source: 'id' };
  return { value: sha256Hex(input.body), source: 'body-sha256' };
}
