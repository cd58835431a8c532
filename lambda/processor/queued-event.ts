/**
 * Turns one SQS record into the typed event it carries. The message body is the raw delivery
 * body, verbatim, in either envelope shape; the verifier's message attributes travel beside it.
 */
import type { SQSRecord } from 'aws-lambda';
import { EventDataError, parseEnvelope, parseEvent, type RealtimeEvent } from '../shared/event-model.ts';
import { type EventTimeSource, resolveEventTime } from '../shared/event-time.ts';
import {
  MESSAGE_ATTRIBUTES,
  type QueueMessageAttributes,
  REPLAY_ATTRIBUTES,
} from '../shared/queue-message.ts';

/** One queued event, parsed, with what the processor knows about it. */
export interface QueuedEvent {
  readonly event: RealtimeEvent;
  /** The `eventKey` message attribute, or the SQS message id when it is missing. */
  readonly eventId: string;
  /**
   * The envelope `timestamp`, else the time in the Svix message id (the `eventKey` of a
   * Svix-signed delivery), else the `receivedAt` attribute, else when SQS received the message.
   */
  readonly eventTime: Date;
  /** Where {@link QueuedEvent.eventTime} came from. */
  readonly eventTimeSource: EventTimeSource;
  /**
   * The `receivedAt` attribute: when the verifier first received the delivery; kept by a redrive
   * and a replay, it orders events of the same time in the stores.
   */
  readonly receivedAt?: Date;
  /** Whether a replay from the archive put this message back on the queue. */
  readonly replay: boolean;
  /** The replay run's id (`replayId` attribute), on a replay that carries one. */
  readonly replayId?: string;
  /** On a replay: whether the operator asked it to publish to the event bus again (`publish`). */
  readonly publishReplay?: boolean;
  /** The delivery body exactly as OFAuth sent it. */
  readonly rawBody: string;
  /** The verifier's message attributes that were present. */
  readonly attributes: Partial<QueueMessageAttributes>;
  readonly messageId: string;
  /**
   * The SQS FIFO `SequenceNumber`: queue order within the message group, unchanged on redelivery,
   * renewed by a redrive; absent when the record has none (not a FIFO queue). A replay carries the
   * original message's. Passed on to handlers; the stores do not order by it.
   */
  readonly sequenceNumber?: string;
}

export type { EventTimeSource } from '../shared/event-time.ts';

/** Why a queued message cannot be turned into an event. */
export type UnprocessableReason = 'invalid_json' | 'missing_event_type' | 'invalid_data';

/**
 * Thrown for a message whose body is not (or no longer) a valid event: a failure of that message
 * and of the rest of its group in the batch, never of the whole batch.
 */
export class UnprocessableMessageError extends Error {
  constructor(
    readonly reason: UnprocessableReason,
    message: string,
    /** The event type, when the body got that far. */
    readonly eventType?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'UnprocessableMessageError';
  }
}

/** The verifier's attributes present on a record. */
export function readAttributes(record: SQSRecord): Partial<QueueMessageAttributes> {
  const read = (name: string) => record.messageAttributes?.[name]?.stringValue;
  const scheme = read(MESSAGE_ATTRIBUTES.signatureScheme);
  const attributes = {
    eventType: read(MESSAGE_ATTRIBUTES.eventType),
    eventKey: read(MESSAGE_ATTRIBUTES.eventKey),
    receivedAt: read(MESSAGE_ATTRIBUTES.receivedAt),
    signatureScheme: scheme === 'ofauth' || scheme === 'svix' ? scheme : undefined,
  };
  return Object.fromEntries(Object.entries(attributes).filter(([, value]) => value !== undefined));
}

function validDate(value: string | number | undefined): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const date = new Date(typeof value === 'number' ? value : Date.parse(value));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * Parses a record into a {@link QueuedEvent}.
 *
 * @throws {UnprocessableMessageError} when the body is not JSON, has no type, or its `data` does
 *   not match the schema of its type
 */
export function readQueuedEvent(record: SQSRecord): QueuedEvent {
  const attributes = readAttributes(record);
  const parsed = parseEnvelope(record.body);
  if (!parsed.ok) throw new UnprocessableMessageError(parsed.problem, parsed.message);
  let event: RealtimeEvent;
  try {
    event = parseEvent(parsed.envelope);
  } catch (error) {
    if (!(error instanceof EventDataError)) throw error;
    throw new UnprocessableMessageError('invalid_data', error.message, parsed.envelope.type, {
      cause: error,
    });
  }
  const receivedAt = validDate(attributes.receivedAt);
  const { time: eventTime, source: eventTimeSource } = resolveEventTime({
    timestamp: event.timestamp,
    // Only a Svix-signed delivery's key is its (signed) message id.
    webhookId: attributes.signatureScheme === 'svix' ? attributes.eventKey : undefined,
    receivedAt:
      receivedAt ??
      (record.attributes?.SentTimestamp ? validDate(Number(record.attributes.SentTimestamp)) : undefined) ??
      new Date(),
  });
  const replay = record.messageAttributes?.[REPLAY_ATTRIBUTES.replay]?.stringValue === 'true';
  const replayId = replay ? record.messageAttributes?.[REPLAY_ATTRIBUTES.replayId]?.stringValue : undefined;
  const sequenceNumber = replay ? originalSequenceNumber(record) : record.attributes?.SequenceNumber;
  const publishReplay =
    replay && record.messageAttributes?.[REPLAY_ATTRIBUTES.publish]?.stringValue === 'true';
  return {
    event,
    eventId: attributes.eventKey ?? record.messageId,
    eventTime,
    eventTimeSource,
    ...(receivedAt && { receivedAt }),
    replay,
    ...(replayId && { replayId }),
    ...(publishReplay && { publishReplay }),
    rawBody: record.body,
    attributes,
    messageId: record.messageId,
    ...(sequenceNumber && { sequenceNumber }),
  };
}

/**
 * A replayed message's queue position as handlers see it: the original message's sequence
 * number, never the replay's own (absent when the archive had none or it is not a decimal number).
 */
function originalSequenceNumber(record: SQSRecord): string | undefined {
  const value = record.messageAttributes?.[REPLAY_ATTRIBUTES.originalSequenceNumber]?.stringValue;
  return value !== undefined && /^[0-9]{1,40}$/.test(value) ? value : undefined;
}
