/**
 * The hand-off: a verified delivery claims its event record, is put on the FIFO queue, and that
 * is all — once per event key while the record lives, whatever the sender retries.
 *
 * Ports ({@link EventRecords}, {@link EventQueue}) keep the use case free of AWS; the adapters
 * (`DynamoDbEventRecords`, {@link SqsEventQueue}) are the production wiring. The record's
 * conditional write is the whole deduplication (docs/how-it-works.md): it grants the key to one
 * invocation for a lease (the time that invocation may still spend sending), answers a key that
 * was processed or dead-lettered as a duplicate, and lets a retry take over a key whose send
 * failed (the claim is released) or whose sender stopped (the lease ran out). A key taken over
 * after a send that did succeed is sent again: SQS drops the copy inside its 5-minute
 * deduplication window, and the processor's read of the record skips it after that.
 */
import { type MessageAttributeValue, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  DEAD_LETTER_ATTRIBUTES,
  MESSAGE_ATTRIBUTES,
  type QueueMessageAttributes,
  REJECTED_MESSAGE_GROUP_ID,
  type SignatureScheme,
} from '../shared/queue-message.ts';
import { EVENT_QUEUE } from '../shared/resource-definitions.ts';
import { DependencyError } from './errors.ts';
import { isEventKey } from './event-key.ts';
import type { EventRecords } from './event-records.ts';

/** How long the current invocation may still run: the claim's lease. */
export interface LeaseClock {
  getRemainingTimeInMillis(): number;
}

/**
 * The longest lease a claim takes, however long the invocation may still run: the SQS client's
 * worst send (two attempts of at most 1.3 s, plus backoff) with room to spare, and no longer than
 * Svix's first retry (5 s after an answer), so that a delivery answered 409 finds the lease over
 * when it comes back. A lease that ends while a send is still under way is harmless: SQS
 * deduplicates the second send.
 */
export const MAX_LEASE_MS = 5_000;

/** What became of a verified delivery: the one outcome the answer is made from. */
export type DeliveryOutcome =
  /** Put on the queue now; `deliveries` above 1 means an earlier claim of the key was taken over. */
  | { readonly status: 'enqueued'; readonly eventKey: string; readonly deliveries: number }
  /** The key was processed or dead-lettered already: nothing was sent. */
  | { readonly status: 'duplicate'; readonly eventKey: string };

/**
 * Refuses a key that could not serve unchanged as record key, deduplication id and attribute: a
 * programming error (keys come from `eventKeyFor`), caught before anything is written.
 */
function assertEventKey(key: string): void {
  if (!isEventKey(key)) {
    throw new TypeError(
      `an event key must be 1 to 128 printable ASCII characters (use eventKeyFor); got ${key.length} characters`,
    );
  }
}

/** A verified event, ready for the queue. */
export interface QueuedEvent {
  /** The raw request body, verbatim. */
  readonly body: string;
  readonly messageGroupId: string;
  /** The envelope's connection id, recorded on the claim. */
  readonly connectionId?: string;
  readonly attributes: QueueMessageAttributes;
}

/** A genuinely signed body that cannot be handed on, kept for inspection. */
export interface RejectedDelivery {
  readonly body: Uint8Array;
  readonly eventKey: string;
  readonly signatureScheme: SignatureScheme;
  readonly receivedAt: string;
  /** The error code answered (`invalid_json`, `missing_event_type`, …). */
  readonly reason: string;
}

/** The queues the verifier writes to. */
export interface EventQueue {
  /** Puts an event on the FIFO queue (its event key is the deduplication id). */
  enqueue(event: QueuedEvent): Promise<void>;
  /** Keeps a rejected delivery on the dead-letter queue. */
  keepRejected(delivery: RejectedDelivery): Promise<void>;
}

/** Attributes of a message kept on the dead-letter queue, besides {@link MESSAGE_ATTRIBUTES}. */
export const REJECTION_ATTRIBUTES = {
  /** The error code the delivery was answered with. */
  reason: DEAD_LETTER_ATTRIBUTES.reason,
  /** `utf8`: the request body verbatim; `base64`: encoded, as SQS takes no such text; `empty`: no body. */
  bodyEncoding: 'bodyEncoding',
  /** `true` when the body was cut to fit the queue's message size. */
  truncated: 'truncated',
} as const;

/** The result of {@link HandOff.keepRejected}. */
export type KeepResult = 'kept' | 'already-kept';

/** The hand-off use case over the ports. */
export class HandOff {
  constructor(
    private readonly ports: {
      readonly records: EventRecords;
      readonly queue: EventQueue;
      /** The longest lease a claim takes. @default {@link MAX_LEASE_MS} (5 s) */
      readonly maxLeaseMs?: number;
    },
  ) {}

  /**
   * Claims the event's record and puts it on the queue; a failed send releases the claim, so the
   * sender's retry (answered 503 now) can claim it at once.
   *
   * @throws {DeliveryInFlightError} while another invocation holds the key's lease
   * @throws {DependencyError} when the record or the queue failed
   */
  async handOn(event: QueuedEvent, lease: LeaseClock): Promise<DeliveryOutcome> {
    const { eventKey, eventType, signatureScheme, receivedAt } = event.attributes;
    assertEventKey(eventKey);
    const claim = await this.ports.records.claim({
      eventKey,
      eventType,
      signatureScheme,
      receivedAt,
      leaseMs: this.#leaseMs(lease),
      ...(event.connectionId !== undefined && { connectionId: event.connectionId }),
    });
    if (claim.status === 'duplicate') return { status: 'duplicate', eventKey };
    try {
      // The record's receipt time: a re-send carries the first delivery's, as the registry orders by it.
      await this.ports.queue.enqueue({
        ...event,
        attributes: { ...event.attributes, receivedAt: claim.receivedAt },
      });
    } catch (error) {
      // A release that fails too leaves the lease to run out: the retry then waits, no longer.
      await this.ports.records.release(eventKey, claim.leaseUntil).catch(() => {});
      throw error instanceof DependencyError ? error : new DependencyError('queue', { cause: error });
    }
    return { status: 'enqueued', eventKey, deliveries: claim.deliveries };
  }

  /** The invocation's remaining time, at most the longest lease (and that when it cannot tell). */
  #leaseMs(lease: LeaseClock): number {
    const longest = this.ports.maxLeaseMs ?? MAX_LEASE_MS;
    return Math.min(lease.getRemainingTimeInMillis() || longest, longest);
  }

  /**
   * Keeps a rejected delivery once per event key on the dead-letter queue (marked on its record).
   *
   * @throws {DependencyError} when the record or the dead-letter queue failed
   */
  async keepRejected(delivery: RejectedDelivery): Promise<KeepResult> {
    assertEventKey(delivery.eventKey);
    const token = await this.ports.records.claimRejection({
      eventKey: delivery.eventKey,
      signatureScheme: delivery.signatureScheme,
      receivedAt: delivery.receivedAt,
      reason: delivery.reason,
    });
    if (token === undefined) return 'already-kept';
    try {
      await this.ports.queue.keepRejected(delivery);
    } catch (error) {
      await this.ports.records.releaseRejection(delivery.eventKey, token).catch(() => {});
      throw error instanceof DependencyError
        ? error
        : new DependencyError('dead-letter-queue', { cause: error });
    }
    return 'kept';
  }
}

/** Options of {@link SqsEventQueue}. */
export interface SqsEventQueueOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  /** The largest message body the dead-letter queue takes. @default 1 MiB minus 8 KiB */
  readonly maxDeadLetterBodyBytes?: number;
}

/** SQS accepts these characters in a message body or a string attribute, and nothing else. */
const SQS_FORBIDDEN_CHARACTERS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** Whether SQS accepts a string as a message body or attribute value verbatim. */
export function isSqsSafeText(text: string): boolean {
  return !SQS_FORBIDDEN_CHARACTERS.test(text);
}

const MAX_ATTRIBUTE_CHARS = 256;

function stringAttribute(value: string): MessageAttributeValue {
  const safe = value.replace(new RegExp(SQS_FORBIDDEN_CHARACTERS.source, 'gu'), '\uFFFD');
  return { DataType: 'String', StringValue: safe.slice(0, MAX_ATTRIBUTE_CHARS) || '-' };
}

/** The FIFO queue and its dead-letter queue on SQS. */
export class SqsEventQueue implements EventQueue {
  readonly #client: SQSClient;
  readonly #queueUrl: string;
  readonly #deadLetterQueueUrl: string;
  readonly #maxDeadLetterBodyBytes: number;

  constructor(options: SqsEventQueueOptions) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
    this.#deadLetterQueueUrl = options.deadLetterQueueUrl;
    this.#maxDeadLetterBodyBytes =
      options.maxDeadLetterBodyBytes ??
      EVENT_QUEUE.defaultMaxMessageSizeBytes - EVENT_QUEUE.messageAttributeAllowanceBytes;
  }

  async enqueue(event: QueuedEvent): Promise<void> {
    const { attributes } = event;
    await this.#client.send(
      new SendMessageCommand({
        QueueUrl: this.#queueUrl,
        MessageBody: event.body,
        MessageGroupId: event.messageGroupId,
        // The event key as it is: eventKeyFor already made it a valid deduplication id, so the
        // ledger key, this id and the eventKey attribute are one value.
        MessageDeduplicationId: attributes.eventKey,
        MessageAttributes: {
          [MESSAGE_ATTRIBUTES.eventType]: stringAttribute(attributes.eventType),
          [MESSAGE_ATTRIBUTES.eventKey]: stringAttribute(attributes.eventKey),
          [MESSAGE_ATTRIBUTES.signatureScheme]: stringAttribute(attributes.signatureScheme),
          [MESSAGE_ATTRIBUTES.receivedAt]: stringAttribute(attributes.receivedAt),
        },
      }),
    );
  }

  async keepRejected(delivery: RejectedDelivery): Promise<void> {
    const { body, encoding, truncated } = this.#deadLetterBody(delivery.body);
    await this.#client.send(
      new SendMessageCommand({
        QueueUrl: this.#deadLetterQueueUrl,
        MessageBody: body,
        MessageGroupId: REJECTED_MESSAGE_GROUP_ID,
        MessageDeduplicationId: delivery.eventKey,
        MessageAttributes: {
          [MESSAGE_ATTRIBUTES.eventKey]: stringAttribute(delivery.eventKey),
          [MESSAGE_ATTRIBUTES.signatureScheme]: stringAttribute(delivery.signatureScheme),
          [MESSAGE_ATTRIBUTES.receivedAt]: stringAttribute(delivery.receivedAt),
          [REJECTION_ATTRIBUTES.reason]: stringAttribute(delivery.reason),
          [REJECTION_ATTRIBUTES.bodyEncoding]: stringAttribute(encoding),
          [REJECTION_ATTRIBUTES.truncated]: stringAttribute(String(truncated)),
        },
      }),
    );
  }

  /** The body verbatim when SQS takes it as text, else base64; cut to the queue's size. */
  #deadLetterBody(raw: Uint8Array): {
    body: string;
    encoding: 'utf8' | 'base64' | 'empty';
    truncated: boolean;
  } {
    const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    // SQS takes no empty body; the attribute says that the placeholder is not the delivery's.
    if (bytes.length === 0) return { body: '-', encoding: 'empty', truncated: false };
    let text: string | undefined;
    try {
      // ignoreBOM: a leading byte order mark stays, so the kept body is the request's byte for byte.
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      text = undefined;
    }
    if (
      text !== undefined &&
      text.length > 0 &&
      isSqsSafeText(text) &&
      bytes.length <= this.#maxDeadLetterBodyBytes
    ) {
      return { body: text, encoding: 'utf8', truncated: false };
    }
    const fits = Math.floor((this.#maxDeadLetterBodyBytes / 4) * 3);
    const truncated = bytes.length > fits;
    return {
      body: (truncated ? bytes.subarray(0, fits) : bytes).toString('base64'),
      encoding: 'base64',
      truncated,
    };
  }
}
