/**
 * The processor Lambda: SQS FIFO batches in, partial batch responses out.
 *
 * Records run in order through Powertools' `SqsFifoPartialProcessorAsync` with
 * `skipGroupOnError`: when a connection's handler throws, that message and the rest of its message
 * group in the batch are reported as failures (retried later, still in order) while other
 * connections go on. The response always lists failures rather than failing the invocation, so a
 * batch whose every message failed is retried the same way; `EventsFailed` counts them. A message
 * whose body can never become a valid event goes to the dead-letter queue at once and is
 * acknowledged (`EventsRejected`), so it never holds back its connection.
 */
import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { optionalEnv } from '../shared/config.ts';
import { METRICS_NAMESPACE, SERVICE_NAMES } from '../shared/metrics.ts';
import { documentClient, getSqsClient } from './clients.ts';
import { getProcessorConfig, loadDeadLetterQueueUrl } from './config.ts';
import { ConnectionRegistry } from './connections.ts';
import { type DeadLetterQueue, SqsDeadLetterQueue } from './dead-letters.ts';
import { defaultHandlers, defaultOnUnknownEvent } from './handlers/index.ts';
import { BatchMetrics } from './metrics.ts';
import { createRecordProcessor } from './process-record.ts';
import { createRouter, type EventHandlers, type UnknownEventHandler } from './router.ts';
import { RulesStore } from './rules.ts';

/** The processor's Lambda handler type. */
export type ProcessorHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** Options of {@link createProcessorHandler}; every one has a production default. */
export interface ProcessorHandlerOptions {
  /** Handlers merged over the defaults, key by key. @default defaultHandlers */
  readonly handlers?: Partial<EventHandlers>;
  /** The handler of unknown types. @default log and acknowledge */
  readonly onUnknownEvent?: UnknownEventHandler;
  /** The connections table. @default CONNECTIONS_TABLE_NAME */
  readonly connectionsTableName?: string;
  /** The connection registry. @default a registry of `connectionsTableName` */
  readonly connections?: ConnectionRegistry;
  /** The Dynamic Rules store. @default a store of `connectionsTableName` */
  readonly rules?: RulesStore;
  /** The document client handed to handlers and default stores. @default the shared client */
  readonly dynamodb?: DynamoDBDocumentClient;
  /** @default a Logger for POWERTOOLS_SERVICE_NAME (ofauth-processor) */
  readonly logger?: Logger;
  /** @default a Metrics for POWERTOOLS_METRICS_NAMESPACE (OFAuthWebhooks) */
  readonly metrics?: Metrics;
  /** Milliseconds since the epoch, for the processing lag. @default Date.now */
  readonly clock?: () => number;
  /**
   * Where messages whose body can never become a valid event go at once.
   * @default the queue at DEAD_LETTER_QUEUE_URL; when unset, such messages fail and are retried
   */
  readonly deadLetterQueue?: DeadLetterQueue;
}

/** The dead-letter queue named by DEAD_LETTER_QUEUE_URL, read when a handler is built. */
function defaultDeadLetterQueue(): DeadLetterQueue | undefined {
  const queueUrl = loadDeadLetterQueueUrl();
  return queueUrl ? new SqsDeadLetterQueue({ queueUrl, client: getSqsClient }) : undefined;
}

/**
 * Builds a processor handler: middy with the Powertools Logger middleware around the FIFO batch
 * processor and the typed router.
 *
 * @example
 * // A processor whose `connection.updated` handler is your own, the rest the defaults:
 * export const handler = createProcessorHandler({
 *   handlers: { 'connection.updated': async (event, context) => { … } },
 * });
 */
export function createProcessorHandler(options: ProcessorHandlerOptions = {}): ProcessorHandler {
  const serviceName = optionalEnv('POWERTOOLS_SERVICE_NAME', SERVICE_NAMES.processor);
  const logger = options.logger ?? new Logger({ serviceName });
  const metrics =
    options.metrics ??
    new Metrics({ namespace: optionalEnv('POWERTOOLS_METRICS_NAMESPACE', METRICS_NAMESPACE), serviceName });
  const dynamodb = options.dynamodb ?? documentClient;
  const tableName = () => options.connectionsTableName ?? getProcessorConfig().connectionsTableName;
  const connections =
    options.connections ?? new ConnectionRegistry({ tableName: tableName(), client: dynamodb });
  const rules = options.rules ?? new RulesStore({ tableName: tableName(), client: dynamodb });
  const route = createRouter(
    { ...defaultHandlers, ...options.handlers } as EventHandlers,
    options.onUnknownEvent ?? defaultOnUnknownEvent,
  );
  const processor = new SqsFifoPartialProcessorAsync();
  const deadLetterQueue = options.deadLetterQueue ?? defaultDeadLetterQueue();
  const dependencies = {
    route,
    logger,
    connections,
    rules,
    dynamodb,
    clock: options.clock ?? Date.now,
    ...(deadLetterQueue && { deadLetterQueue }),
  };

  const processBatch = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const batchMetrics = new BatchMetrics();
    try {
      const response = await processPartialResponse(
        event,
        createRecordProcessor(dependencies, batchMetrics, context),
        processor,
        { context, skipGroupOnError: true, throwOnFullBatchFailure: false },
      );
      const failures = response.batchItemFailures.length;
      logger.info('batch processed', {
        records: event.Records.length,
        failed: batchMetrics.failedCount,
        rejected: batchMetrics.rejectedCount,
        skippedAfterGroupFailure: failures - batchMetrics.failedCount,
      });
      return response;
    } finally {
      batchMetrics.publish(metrics);
    }
  };

  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(processBatch);
}

let defaultHandler: ProcessorHandler | undefined;

/**
 * The deployed entry point: the default handlers over the table named by
 * `CONNECTIONS_TABLE_NAME`. Built on the first invocation, so that importing this module (tests,
 * the local pipeline) needs no environment; a missing variable fails that invocation loudly.
 */
export const handler: ProcessorHandler = (event, context) => {
  defaultHandler ??= createProcessorHandler();
  return defaultHandler(event, context);
};
