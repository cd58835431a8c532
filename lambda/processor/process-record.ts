/**
 * Processing of one SQS record: parse the queued body into a typed event, route it to its
 * handler, then log and count the outcome. Any error fails this record (and, through the FIFO
 * batch processor, the rest of its message group in the batch).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSRecord } from 'aws-lambda';
import type { ConnectionRegistry } from './connections.ts';
import type { BatchMetrics } from './metrics.ts';
import { readAttributes, readQueuedEvent, UnprocessableMessageError } from './queued-event.ts';
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
}

/** The per-record function of one invocation's batch. */
export function createRecordProcessor(
  dependencies: RecordProcessorDependencies,
  batchMetrics: BatchMetrics,
  lambdaContext?: Context,
): (record: SQSRecord) => Promise<void> {
  const { route, logger, connections, rules, dynamodb, clock } = dependencies;
  return async (record) => {
    let queued: ReturnType<typeof readQueuedEvent>;
    try {
      queued = readQueuedEvent(record);
    } catch (error) {
      if (!(error instanceof UnprocessableMessageError)) throw error;
      const attributes = readAttributes(record);
      batchMetrics.failed(error.eventType);
      logger.error('message not processable', {
        messageId: record.messageId,
        eventId: attributes.eventKey ?? record.messageId,
        eventType: error.eventType ?? attributes.eventType,
        reason: error.reason,
        error: error.message,
      });
      throw error;
    }
    const { event, eventId, eventTime } = queued;
    // Account-wide events (rules.updated) have no connection: the key is left out of their lines.
    const keys = { eventId, eventType: event.type, connectionId: event.connectionId };
    logger.appendKeys(keys);
    try {
      const context: HandlerContext = {
        eventId,
        eventTime,
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
      try {
        await route(event, context);
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
        eventTimeSource: queued.eventTimeSource,
        lagMs,
      });
    } finally {
      logger.removeKeys(Object.keys(keys));
    }
  };
}
