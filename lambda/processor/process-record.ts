/**
 * Processing of one SQS record: parse the queued body into a typed event, route it to its
 * handler, then log and count the outcome.
 *
 * A body that can never become a valid event is put on the dead-letter queue at once and
 * acknowledged, so that its connection's later events go on (docs/architecture.md, failure
 * model); only when that send fails does it fail like a handler error. Any handler error fails
 * this record (and, through the FIFO batch processor, the rest of its message group in the batch),
 * to be retried.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSRecord } from 'aws-lambda';
import type { ConnectionRegistry } from './connections.ts';
import { type DeadLetterQueue, rejectedMessage } from './dead-letters.ts';
import type { BatchMetrics } from './metrics.ts';
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
  /**
   * Where messages that can never become an event go at once.
   * @default none: such a message fails and is retried until SQS moves it after maxReceiveCount
   */
  readonly deadLetterQueue?: DeadLetterQueue;
}

/**
 * Disposes of a record whose body is not a valid event: on the dead-letter queue and
 * acknowledged, or, without a dead-letter queue or when the send fails, failed (retried).
 */
async function rejectRecord(
  record: SQSRecord,
  error: UnprocessableMessageError,
  { logger, deadLetterQueue }: RecordProcessorDependencies,
  batchMetrics: BatchMetrics,
): Promise<void> {
  const attributes = readAttributes(record);
  const keys = {
    messageId: record.messageId,
    eventId: attributes.eventKey ?? record.messageId,
    eventType: error.eventType ?? attributes.eventType,
    reason: error.reason,
    error: error.message,
  };
  if (deadLetterQueue) {
    try {
      await deadLetterQueue.send(rejectedMessage(record, error));
      batchMetrics.rejected(error.eventType);
      logger.error('message moved to the dead-letter queue', keys);
      return;
    } catch (sendError) {
      logger.error('message not processable', { ...keys, deadLetterError: (sendError as Error).message });
      batchMetrics.failed(error.eventType);
      throw error;
    }
  }
  batchMetrics.failed(error.eventType);
  logger.error('message not processable', keys);
  throw error;
}

/** The context a handler gets for one queued event. */
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

/** The per-record function of one invocation's batch. */
export function createRecordProcessor(
  dependencies: RecordProcessorDependencies,
  batchMetrics: BatchMetrics,
  lambdaContext?: Context,
): (record: SQSRecord) => Promise<void> {
  const { route, logger, clock } = dependencies;
  return async (record) => {
    let queued: QueuedEvent;
    try {
      queued = readQueuedEvent(record);
    } catch (error) {
      if (!(error instanceof UnprocessableMessageError)) throw error;
      return rejectRecord(record, error, dependencies, batchMetrics);
    }
    const { event, eventId, eventTime, eventTimeSource } = queued;
    // Account-wide events (rules.updated) have no connection: the key is left out of their lines.
    const keys = { eventId, eventType: event.type, connectionId: event.connectionId };
    logger.appendKeys(keys);
    try {
      try {
        await route(event, handlerContext(queued, dependencies, lambdaContext));
      } catch (error) {
        batchMetrics.failed(event.type);
        logger.error('event failed', error as Error);
        throw error;
      }
      const lagMs = clock() - eventTime.getTime();
      batchMetrics.processed(event.type, lagMs);
      logger.info('event processed', {
        ...keys,
        eventTimestamp: eventTime.toISOString(),
        eventTimeSource,
        lagMs,
      });
    } finally {
      logger.removeKeys(Object.keys(keys));
    }
  };
}
