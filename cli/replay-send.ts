/**
 * Sending archived events back to the FIFO queue, as the verifier first sent them: the raw body,
 * the same message group, the original attributes (the original `receivedAt` included), plus the
 * replay marker and the original sequence number. The deduplication id is new per replay run
 * (`replayDeduplicationId`), so a replay is never dropped as a duplicate of the original, while a
 * batch this run sends again is.
 */
import {
  type MessageAttributeValue,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  type ArchivedEvent,
  MESSAGE_ATTRIBUTES,
  messageGroupIdFor,
  REPLAY_ATTRIBUTES,
  replayDeduplicationId,
} from '../lambda/shared/queue-message.ts';

/** SQS takes at most 10 entries and 1 MiB (bodies and attributes) in one `SendMessageBatch`. */
const MAX_BATCH_ENTRIES = 10;
const MAX_BATCH_BYTES = 1024 * 1024;
/** Attempts for entries SQS rejects with a retryable (not the sender's) error. */
const ATTEMPTS = 3;
/** Message groups sent side by side; within a group, one batch at a time, in order. */
const GROUP_CONCURRENCY = 8;

/** Options of {@link sendReplay}. */
export interface SendReplayOptions {
  /** New for every replay run: part of each message's deduplication id. */
  readonly replayId: string;
  /** The `replayedAt` attribute. */
  readonly replayedAt: Date;
  /**
   * Whether the processor publishes the replayed events to its event bus again (`--publish`).
   * @default false: replayed events run their handlers but are not published
   */
  readonly publish?: boolean;
  /** Called after each batch with the number of events it put on the queue and that failed. */
  readonly onProgress?: (sent: number, failed: number) => void;
  /** Wait before a retry. @default 200 */
  readonly retryDelayMs?: number;
}

/** An event that could not be put back on the queue. */
export interface ReplayFailure {
  readonly eventKey: string;
  readonly eventType: string;
  readonly reason: string;
}

/**
 * Sends each group's events in order (one batch at a time per group, groups side by side) and
 * answers how many were sent and which failed.
 */
export async function sendReplay(
  sqs: SQSClient,
  queueUrl: string,
  groups: readonly (readonly ArchivedEvent[])[],
  options: SendReplayOptions,
): Promise<{ sent: number; failed: ReplayFailure[] }> {
  let sent = 0;
  const failed: ReplayFailure[] = [];
  let next = 0;
  const worker = async () => {
    while (next < groups.length) {
      const group = groups[next++]!;
      for (const batch of batches(group.map((event) => replayEntry(event, options)))) {
        const failures = await sendBatch(sqs, queueUrl, batch, options.retryDelayMs ?? 200);
        sent += batch.length - failures.length;
        failed.push(...failures);
        options.onProgress?.(batch.length - failures.length, failures.length);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(GROUP_CONCURRENCY, groups.length) }, worker));
  return { sent, failed };
}

interface Entry {
  readonly event: ArchivedEvent;
  readonly request: SendMessageBatchRequestEntry;
  readonly bytes: number;
}

const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });

/** The message of one replayed event. */
export function replayEntry(
  event: ArchivedEvent,
  options: Pick<SendReplayOptions, 'replayId' | 'replayedAt' | 'publish'>,
): Entry {
  const attributes: Record<string, MessageAttributeValue> = {
    [MESSAGE_ATTRIBUTES.eventType]: text(event.eventType),
    [MESSAGE_ATTRIBUTES.eventKey]: text(event.eventKey),
    [MESSAGE_ATTRIBUTES.signatureScheme]: text(event.signatureScheme),
    [MESSAGE_ATTRIBUTES.receivedAt]: text(event.receivedAt),
    [REPLAY_ATTRIBUTES.replay]: text('true'),
    [REPLAY_ATTRIBUTES.replayedAt]: text(options.replayedAt.toISOString()),
    [REPLAY_ATTRIBUTES.replayId]: text(options.replayId),
    ...(event.sequenceNumber && { [REPLAY_ATTRIBUTES.originalSequenceNumber]: text(event.sequenceNumber) }),
    ...(options.publish && { [REPLAY_ATTRIBUTES.publish]: text('true') }),
  };
  const bytes =
    Buffer.byteLength(event.body) +
    Object.entries(attributes).reduce(
      (sum, [name, value]) =>
        sum +
        Buffer.byteLength(name) +
        Buffer.byteLength(value.DataType!) +
        Buffer.byteLength(value.StringValue!),
      0,
    );
  return {
    event,
    bytes,
    request: {
      Id: '0',
      MessageBody: event.body,
      MessageGroupId: messageGroupIdFor({ type: event.eventType, connectionId: event.connectionId }),
      MessageDeduplicationId: replayDeduplicationId(event.eventKey, options.replayId),
      MessageAttributes: attributes,
    },
  };
}

/** Consecutive entries in batches within SQS's entry and size limits, order kept. */
function batches(entries: readonly Entry[]): Entry[][] {
  const result: Entry[][] = [];
  let current: Entry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (
      current.length > 0 &&
      (current.length === MAX_BATCH_ENTRIES || bytes + entry.bytes > MAX_BATCH_BYTES)
    ) {
      result.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += entry.bytes;
  }
  if (current.length > 0) result.push(current);
  return result;
}

/**
 * Sends one batch. An entry SQS rejects for a reason of its own (not the sender's fault) is sent
 * again together with every entry after it, which SQS drops as duplicates if it took them (same
 * deduplication id within 5 minutes), so a retry duplicates nothing. An entry rejected as the
 * sender's fault, or still rejected after the last attempt, fails.
 */
async function sendBatch(
  sqs: SQSClient,
  queueUrl: string,
  batch: readonly Entry[],
  retryDelayMs: number,
): Promise<ReplayFailure[]> {
  const failures: ReplayFailure[] = [];
  let pending = [...batch];
  for (let attempt = 1; ; attempt++) {
    const result = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: pending.map((entry, index) => ({ ...entry.request, Id: String(index) })),
      }),
    );
    const rejected = (result.Failed ?? [])
      .map((failure) => ({ index: Number(failure.Id), failure }))
      .sort((a, b) => a.index - b.index);
    const final = rejected.filter(({ failure }) => failure.SenderFault || attempt === ATTEMPTS);
    for (const { index, failure } of final) {
      const { event } = pending[index]!;
      const reason = `${failure.Code}${failure.Message ? `: ${failure.Message}` : ''}`;
      failures.push({ eventKey: event.eventKey, eventType: event.eventType, reason });
    }
    const firstRetry = rejected.find(({ failure }) => !failure.SenderFault && attempt < ATTEMPTS);
    if (!firstRetry) return failures;
    const dropped = new Set(final.map(({ index }) => index));
    pending = pending.filter((_, index) => index >= firstRetry.index && !dropped.has(index));
    await new Promise((wake) => setTimeout(wake, retryDelayMs));
  }
}
