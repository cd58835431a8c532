/**
 * Processing of one SQS record: parse the queued body into a typed event, skip it when its handler
 * already succeeded (the processed-events record), route it to its handler, record it, then log
 * and count the outcome. Any error fails this record (and, through the FIFO batch processor, the
 * rest of its message group in the batch); so does an archive write that failed for it.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSRecord } from 'aws-lambda';
import { ArchiveWriteError } from './archive.ts';
import type { ConnectionRegistry } from './connections.ts';
import type { BatchMetrics } from './metrics.ts';
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
}

/** What the records of one invocation share. */
export interface BatchState {
  readonly metrics: BatchMetrics;
  /** The Lambda context of the invocation, when there is one. */
  readonly lambdaContext?: Context;
  /** Message ids whose archive write failed, with the reason: they fail instead of running. */
  readonly notArchived?: ReadonlyMap<string, string>;
}

/** The per-record function of one invocation's batch. */
export function createRecordProcessor(
  dependencies: RecordProcessorDependencies,
  batch: BatchState,
): (record: SQSRecord) => Promise<void> {
  const { logger, clock } = dependencies;
  return async (record) => {
    const notArchived = batch.notArchived?.get(record.messageId);
    if (notArchived !== undefined) {
      batch.metrics.archiveFailed();
      throw new ArchiveWriteError(record.messageId, notArchived);
    }
    const queued = parseRecord(record, logger, batch.metrics);
    const { event, eventId, eventTime } = queued;
    // Account-wide events (rules.updated) have no connection: the key is left out of their lines.
    const keys = { eventId, eventType: event.type, connectionId: event.connectionId };
    logger.appendKeys(keys);
    try {
      try {
        if (await isAlreadyProcessed(queued, dependencies, batch.metrics)) return;
        await dependencies.route(event, handlerContext(queued, dependencies, batch.lambdaContext));
      } catch (error) {
        // A handler that threw, or a processed-events record that could not be read.
        batch.metrics.failed(event.type);
        logger.error('event failed', error as Error);
        throw error;
      }
      await recordProcessed(queued, dependencies);
      const lagMs = clock() - eventTime.getTime();
      batch.metrics.processed(event.type, lagMs);
      logger.info('event processed', { ...keys, eventTimestamp: eventTime.toISOString(), lagMs });
    } finally {
      logger.removeKeys(Object.keys(keys));
    }
  };
}

/** The record's event, or a logged and counted {@link UnprocessableMessageError}. */
function parseRecord(record: SQSRecord, logger: Logger, metrics: BatchMetrics): QueuedEvent {
  try {
    return readQueuedEvent(record);
  } catch (error) {
    if (!(error instanceof UnprocessableMessageError)) throw error;
    const attributes = readAttributes(record);
    metrics.failed(error.eventType);
    logger.error('message not processable', {
      messageId: record.messageId,
      eventId: attributes.eventKey ?? record.messageId,
      eventType: error.eventType ?? attributes.eventType,
      reason: error.reason,
      error: error.message,
    });
    throw error;
  }
}

/**
 * Whether this delivery's event key was already handled (then it is skipped, logged and counted).
 * Replays bypass the record: re-running a window is the user's explicit choice. A message without
 * the verifier's event key has nothing to look up.
 */
async function isAlreadyProcessed(
  queued: QueuedEvent,
  { processedEvents, logger }: RecordProcessorDependencies,
  metrics: BatchMetrics,
): Promise<boolean> {
  if (!processedEvents || queued.replay || !queued.attributes.eventKey) return false;
  if (!(await processedEvents.has(queued.eventId))) return false;
  metrics.duplicateSkipped();
  logger.info('duplicate event skipped: its handler already succeeded', {
    messageId: queued.messageId,
    receivedAt: queued.receivedAt?.toISOString(),
  });
  return true;
}

/**
 * Records a handled event key. A failed write is logged, not thrown: the handler has succeeded,
 * and failing the message would run it again now, which is what the record exists to prevent.
 */
async function recordProcessed(
  queued: QueuedEvent,
  { processedEvents, logger }: RecordProcessorDependencies,
): Promise<void> {
  if (!processedEvents || queued.replay || !queued.attributes.eventKey) return;
  try {
    await processedEvents.record(queued.eventId, queued.event.type);
  } catch (error) {
    logger.error('could not record the event as processed; a late duplicate of it would run again', {
      error: error as Error,
    });
  }
}

function handlerContext(
  queued: QueuedEvent,
  { logger, connections, rules, dynamodb }: RecordProcessorDependencies,
  lambdaContext: Context | undefined,
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
    ...(lambdaContext && { lambdaContext }),
  };
}
