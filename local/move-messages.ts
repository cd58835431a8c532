/**
 * The redrive of a FIFO dead-letter queue by receive, send and delete: what the CLI's `redrive`
 * (against `npm start` and, by default, against a deployed stack) and the local inspector's
 * Redrive button run.
 *
 * A redrive ends. It takes at most as many messages off the dead-letter queue as were on it when
 * it started, and it never moves a message whose event it has already moved in this run: a poison
 * event that the processor sends straight back is counted as returned and left where it is,
 * instead of going round again (an earlier version ran until the queue was momentarily empty, and
 * moved 75 messages for 2 poison events). Messages it leaves in place are made visible again at
 * the end, so that `status` and the inspector see them at once.
 *
 * The verifier's kept rejections (signed bodies that are not events, message group
 * {@link REJECTED_MESSAGE_GROUP_ID}, no `eventType`) are not redriven by default: the processor
 * would only reject them again. They are skipped, or dropped on request (after `onRejected` has
 * kept them elsewhere, e.g. in a file).
 *
 * Order per message group is kept: a receive hands out at most the head of each group, and each
 * message is sent before the next of its group is received. Each send gets a deduplication id of
 * this run, so that a message moved back within the destination's 5-minute deduplication window
 * is not dropped as a duplicate of its first send.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { MESSAGE_ATTRIBUTES, REJECTED_MESSAGE_GROUP_ID } from '../lambda/shared/queue-message.ts';

/** What a redrive does with the verifier's kept rejections. */
export type RejectedHandling = 'skip' | 'drop';

/** Options of {@link redriveMessages}. */
export interface RedriveOptions {
  readonly sqs: SQSClient;
  /** The dead-letter queue. */
  readonly sourceUrl: string;
  /** The event queue. */
  readonly destinationUrl: string;
  /**
   * `skip` leaves the verifier's rejections on the dead-letter queue; `drop` deletes them, each
   * after {@link onRejected} has resolved. @default 'skip'
   */
  readonly rejected?: RejectedHandling;
  /** Called with each verifier rejection before it is dropped (to export it). @default none */
  readonly onRejected?: (message: Message) => void | Promise<void>;
  /** Called after each message has been moved. @default none */
  readonly onMoved?: (message: Message) => void;
  /** Visibility timeout (s) of a received message while the run holds it. @default 30 */
  readonly visibilityTimeoutSeconds?: number;
  /** Long-poll wait (s) of each receive; 0 is a short poll. @default 1 */
  readonly waitTimeSeconds?: number;
}

/** What a redrive did. */
export interface RedriveResult {
  /** Messages on the dead-letter queue when the run started (waiting, in flight and delayed). */
  readonly atStart: number;
  /** Messages sent to the event queue and deleted from the dead-letter queue. */
  readonly moved: number;
  /** The verifier's rejections seen and left on the dead-letter queue. */
  readonly skipped: number;
  /** The verifier's rejections deleted (`rejected: 'drop'`). */
  readonly dropped: number;
  /** Messages of an event this run had moved that were on the dead-letter queue again; left there. */
  readonly returned: number;
  /** Other messages seen and left in place: they arrived after the run had taken its share. */
  readonly left: number;
  /** The event keys of the moved messages, in the order they were moved. */
  readonly eventKeys: readonly string[];
}

/** Whether a dead-letter message is one of the verifier's kept rejections (not an event). */
export function isVerifierRejection(message: {
  readonly Attributes?: { readonly MessageGroupId?: string };
  readonly MessageAttributes?: Readonly<Record<string, { readonly StringValue?: string }>>;
}): boolean {
  return (
    message.Attributes?.MessageGroupId === REJECTED_MESSAGE_GROUP_ID &&
    message.MessageAttributes?.[MESSAGE_ATTRIBUTES.eventType]?.StringValue === undefined
  );
}

/** Messages on a queue now: waiting, in flight and delayed. */
async function depthOf(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/** What makes two dead-letter messages the same event: its event key, else its body. */
function identityOf(message: Message): string {
  return (
    message.MessageAttributes?.[MESSAGE_ATTRIBUTES.eventKey]?.StringValue ??
    `body:${createHash('sha256')
      .update(message.Body ?? '')
      .digest('hex')}`
  );
}

/** The run's counters and the messages it holds (received, not deleted) until the end. */
class RedriveRun {
  readonly id = randomUUID();
  readonly seen = new Set<string>();
  readonly movedIdentities = new Set<string>();
  /** Receipt handle of each held message, by message id (the latest receive's). */
  readonly held = new Map<string, string>();
  readonly eventKeys: string[] = [];
  moved = 0;
  skipped = 0;
  dropped = 0;
  returned = 0;
  left = 0;
  constructor(readonly atStart: number) {}
  /** Messages taken off the dead-letter queue, which {@link atStart} bounds. */
  get taken(): number {
    return this.moved + this.dropped;
  }
}

/**
 * Redrives the dead-letter queue (see the module's comment for what ends it and what it leaves).
 * Resolves to what it did; rejects with the SQS error when a call fails, after making the
 * messages it held visible again.
 */
export async function redriveMessages(options: RedriveOptions): Promise<RedriveResult> {
  const { sqs, sourceUrl } = options;
  const run = new RedriveRun(await depthOf(sqs, sourceUrl));
  // Every message there at the start, and one returned copy of each it moved: past that, what is
  // still arriving is new traffic, not this run's business.
  const maxSeen = 2 * run.atStart;
  try {
    while (run.seen.size < maxSeen) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: sourceUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: options.waitTimeSeconds ?? 1,
          VisibilityTimeout: options.visibilityTimeoutSeconds ?? 30,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['MessageGroupId', 'SequenceNumber', 'SentTimestamp'],
        }),
      );
      const fresh = Messages.filter((message) => !run.seen.has(message.MessageId ?? ''));
      for (const message of Messages) {
        if (run.seen.has(message.MessageId ?? ''))
          run.held.set(message.MessageId ?? '', message.ReceiptHandle ?? '');
      }
      if (fresh.length === 0) break;
      for (const message of fresh) await handle(message, run, options);
    }
  } finally {
    await release(sqs, sourceUrl, run.held);
  }
  const { atStart, moved, skipped, dropped, returned, left, eventKeys } = run;
  return { atStart, moved, skipped, dropped, returned, left, eventKeys };
}

/** Moves, drops or holds one message seen for the first time in this run. */
async function handle(message: Message, run: RedriveRun, options: RedriveOptions): Promise<void> {
  const { sqs, sourceUrl } = options;
  const id = message.MessageId ?? '';
  run.seen.add(id);
  const hold = (): void => {
    run.held.set(id, message.ReceiptHandle ?? '');
  };
  if (isVerifierRejection(message)) {
    if ((options.rejected ?? 'skip') === 'skip' || run.taken >= run.atStart) {
      run.skipped += 1;
      return hold();
    }
    await options.onRejected?.(message);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: sourceUrl, ReceiptHandle: message.ReceiptHandle }));
    run.dropped += 1;
    return;
  }
  const identity = identityOf(message);
  if (run.movedIdentities.has(identity)) {
    run.returned += 1;
    return hold();
  }
  if (run.taken >= run.atStart) {
    run.left += 1;
    return hold();
  }
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: options.destinationUrl,
      MessageBody: message.Body ?? '',
      MessageGroupId: message.Attributes?.MessageGroupId ?? 'redriven',
      MessageDeduplicationId: createHash('sha256').update(`${run.id}:${id}`).digest('hex'),
      ...(message.MessageAttributes && { MessageAttributes: sendable(message.MessageAttributes) }),
    }),
  );
  await sqs.send(new DeleteMessageCommand({ QueueUrl: sourceUrl, ReceiptHandle: message.ReceiptHandle }));
  run.moved += 1;
  run.movedIdentities.add(identity);
  const key = message.MessageAttributes?.[MESSAGE_ATTRIBUTES.eventKey]?.StringValue;
  if (key) run.eventKeys.push(key);
  options.onMoved?.(message);
}

/**
 * What a redrive did, in one line (the CLI's report and the inspector's answer).
 *
 * @example
 * // 'moved 2 messages back to the event queue (3 on the dead-letter queue at the start); skipped 1 …'
 * describeRedrive(result);
 */
export function describeRedrive(result: RedriveResult): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return [
    `moved ${plural(result.moved, 'message')} back to the event queue (${result.atStart} on the dead-letter queue at the start)`,
    ...(result.skipped > 0
      ? [`skipped ${plural(result.skipped, 'verifier rejection')} (left on the dead-letter queue)`]
      : []),
    ...(result.dropped > 0 ? [`removed ${plural(result.dropped, 'verifier rejection')}`] : []),
    ...(result.returned > 0
      ? [`${result.returned} returned (dead-lettered again during the run, left there)`]
      : []),
    ...(result.left > 0 ? [`${result.left} left (arrived during the run)`] : []),
  ].join('; ');
}

/** Makes the held messages visible again; one that cannot be released reappears after its timeout. */
async function release(sqs: SQSClient, queueUrl: string, held: ReadonlyMap<string, string>): Promise<void> {
  await Promise.allSettled(
    [...held.values()].map((receiptHandle) =>
      sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: 0,
        }),
      ),
    ),
  );
}

/** Received attributes carry list fields that SendMessage refuses; keep the values only. */
function sendable(attributes: Record<string, MessageAttributeValue>): Record<string, MessageAttributeValue> {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      {
        DataType: value.DataType,
        ...(value.StringValue !== undefined && { StringValue: value.StringValue }),
        ...(value.BinaryValue !== undefined && { BinaryValue: value.BinaryValue }),
      },
    ]),
  );
}
