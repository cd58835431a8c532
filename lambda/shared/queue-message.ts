/**
 * The contract between the verifier (producer) and the processor (consumer) for one queued
 * delivery: the message body is the raw request body, verbatim; these attributes travel beside it.
 */
import { createHash } from 'node:crypto';
import type { RealtimeEnvelope } from './envelope.ts';

/** Names of the SQS message attributes the verifier sets on every message. */
export const MESSAGE_ATTRIBUTES = {
  /** The event type (`type` or `eventType` of the envelope). */
  eventType: 'eventType',
  /**
   * The event key: `svix-id`/`webhook-id`, a top-level `id`, or SHA-256 of the raw body; an id over
   * 128 characters or outside printable ASCII is replaced by its SHA-256 hex. The same value is the
   * ledger key and the FIFO deduplication id.
   */
  eventKey: 'eventKey',
  /** Which signature scheme verified the delivery: `ofauth` or `svix`. */
  signatureScheme: 'signatureScheme',
  /** ISO-8601 time the verifier received the delivery. */
  receivedAt: 'receivedAt',
} as const;

/** A signature scheme OFAuth uses. */
export type SignatureScheme = 'ofauth' | 'svix';

/** The attributes of one queued delivery, as the processor reads them. */
export interface QueueMessageAttributes {
  readonly eventType: string;
  readonly eventKey: string;
  readonly signatureScheme: SignatureScheme;
  readonly receivedAt: string;
}

/** SQS limits a message group id to 128 characters of this set. */
const GROUP_ID_FORBIDDEN = /[^A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
const GROUP_ID_MAX = 128;

/**
 * The FIFO message group of an event: its connection id, so that one connection's events are
 * processed in order while connections run in parallel. Account-wide events (`rules.updated`) and
 * events without a connection use a fixed group per type.
 */
export function messageGroupIdFor(envelope: Pick<RealtimeEnvelope, 'type' | 'connectionId'>): string {
  const group = envelope.connectionId ?? `type:${envelope.type}`;
  return group.replace(GROUP_ID_FORBIDDEN, '_').slice(0, GROUP_ID_MAX);
}

/** The FIFO message group used for signed bodies that are kept for inspection on the dead-letter queue. */
export const REJECTED_MESSAGE_GROUP_ID = 'rejected';

/**
 * Attributes of a message that was put on the dead-letter queue at once, because its body can
 * never become an event (by the verifier for a signed body that is not an event, by the processor
 * for a queued body whose `data` fails its schema), beside the message's own attributes.
 */
export const DEAD_LETTER_ATTRIBUTES = {
  /**
   * Why: `invalid_json`, `missing_event_type`, `invalid_data`, `rejected_by_dynamodb`, a
   * `PoisonEventError`'s reason (`rejected_by_handler` by default), …
   */
  reason: 'rejectionReason',
  /** The parse error, cut to {@link MAX_REJECTION_DETAIL_CHARS} (processor only). */
  detail: 'rejectionDetail',
} as const;

/** The longest `rejectionDetail` attribute; well inside the 8 KiB the queue keeps for attributes. */
export const MAX_REJECTION_DETAIL_CHARS = 1024;

/**
 * Attributes set only on a message that `replay` (the CLI, or the local inspector) put back on the
 * queue from the archive. The processor reads them into `context.replay`; the original
 * `receivedAt` attribute travels unchanged.
 */
export const REPLAY_ATTRIBUTES = {
  /** `"true"` on a replayed message. */
  replay: 'replay',
  /** ISO-8601 time the replay put the message back on the queue. */
  replayedAt: 'replayedAt',
  /**
   * The replay run's id (also part of its deduplication id): the event record notes each replay
   * that completed under it, so a redrive of the same replayed message does not run it again.
   */
  replayId: 'replayId',
  /**
   * `"true"` when the operator asked the replay to publish to the event bus again
   * (`replay --publish`); without it a replayed event runs its handler but is not published.
   */
  publish: 'publish',
  /**
   * The SQS FIFO sequence number of the original message, when it was archived, passed on to
   * handlers as `sequenceNumber` instead of the replay's own (queue order; the stores order events
   * of one second by the original `receivedAt`, which the replay keeps).
   */
  originalSequenceNumber: 'originalSequenceNumber',
} as const;

/**
 * One archived event: what the verifier handed on, with everything a replay needs to put it back
 * on the queue exactly as it was first queued.
 */
export interface ArchivedEvent {
  readonly eventKey: string;
  readonly eventType: string;
  /** `data.connection.id`, when the event belongs to a connection. */
  readonly connectionId?: string;
  /** ISO-8601 event time when the envelope (or a Svix id) carries one. */
  readonly eventTime?: string;
  /** ISO-8601 time the verifier received the delivery. */
  readonly receivedAt: string;
  readonly signatureScheme: SignatureScheme;
  /** The delivery body, verbatim. */
  readonly body: string;
  /** The SQS FIFO sequence number of the original message, when it had one. */
  readonly sequenceNumber?: string;
}

/**
 * The FIFO deduplication id of a replayed message: never the event key itself, so a replay is not
 * deduplicated against the original (or against an earlier replay with another `replayId`), yet
 * one replay run that retries a send is. SQS allows 128 characters.
 */
export function replayDeduplicationId(eventKey: string, replayId: string): string {
  const id = `r:${replayId}:${eventKey}`;
  return id.length <= 128
    ? id
    : `r:${replayId.slice(0, 32)}:${createHash('sha256').update(eventKey).digest('hex')}`;
}
