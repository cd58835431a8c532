/**
 * An event's identity across retries. A sender may re-sign a retry with a new timestamp, so the
 * signature and its timestamp are never part of it.
 */
import { createHash } from 'node:crypto';

/** Where an event key came from. */
export type EventKeySource = 'webhook-id' | 'id' | 'body-sha256';

/** An event's identity. */
export interface EventKey {
  /** The key: the webhook id, the top-level `id`, or the hex SHA-256 of the raw body. */
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

/**
 * The key of an event: the signed `svix-id`/`webhook-id`, else a top-level `id`, else SHA-256 of
 * the raw body. Only pass a webhook id that the verified signature covers: an unsigned header
 * would let a replay pick its own identity.
 *
 * @example
 * eventKeyFor({ body: Buffer.from('{"type":"rules.updated"}') }); // { source: 'body-sha256', value: '…' }
 */
export function eventKeyFor(input: EventKeyInput): EventKey {
  if (input.webhookId) return { value: input.webhookId, source: 'webhook-id' };
  if (input.envelopeId) return { value: input.envelopeId, source: 'id' };
  return { value: sha256Hex(input.body), source: 'body-sha256' };
}

/** SQS accepts up to 128 characters of letters, digits and ASCII punctuation in a deduplication id. */
const DEDUPLICATION_ID = /^[!-~]{1,128}$/;

/**
 * The FIFO `MessageDeduplicationId` of an event key: the key itself when SQS accepts it, else its
 * SHA-256 hex (64 characters), so that any key maps to the same id on every retry.
 */
export function deduplicationIdFor(eventKey: string): string {
  return DEDUPLICATION_ID.test(eventKey) ? eventKey : sha256Hex(eventKey);
}
