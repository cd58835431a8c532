/**
 * Poison messages out of the way at once. A queued body that cannot become a valid event (not
 * JSON, no type, `data` failing its type's schema), or an event whose write DynamoDB refuses for
 * what it is (`poison.ts`), fails the same way on every retry; retried, it would hold back its
 * connection's later events for `maxReceiveCount` visibility timeouts before SQS moved it. The
 * processor instead puts it on the dead-letter queue itself, with its attributes and the reason,
 * and acknowledges it.
 *
 * {@link DeadLetterQueue} is the port; {@link SqsDeadLetterQueue} the adapter on SQS.
 */
import { type MessageAttributeValue, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import {
  DEAD_LETTER_ATTRIBUTES,
  MAX_REJECTION_DETAIL_CHARS,
  REJECTED_MESSAGE_GROUP_ID,
} from '../shared/queue-message.ts';
import type { Rejection } from './poison.ts';

/** A message the processor gives up on at once, as it goes to the dead-letter queue. */
export interface RejectedMessage {
  /** The queued body, verbatim. */
  readonly body: string;
  /** The message's own group, so that a redrive puts it back among its connection's events. */
  readonly messageGroupId: string;
  /** Stable for this SQS message (a retry after a failed delete is deduplicated), new for a copy. */
  readonly deduplicationId: string;
  /** The message's attributes as received, then `rejectionReason` and `rejectionDetail`. */
  readonly attributes: Readonly<Record<string, MessageAttributeValue>>;
}

/** Where poison messages go. */
export interface DeadLetterQueue {
  /** Puts a rejected message on the dead-letter queue; throws when it could not (or `signal` aborted). */
  send(message: RejectedMessage, signal?: AbortSignal): Promise<void>;
}

/** SQS takes at most 10 attributes a message; two are the rejection's own. */
const MAX_KEPT_ATTRIBUTES = 8;
/** Characters SQS refuses in a string attribute. */
const SQS_FORBIDDEN_CHARACTERS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

function textAttribute(value: string, maxChars: number): MessageAttributeValue {
  const safe = value.replace(SQS_FORBIDDEN_CHARACTERS, '\uFFFD').slice(0, maxChars);
  return { DataType: 'String', StringValue: safe || '-' };
}

/**
 * The dead-letter message of a record that can never succeed: its body, group and string
 * attributes unchanged, plus the reason and its detail (the parse error, DynamoDB's message, a
 * `PoisonEventError`'s message; cut to fit).
 */
export function rejectedMessage(record: SQSRecord, error: Rejection): RejectedMessage {
  const kept: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(record.messageAttributes ?? {})) {
    if (Object.keys(kept).length >= MAX_KEPT_ATTRIBUTES) break;
    if (value.stringValue === undefined) continue;
    kept[name] = { DataType: value.dataType, StringValue: value.stringValue };
  }
  return {
    body: record.body,
    messageGroupId: record.attributes.MessageGroupId ?? REJECTED_MESSAGE_GROUP_ID,
    deduplicationId: `rejected:${record.messageId}`.slice(0, 128),
    attributes: {
      ...kept,
      [DEAD_LETTER_ATTRIBUTES.reason]: textAttribute(error.reason, 64),
      [DEAD_LETTER_ATTRIBUTES.detail]: textAttribute(error.message, MAX_REJECTION_DETAIL_CHARS),
    },
  };
}

/** Options of {@link SqsDeadLetterQueue}. */
export interface SqsDeadLetterQueueOptions {
  /** The FIFO dead-letter queue (DEAD_LETTER_QUEUE_URL). */
  readonly queueUrl: string;
  /** The client, created on the first rejection (most invocations never need it). */
  readonly client: () => SQSClient;
}

/** The dead-letter queue on SQS. */
export class SqsDeadLetterQueue implements DeadLetterQueue {
  readonly #queueUrl: string;
  readonly #client: () => SQSClient;

  constructor(options: SqsDeadLetterQueueOptions) {
    if (!options.queueUrl?.trim()) {
      throw new TypeError(`queueUrl must be a non-empty string, got "${options.queueUrl}"`);
    }
    this.#queueUrl = options.queueUrl;
    this.#client = options.client;
  }

  async send(message: RejectedMessage, signal?: AbortSignal): Promise<void> {
    await this.#client().send(
      new SendMessageCommand({
        QueueUrl: this.#queueUrl,
        MessageBody: message.body,
        MessageGroupId: message.messageGroupId,
        MessageDeduplicationId: message.deduplicationId,
        MessageAttributes: { ...message.attributes },
      }),
      { abortSignal: signal },
    );
  }
}
