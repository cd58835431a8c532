/**
 * Builds a processor Lambda handler from a handler map: SQS FIFO batches in, partial batch
 * responses out.
 *
 * Records run in order through Powertools' `SqsFifoPartialProcessorAsync` with
 * `skipGroupOnError`: when a connection's handler throws, that message and the rest of its message
 * group in the batch are reported as failures (retried later, still in order) while other
 * connections go on. The response always lists failures rather than failing the invocation, so a
 * batch whose every message failed is retried the same way; `EventsFailed` counts them.
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
import { documentClient } from './clients.ts';
import { getProcessorConfig } from './config.ts';
import { ConnectionRegistry } from './connections.ts';
import { defaultHandlers, defaultOnUnknownEvent } from './default-handlers/index.ts';
import { BatchMetrics } from './metrics.ts';
import { createRecordProcessor, type RecordProcessorDependencies } from './process-record.ts';
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
}

/**
 * Builds a processor handler: middy with the Powertools Logger middleware around the FIFO batch
 * processor and the typed router. The stores are created on the first invocation, so a handler
 * file that calls this at module scope can be imported (by tests, by tools) without the
 * function's environment.
 *
 * @example
 * // A processor whose `connection.updated` handler is your own, the rest the defaults:
 * import { createProcessorHandler } from 'ofauth-webhook-receiver/processor';
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
  const route = createRouter(
    { ...defaultHandlers, ...options.handlers } as EventHandlers,
    options.onUnknownEvent ?? defaultOnUnknownEvent,
  );
  const processor = new SqsFifoPartialProcessorAsync();
  let dependencies: RecordProcessorDependencies | undefined;

  const processBatch = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    dependencies ??= { route, logger, ...createStores(options), clock: options.clock ?? Date.now };
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

/** The registry, the rules store and the client handed to handlers; reads the table name only when needed. */
function createStores(
  options: ProcessorHandlerOptions,
): Pick<RecordProcessorDependencies, 'connections' | 'rules' | 'dynamodb'> {
  const dynamodb = options.dynamodb ?? documentClient;
  const tableName = () => options.connectionsTableName ?? getProcessorConfig().connectionsTableName;
  return {
    dynamodb,
    connections: options.connections ?? new ConnectionRegistry({ tableName: tableName(), client: dynamodb }),
    rules: options.rules ?? new RulesStore({ tableName: tableName(), client: dynamodb }),
  };
}
