/**
 * Processing of one SQS record: parse the queued body into a typed event, skip it when its event
 * record says it already ran (`event-records.ts`), route it to its handler, record how the run
 * ended, then log and count the outcome.
 *
 * A body that can never become a valid event is put on the dead-letter queue at once and
 * acknowledged, so that its connection's later events go on (docs/architecture.md, failure
 * model); so is an event whose handler failed in a way no retry cures (`poison.ts`: a write
 * DynamoDB refuses with a `ValidationException`, a `PoisonEventError`). Only when that send fails
 * does it fail like a handler error. Any other handler error fails this record (and, through the
 * FIFO batch processor, the rest of its message group in the batch), to be retried; so does an
 * archive write that failed for it, and so does the invocation's deadline (`deadline.ts`): a
 * record is not started once less than the margin is left.
 *
 * With an event bus (`event-bus.ts`), a handled event is published before its record is marked
 * processed (the same update sets `publishedAt`). A failed publish is recorded as `handledAt` and
 * fails the record like a handler error; the retry sees `handledAt` and only publishes.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSRecord } from 'aws-lambda';
import { ArchiveWriteError } from './archive.ts';
import type { ConnectionRegistry } from './connections.ts';
import { type DeadLetterQueue, rejectedMessage } from './dead-letters.ts';
import { DeadlineDeferralError, type InvocationDeadline } from './deadline.ts';
import type { EventPublisher } from './event-bus.ts';
import type { EventRecords, RecordedEvent } from './event-records.ts';
import type { BatchMetrics } from './metrics.ts';
import { poisonRejection, type Rejection } from './poison.ts';
import {
  type QueuedEvent,
  readAttributes,
  readQueuedEvent,
  UnprocessableMessageError,
} from './queued-event.ts';
import type { HandlerContext, Router } from './router.ts';
import type { RulesStore } from './rules.ts';

/** What processing a record needs. */
export interface RecordProcessorDependencies {
  readonly route: Router;
  readonly logger: Logger;
  readonly connections: ConnectionRegistry;
  readonly rules: RulesStore;
  readonly dynamodb: DynamoDBDocumentClient;
  /** Milliseconds since the epoch, for the lag. */
  readonly clock: () => number;
  /** The event records; absent when they are switched off. */
  readonly eventRecords?: EventRecords;
  /**
   * The queue's `maxReceiveCount`: a failure at that receive is the last before SQS moves the
   * message to the dead-letter queue, and the record says so. @default unknown: never the last
   */
  readonly maxReceiveCount?: number;
  /**
   * Where messages that can never become an event go at once.
   * @default none: such a message fails and is retried until SQS moves it after maxReceiveCount
   */
  readonly deadLetterQueue?: DeadLetterQueue;
  /** Where handled events are published (`event-bus.ts`). @default none: nothing is published */
  readonly eventBus?: EventPublisher;
}

/** What the records of one invocation share. */
export interface BatchState {
  readonly metrics: BatchMetrics;
  /** The Lambda context of the invocation, when there is one. */
  readonly lambdaContext?: Context;
  /** Message ids whose archive write failed, with the reason: they fail instead of running. */
  readonly notArchived?: ReadonlyMap<string, string>;
  /** Whether this is the execution environment's first invocation (its lines say `cold_start: true`). */
  readonly coldStart?: boolean;
  /** When records may no longer start; its signal goes to the handlers and the kit's AWS calls. */
  readonly deadline: InvocationDeadline;
  /** Message ids of the records not started because of the deadline (the first of their group). */
  readonly deferred: Set<string>;
}

/** The per-record function of one invocation's batch. */
export function createRecordProcessor(
  dependencies: RecordProcessorDependencies,
  batch: BatchState,
): (record: SQSRecord) => Promise<void> {
  const { logger, clock } = dependencies;
  return async (record) => {
    deferIfTooLate(record, batch, logger);
    const notArchived = batch.notArchived?.get(record.messageId);
    if (notArchived !== undefined) {
      batch.metrics.archiveFailed();
      throw new ArchiveWriteError(record.messageId, notArchived);
    }
    let queued: QueuedEvent;
    try {
      queued = readQueuedEvent(record);
    } catch (error) {
      if (!(error instanceof UnprocessableMessageError)) throw error;
      return rejectRecord(record, error, error, dependencies, batch, recordedEventOf(record));
    }
    const { event, eventId, eventTime } = queued;
    // Account-wide events (rules.updated) have no connection: the key is left out of their lines.
    const keys = { eventId, eventType: event.type, connectionId: event.connectionId };
    // A logger of this record's own: other connections' records run at the same time.
    const recordLogger = loggerForRecord(logger, keys, batch);
    const recordDependencies = { ...dependencies, logger: recordLogger };
    const recorded = recordedEventOf(record, queued);
    let published = false;
    try {
      const earlier = await earlierRun(queued, recordDependencies, batch);
      if (earlier === 'processed') return;
      // Handled by an earlier attempt whose publish failed: only the publish is left to do.
      if (earlier !== 'handled')
        await dependencies.route(event, handlerContext(queued, recordDependencies, batch));
      published = await publishHandled(record, queued, recordDependencies, batch, recorded);
    } catch (error) {
      if (error instanceof PublishFailedError) throw error.cause;
      // A handler that threw, or an event record that could not be read.
      const poison = poisonRejection(error, event.type);
      if (poison) return rejectRecord(record, poison, error, recordDependencies, batch, recorded);
      batch.metrics.failed(event.type);
      recordLogger.error('event failed', error as Error);
      await recordFailure(record, error, recordDependencies, batch, recorded);
      throw error;
    }
    await recordProcessed(queued, recordDependencies, batch, recorded, published);
    const lagMs = clock() - eventTime.getTime();
    batch.metrics.processed(event.type, lagMs);
    logProcessed(recordLogger, queued, Number(record.attributes.ApproximateReceiveCount), lagMs);
  };
}

/**
 * The "event processed" line: at `DEBUG` on a first receive, because at `INFO` a success writes no
 * line per event (log bytes are billed; the event record is the trail, `trace`); at `INFO`, with
 * the receive count, when earlier attempts failed or were cut off, so that a failure's lines are
 * followed by how it ended.
 */
function logProcessed(logger: Logger, queued: QueuedEvent, receiveCount: number, lagMs: number): void {
  const line = {
    eventTimestamp: queued.eventTime.toISOString(),
    eventTimeSource: queued.eventTimeSource,
    ...(queued.replay && { replay: true }),
    lagMs,
  };
  if (receiveCount > 1) logger.info('event processed', { ...line, receiveCount });
  else logger.debug('event processed', line);
}

/**
 * Throws, before anything of the record has run, when the invocation is too near its deadline to
 * start it: the record, and through the FIFO rule the rest of its group, come back later in order.
 */
function deferIfTooLate(record: SQSRecord, batch: BatchState, logger: Logger): void {
  const remainingMs = batch.deadline.tooLateToStart();
  if (remainingMs === undefined) return;
  batch.deferred.add(record.messageId);
  logger.warn('event not started: the invocation is near its deadline', {
    messageId: record.messageId,
    messageGroupId: record.attributes.MessageGroupId,
    remainingMs,
  });
  throw new DeadlineDeferralError(record.messageId, remainingMs);
}

/**
 * A child of the processor's logger carrying the record's keys, for the record's own lines and its
 * handler's. Records of different message groups run concurrently, so keys appended to the shared
 * logger would land on another record's lines. Powertools' `createChild` reports the child's own
 * first use as a cold start; in a warm invocation the context is set again, so that its lines say
 * `cold_start: false` as the invocation's other lines do.
 */
function loggerForRecord(
  logger: Logger,
  keys: Record<string, string | undefined>,
  batch: BatchState,
): Logger {
  const child = logger.createChild({ persistentKeys: keys });
  if (batch.lambdaContext && !batch.coldStart) child.addContext(batch.lambdaContext);
  return child;
}

/**
 * Disposes of a record that can never succeed (its body is not a valid event, or `error` is
 * poison): on the dead-letter queue with the rejection and acknowledged (the event record says
 * so), or, without a dead-letter queue or when the send fails, failed with `error` (retried).
 */
async function rejectRecord(
  record: SQSRecord,
  rejection: Rejection,
  error: unknown,
  dependencies: RecordProcessorDependencies,
  batch: BatchState,
  recorded: RecordedEvent | undefined,
): Promise<void> {
  const { logger, deadLetterQueue } = dependencies;
  const { metrics: batchMetrics, deadline } = batch;
  const attributes = readAttributes(record);
  const keys = {
    messageId: record.messageId,
    eventId: attributes.eventKey ?? record.messageId,
    eventType: rejection.eventType ?? attributes.eventType,
    reason: rejection.reason,
    error: rejection.message,
  };
  if (deadLetterQueue) {
    try {
      await deadLetterQueue.send(rejectedMessage(record, rejection), deadline.signal);
    } catch (sendError) {
      logger.error('message not processable', { ...keys, deadLetterError: (sendError as Error).message });
      batchMetrics.failed(rejection.eventType);
      throw error;
    }
    batchMetrics.rejected(rejection.eventType);
    logger.error('message moved to the dead-letter queue', keys);
    await writeRecord(dependencies, batch, recorded, (records, signal) =>
      records.markDeadLettered(recorded!, rejection.reason, rejection.message, signal),
    );
    return;
  }
  batchMetrics.failed(rejection.eventType);
  logger.error('message not processable', keys);
  throw error;
}

/**
 * The event a record's run is recorded under: its verifier event key, with the type and connection
 * of the parsed event (else the `eventType` attribute); none for a message without the key.
 */
function recordedEventOf(record: SQSRecord, queued?: QueuedEvent): RecordedEvent | undefined {
  const attributes = queued?.attributes ?? readAttributes(record);
  if (!attributes.eventKey) return undefined;
  const eventType = queued?.event.type ?? attributes.eventType;
  const connectionId = queued?.event.connectionId;
  return {
    eventKey: attributes.eventKey,
    ...(eventType && { eventType }),
    ...(connectionId && { connectionId }),
  };
}

/**
 * How an earlier delivery of this event ended: `processed` when the record says its handler
 * succeeded (or, for a replay, that this replay's run did; then it is skipped, logged and counted),
 * `handled` when the handler succeeded but its publish to the event bus failed. Any other replay
 * runs: re-running a window is the user's explicit choice. A message without the verifier's event
 * key has nothing to look up.
 */
async function earlierRun(
  queued: QueuedEvent,
  { eventRecords, logger }: RecordProcessorDependencies,
  { metrics, deadline }: BatchState,
): Promise<'processed' | 'handled' | undefined> {
  if (!eventRecords || !queued.attributes.eventKey) return undefined;
  if (queued.replay && !queued.replayId) return undefined;
  const record = await eventRecords.read(queued.eventId, deadline.signal);
  const done = queued.replay ? record?.replays?.[queued.replayId!] : record?.processedAt;
  if (!done) return !queued.replay && record?.handledAt ? 'handled' : undefined;
  metrics.duplicateSkipped();
  logger.info('duplicate event skipped: its handler already succeeded', {
    messageId: queued.messageId,
    receivedAt: queued.receivedAt?.toISOString(),
    ...(queued.replay && { replayId: queued.replayId }),
  });
  return 'processed';
}

/** A failed publish, already recorded and counted: the record fails with its cause. */
class PublishFailedError extends Error {}

/**
 * Publishes a handled event to the event bus, when there is one and the event is to be published
 * (a replay only with `replay --publish`); whether it was. A failed publish is counted
 * (`EventsNotPublished`), written to the record (`handledAt`, so that the retry only publishes),
 * and fails the record like a failing handler.
 */
async function publishHandled(
  record: SQSRecord,
  queued: QueuedEvent,
  dependencies: RecordProcessorDependencies,
  batch: BatchState,
  recorded: RecordedEvent | undefined,
): Promise<boolean> {
  const { eventBus, logger } = dependencies;
  if (!eventBus || (queued.replay && !queued.publishReplay)) return false;
  try {
    await eventBus.publish(queued, batch.deadline.signal);
    return true;
  } catch (error) {
    batch.metrics.notPublished();
    batch.metrics.failed(queued.event.type);
    logger.error('event handled but not published to the event bus; it will be retried', error as Error);
    const lastAttempt = isLastAttempt(record, dependencies);
    if (!queued.replay) {
      await writeRecord(dependencies, batch, recorded, (records, signal) =>
        records.markHandled(recorded!, error, lastAttempt, signal),
      );
    }
    throw new PublishFailedError('not published', { cause: error });
  }
}

/**
 * Records a handled event (a replay under its replay id). A failed write is logged and counted
 * (`ProcessedRecordWriteFailures`, which has an alarm), not thrown: the handler has succeeded, and
 * failing the message would run it again now, which is what the record exists to prevent.
 */
async function recordProcessed(
  queued: QueuedEvent,
  { eventRecords, logger }: RecordProcessorDependencies,
  { metrics, deadline }: BatchState,
  recorded: RecordedEvent | undefined,
  published: boolean,
): Promise<void> {
  if (!eventRecords || !recorded || (queued.replay && !queued.replayId)) return;
  try {
    // Aborted at the deadline too: an answer in time acknowledges the handled event, while
    // Lambda's timeout would bring the whole batch back and run this handler again.
    await (queued.replay
      ? eventRecords.markReplayed(recorded, queued.replayId!, deadline.signal)
      : eventRecords.markProcessed(recorded, deadline.signal, { published }));
  } catch (error) {
    metrics.processedRecordWriteFailed();
    logger.error('could not record the event as processed; a late duplicate of it would run again', {
      error: error as Error,
    });
  }
}

/**
 * Records a failed attempt; at the queue's last receive (`maxReceiveCount`) also that SQS moves
 * the message to the dead-letter queue, which nothing else will tell the record.
 */
function recordFailure(
  record: SQSRecord,
  error: unknown,
  dependencies: RecordProcessorDependencies,
  batch: BatchState,
  recorded: RecordedEvent | undefined,
): Promise<void> {
  const lastAttempt = isLastAttempt(record, dependencies);
  return writeRecord(dependencies, batch, recorded, (records, signal) =>
    records.markFailed(recorded!, error, lastAttempt, signal),
  );
}

/** Whether this receive is the queue's last before SQS moves the message to the dead-letter queue. */
function isLastAttempt(record: SQSRecord, { maxReceiveCount }: RecordProcessorDependencies): boolean {
  return Number(record.attributes.ApproximateReceiveCount) >= (maxReceiveCount ?? Number.POSITIVE_INFINITY);
}

/**
 * Writes how a failed run ended to the event record. A failed write is only logged: the record
 * then misses an attempt, which changes nothing about what runs next.
 */
async function writeRecord(
  { eventRecords, logger }: RecordProcessorDependencies,
  { deadline }: BatchState,
  recorded: RecordedEvent | undefined,
  write: (records: EventRecords, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  // An attempt cut off by the deadline: the write would be aborted too.
  if (!eventRecords || !recorded || deadline.signal.aborted) return;
  try {
    await write(eventRecords, deadline.signal);
  } catch (error) {
    logger.warn('could not write the failed attempt to the event record', { error: error as Error });
  }
}

function handlerContext(
  queued: QueuedEvent,
  { logger, connections, rules, dynamodb }: RecordProcessorDependencies,
  { lambdaContext, deadline }: BatchState,
): HandlerContext {
  return {
    eventId: queued.eventId,
    eventTime: queued.eventTime,
    eventTimeSource: queued.eventTimeSource,
    ...(queued.receivedAt && { receivedAt: queued.receivedAt }),
    replay: queued.replay,
    ...(queued.sequenceNumber && { sequenceNumber: queued.sequenceNumber }),
    rawBody: queued.rawBody,
    attributes: queued.attributes,
    logger,
    connections,
    rules,
    dynamodb,
    signal: deadline.signal,
    ...(lambdaContext && { lambdaContext }),
  };
}
