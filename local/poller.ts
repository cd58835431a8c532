/**
 * The local stand-in for Lambda's SQS event source mapping on a FIFO queue: long-polls the queue,
 * hands batches to the processor's handler as `SQSEvent`s shaped exactly as Lambda's, deletes
 * what succeeded and leaves the rest to come back after the visibility timeout.
 *
 * What stays with the queue, as in AWS: ordering within a message group (a group is locked while
 * one of its messages is in flight), retries after the visibility timeout, and the move to the
 * dead-letter queue once a message has been received `maxReceiveCount` times (its redrive policy).
 */

import type { Logger } from '@aws-lambda-powertools/logger';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  MessageSystemAttributeName,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { EnvironmentPool } from './environment-pool.ts';
import { InvocationTimeoutError, invokeWithTimeout } from './lambda-context.ts';

/** An SQS-triggered Lambda handler with partial batch responses. */
export type SqsBatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

/** The few logging calls the poller makes, on Powertools' Logger. */
export type PollerLogger = Pick<Logger, 'warn' | 'error'>;

/** Options for {@link startPoller}. */
export interface PollerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /**
   * Creates the processor's handler, once per execution environment: each environment is invoked
   * by one batch at a time, as Lambda runs one invocation per environment. (A handler instance
   * holds per-invocation state, e.g. Powertools' batch processor, and must not be shared by
   * concurrent batches.)
   */
  readonly createHandler: () => SqsBatchHandler;
  /**
   * Execution environments, i.e. batches in flight at once. Environments are created as batches
   * overlap; a new batch is received only when one is free. @default 4
   */
  readonly concurrency?: number;
  /** Messages per batch, at most 10 on a FIFO queue. @default 10 */
  readonly batchSize?: number;
  /** Long-polling wait. @default 1 */
  readonly waitTimeSeconds?: number;
  /**
   * The processor's timeout. Lambda requires the queue's visibility timeout to be at least the
   * function's timeout, so it defaults to the queue's `VisibilityTimeout`; a batch that takes longer
   * counts as failed, as a timed-out invocation does.
   */
  readonly timeoutMs?: number;
  /** @default 'ofauth-processor' */
  readonly functionName?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** The function's memory, reported in the context as Lambda does. @default 256 */
  readonly memoryLimitInMB?: number;
  /** @default no logging */
  readonly logger?: PollerLogger;
  /** Watches each batch handed to the processor (the local inspector). @default none */
  readonly observer?: PollerObserver;
}

/** What the processor made of a batch. */
export interface BatchResult {
  /** Message ids of the records that succeeded (and are deleted from the queue). */
  readonly succeeded: readonly string[];
  /** The crash or timeout that failed the whole batch, if one did. */
  readonly error?: unknown;
}

/** Watches the poller without changing what it does. Neither method may throw. */
export interface PollerObserver {
  /** Called just before the processor is invoked with these records. */
  batchStarted(records: readonly SQSRecord[]): void;
  /** Called once the processor has answered (or failed) for these records. */
  batchFinished(records: readonly SQSRecord[], result: BatchResult): void;
}

/** A running poller. */
export interface Poller {
  /** Batches handed to the handler so far. */
  readonly invocations: number;
  /** Stops receiving, waits for the batches in flight to finish, and resolves. */
  stop(): Promise<void>;
}

/** The attributes Lambda puts on every record of a FIFO queue. */
const SYSTEM_ATTRIBUTES = [
  MessageSystemAttributeName.ApproximateReceiveCount,
  MessageSystemAttributeName.SentTimestamp,
  MessageSystemAttributeName.SenderId,
  MessageSystemAttributeName.ApproximateFirstReceiveTimestamp,
  MessageSystemAttributeName.SequenceNumber,
  MessageSystemAttributeName.MessageGroupId,
  MessageSystemAttributeName.MessageDeduplicationId,
  MessageSystemAttributeName.AWSTraceHeader,
];

function toRecordAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): SQSMessageAttributes {
  const result: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    result[name] = {
      ...(value.StringValue !== undefined && { stringValue: value.StringValue }),
      ...(value.BinaryValue !== undefined && {
        binaryValue: Buffer.from(value.BinaryValue).toString('base64'),
      }),
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((item) => Buffer.from(item).toString('base64')),
      dataType: value.DataType ?? 'String',
    };
  }
  return result;
}

/**
 * Turns a received message into the record Lambda would put in the `SQSEvent`.
 *
 * @example
 * const record = toSqsRecord(message, 'arn:aws:sqs:us-east-1:000000000000:ofauth-events.fifo', 'us-east-1');
 */
export function toSqsRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const system = message.Attributes ?? {};
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: system.ApproximateReceiveCount ?? '1',
      SentTimestamp: system.SentTimestamp ?? String(Date.now()),
      SenderId: system.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: system.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...(system.SequenceNumber !== undefined && { SequenceNumber: system.SequenceNumber }),
      ...(system.MessageGroupId !== undefined && { MessageGroupId: system.MessageGroupId }),
      ...(system.MessageDeduplicationId !== undefined && {
        MessageDeduplicationId: system.MessageDeduplicationId,
      }),
      ...(system.AWSTraceHeader !== undefined && { AWSTraceHeader: system.AWSTraceHeader }),
    },
    messageAttributes: toRecordAttributes(message.MessageAttributes),
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes !== undefined && {
      md5OfMessageAttributes: message.MD5OfMessageAttributes,
    }),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/**
 * Which records of a batch succeeded, given the handler's answer: all of them for an empty or
 * missing `batchItemFailures`; none when an identifier is not in the batch, because Lambda treats
 * such a response as a failure of the whole batch.
 */
export function succeededRecords(
  records: readonly SQSRecord[],
  response: SQSBatchResponse | undefined,
): SQSRecord[] {
  const failures = response?.batchItemFailures ?? [];
  const ids = new Set(records.map((record) => record.messageId));
  if (failures.some((failure) => !failure.itemIdentifier || !ids.has(failure.itemIdentifier))) return [];
  const failed = new Set(failures.map((failure) => failure.itemIdentifier));
  return records.filter((record) => !failed.has(record.messageId));
}

/**
 * Invokes the handler with one batch and deletes what succeeded, as the event source mapping does.
 * A crash fails the whole batch (every message comes back after the visibility timeout); a
 * timeout too, and is rethrown so that the environment is not reused.
 */
async function invokeAndDelete(
  target: {
    readonly sqs: SQSClient;
    readonly queueUrl: string;
    readonly fn: Parameters<typeof invokeWithTimeout>[0];
    readonly logger?: PollerLogger;
    readonly observer?: PollerObserver;
  },
  handler: SqsBatchHandler,
  records: SQSRecord[],
): Promise<void> {
  const { sqs, queueUrl, fn, logger, observer } = target;
  let succeeded: SQSRecord[];
  observer?.batchStarted(records);
  try {
    succeeded = succeededRecords(records, await invokeWithTimeout(fn, handler, { Records: records }));
  } catch (error) {
    observer?.batchFinished(records, { succeeded: [], error });
    logger?.error('processor invocation failed; the whole batch will be retried', {
      error,
      messageIds: records.map((record) => record.messageId),
    });
    if (error instanceof InvocationTimeoutError) throw error;
    return;
  }
  observer?.batchFinished(records, { succeeded: succeeded.map((record) => record.messageId) });
  if (succeeded.length === 0) return;
  const deleted = await sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: succeeded.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
    }),
  );
  if (deleted.Failed?.length) {
    logger?.warn('could not delete processed messages; they will be delivered again', {
      failed: deleted.Failed,
    });
  }
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((wake) => {
    const timer = setTimeout(wake, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      wake();
    });
  });

/**
 * The queue's ARN (for the records' `eventSourceARN`) and the processor function's settings: its
 * timeout defaults to the queue's visibility timeout, as the stack sets them in step.
 */
async function processorFunction(options: PollerOptions, region: string) {
  const { sqs, queueUrl } = options;
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn', 'VisibilityTimeout'] }),
  );
  const fn = {
    functionName: options.functionName ?? 'ofauth-processor',
    timeoutMs: options.timeoutMs ?? Number(attributes.Attributes?.VisibilityTimeout ?? 30) * 1000,
    region,
    ...(options.memoryLimitInMB !== undefined && { memoryLimitInMB: options.memoryLimitInMB }),
  };
  return { queueArn: attributes.Attributes?.QueueArn ?? queueUrl, fn };
}

/**
 * One long-polling receive of up to a batch; an error is logged and, after a pause, answered with
 * no messages so that the loop goes on (or ends, once `signal` aborts).
 */
function batchReceiver(options: PollerOptions, signal: AbortSignal): () => Promise<Message[]> {
  const { sqs, queueUrl, logger } = options;
  const batchSize = Math.min(options.batchSize ?? 10, 10);
  const waitTimeSeconds = options.waitTimeSeconds ?? 1;
  return async () => {
    try {
      const received = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: batchSize,
          WaitTimeSeconds: waitTimeSeconds,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: SYSTEM_ATTRIBUTES,
        }),
        { abortSignal: signal },
      );
      return received.Messages ?? [];
    } catch (error) {
      if (signal.aborted) return [];
      logger?.error('could not receive from the queue; retrying', { error, queueUrl });
      await sleep(1000, signal);
      return [];
    }
  };
}

/**
 * Starts polling. Several pollers run side by side so that many message groups are processed at
 * once; the queue keeps each group in order.
 *
 * @example
 * const poller = await startPoller({ sqs, queueUrl, createHandler: () => createProcessorHandler() });
 * await poller.stop();
 */
export async function startPoller(options: PollerOptions): Promise<Poller> {
  const { sqs, queueUrl, logger, observer } = options;
  const region = options.region ?? 'us-east-1';
  const { queueArn, fn } = await processorFunction(options, region);
  const abort = new AbortController();
  const receive = batchReceiver(options, abort.signal);
  let invocations = 0;

  const processBatch = async (handler: SqsBatchHandler, messages: Message[]): Promise<void> => {
    invocations += 1;
    const records = messages.map((message) => toSqsRecord(message, queueArn, region));
    await invokeAndDelete(
      { sqs, queueUrl, fn, ...(logger && { logger }), ...(observer && { observer }) },
      handler,
      records,
    );
  };

  // One receive at a time, into a free environment, as Lambda's pollers hand batches to function
  // instances. Several pollers each waiting on the queue would all be woken by every message (an
  // emulator wakes every waiting receive), and all but one would come back empty.
  const environments = new EnvironmentPool<SqsBatchHandler>({
    create: () => options.createHandler(),
    size: Math.max(1, options.concurrency ?? 4),
  });
  const inFlight = new Set<Promise<void>>();
  const receiveIntoFreeEnvironment = () =>
    new Promise<void>((received) => {
      const batch = environments
        .run(
          async ({ handler }) => {
            const messages = await receive().finally(received);
            if (messages.length > 0) await processBatch(handler, messages);
          },
          (error) => error instanceof InvocationTimeoutError,
        )
        .catch(async (error: unknown) => {
          if (error instanceof InvocationTimeoutError) return;
          logger?.error('could not complete a batch; its messages will be delivered again', { error });
          // Also when no environment could be created: pause before the next receive.
          await sleep(1000, abort.signal);
        })
        .finally(() => {
          received();
          inFlight.delete(batch);
        });
      inFlight.add(batch);
    });
  const loop = (async () => {
    while (!abort.signal.aborted) await receiveIntoFreeEnvironment();
  })();

  return {
    get invocations() {
      return invocations;
    },
    stop: async () => {
      abort.abort();
      await loop;
      await Promise.all(inFlight);
    },
  };
}
