/**
 * Processing of one SQS record: parse the queued body into a typed event, skip it when its handler
 * already succeeded (the processed-events record), route it to its handler, record it, then log
 * and count the outcome.
 *
 * A body that can never become a valid event is put on the dead-letter queue at once and
 * acknowledged, so that its connection's later events go on (docs/architecture.md, failure
 * model); so is an event whose handler failed in a way no retry cures (`poison.ts`: a write
 * DynamoDB refuses with a `ValidationException`, a `PoisonEventError`). Only when that send fails
 * does it fail like a handler error. Any other handler error fails this record (and, through the
 * FIFO batch processor, the rest of its message group in the batch), to be retried; so does an
 * archive write that failed for it, and so does the invocation's deadline (`deadline.ts`): a
 * record is not started once less than the margin is left.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSRecord } from 'aws-lambda';
import { ArchiveWriteError } from './archive.ts';
import type { ConnectionRegistry } from './connections.ts';
import { type DeadLetterQueue, rejectedMessage } from './dead-letters.ts';
import { DeadlineDeferralError, type InvocationDeadline } from './deadline.ts';
import type { BatchMetrics } from './metrics.ts';
import { poisonRejection, type Rejection } from './poison.ts';
import type { ProcessedEvents } from './processed-events.ts';
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
  /** The processed-events record; absent when it is switched off. */
  readonly processedEvents?: ProcessedEvents;
  /**
   * Where messages that can never become an event go at once.
   * @default none: such a message fails and is retried until SQS moves it after maxReceiveCount
   */
  readonly deadLetterQueue?: DeadLetterQueue;
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
      return rejectRecord(record, error, error, dependencies, batch);
    }
    const { event, eventId, eventTime, eventTimeSource } = queued;
    // Account-wide events (rules.updated) have no connection: the key is left out of their lines.
    const keys = { eventId, eventType: event.type, connectionId: event.connectionId };
    // A logger of this record's own: other connections' records run at the same time.
    const recordLogger = loggerForRecord(logger, keys, batch);
    const recordDependencies = { ...dependencies, logger: recordLogger };
    try {
      if (await isAlreadyProcessed(queued, recordDependencies, batch)) return;
      await dependencies.route(event, handlerContext(queued, recordDependencies, batch));
    } catch (error) {
      // A handler that threw, or a processed-events record that could not be read.
      const poison = poisonRejection(error, event.type);
      if (poison) return rejectRecord(record, poison, error, recordDependencies, batch);
      batch.metrics.failed(event.type);
      recordLogger.error('event failed', error as Error);
      throw error;
    }
    await recordProcessed(queued, recordDependencies, batch);
    const lagMs = clock() - eventTime.getTime();
    batch.metrics.processed(event.type, lagMs);
    recordLogger.info('event processed', {
      eventTimestamp: eventTime.toISOString(),
      eventTimeSource,
      ...(queued.replay && { replay: true }),
      lagMs,
    });
  };
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
 * poison): on the dead-letter queue with the rejection and acknowledged, or, without a dead-letter
 * queue or when the send fails, failed with `error` (retried).
 */
async function rejectRecord(
  record: SQSRecord,
  rejection: Rejection,
  error: unknown,
  { logger, deadLetterQueue }: RecordProcessorDependencies,
  { metrics: batchMetrics, deadline }: BatchState,
): Promise<void> {
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
      batchMetrics.rejected(rejection.eventType);
      logger.error('message moved to the dead-letter queue', keys);
      return;
    } catch (sendError) {
      logger.error('message not processable', { ...keys, deadLetterError: (sendError as Error).message });
      batchMetrics.failed(rejection.eventType);
      throw error;
    }
  }
  batchMetrics.failed(rejection.eventType);
  logger.error('message not processable', keys);
  throw error;
}

/**
 * Whether this delivery's event key was already handled (then it is skipped, logged and counted).
 * Replays bypass the record: re-running a window is the user's explicit choice. A message without
 * the verifier's event key has nothing to look up.
 */
async function isAlreadyProcessed(
  queued: QueuedEvent,
  { processedEvents, logger }: RecordProcessorDependencies,
  { metrics, deadline }: BatchState,
): Promise<boolean> {
  if (!processedEvents || queued.replay || !queued.attributes.eventKey) return false;
  if (!(await processedEvents.has(queued.eventId, deadline.signal))) return false;
  metrics.duplicateSkipped();
  logger.info('duplicate event skipped: its handler already succeeded', {
    messageId: queued.messageId,
    receivedAt: queued.receivedAt?.toISOString(),
  });
  return true;
}

/**
 * Records a handled event key. A failed write is logged and counted (`ProcessedRecordWriteFailures`,
 * which has an alarm), not thrown: the handler has succeeded, and failing the message would run it
 * again now, which is what the record exists to prevent.
 */
async function recordProcessed(
  queued: QueuedEvent,
  { processedEvents, logger }: RecordProcessorDependencies,
  { metrics, deadline }: BatchState,
): Promise<void> {
  if (!processedEvents || queued.replay || !queued.attributes.eventKey) return;
  try {
    // Aborted at the deadline too: an answer in time acknowledges the handled event, while
    // Lambda's timeout would bring the whole batch back and run this handler again.
    await processedEvents.record(queued.eventId, queued.event.type, deadline.signal);
  } catch (error) {
    metrics.processedRecordWriteFailed();
    logger.error('could not record the event as processed; a late duplicate of it would run again', {
      error: error as Error,
    });
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
