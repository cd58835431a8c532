/**
 * Builds a processor Lambda handler from a handler map: SQS FIFO batches in, partial batch
 * responses out.
 *
 * Each message group (connection) runs in order through a Powertools
 * `SqsFifoPartialProcessorAsync` of its own, and the batch's groups run side by side
 * (`message-groups.ts`): when a connection's handler throws, that message and the rest of its
 * group in the batch are reported as failures (retried later, still in order) while other
 * connections go on. The response always lists failures rather than failing the invocation, so a
 * batch whose every message failed is retried the same way; `EventsFailed` counts them. A message
 * whose body can never become a valid event goes to the dead-letter queue at once and is
 * acknowledged (`EventsRejected`), so it never holds back its connection.
 *
 * Each batch is archived first (`archive.ts`): a record the archive could not take fails before
 * its handler runs and comes back later. A delivery whose event key was already handled is
 * skipped (`processed-events.ts`).
 *
 * The invocation ends only when every handler it started has settled: middy's early timeout is
 * off, and records are not started within `deadlineMarginMs` of the function's timeout
 * (`deadline.ts`), so that no handler of an ended invocation runs on while Lambda retries its
 * messages.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { optionalEnv } from '../shared/config.ts';
import { PROCESSOR_ENVIRONMENT } from '../shared/deployment-names.ts';
import { createLogger } from '../shared/logger.ts';
import { METRICS_NAMESPACE, SERVICE_NAMES } from '../shared/metrics.ts';
import { type ArchiveWriter, archiveBatch } from './archive.ts';
import { archiveWriterFor } from './archive-writers.ts';
import { documentClient, getSqsClient } from './clients.ts';
import {
  getProcessorConfig,
  loadDeadLetterQueueUrl,
  loadMaxReceiveCount,
  loadRecordKeepingConfig,
} from './config.ts';
import { ConnectionRegistry } from './connections.ts';
import { type DeadLetterQueue, SqsDeadLetterQueue } from './dead-letters.ts';
import { checkDeadlineMargin, DEFAULT_DEADLINE_MARGIN_MS, invocationDeadline } from './deadline.ts';
import { defaultHandlers, defaultOnUnknownEvent } from './default-handlers/index.ts';
import { type EventPublisher, publisherFromEnvironment } from './event-bus.ts';
import { DynamoDbEventRecords, type EventRecords } from './event-records.ts';
import { processMessageGroups, recordsFromFirstOf } from './message-groups.ts';
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
  /**
   * Where messages whose body can never become a valid event go at once.
   * @default the queue at DEAD_LETTER_QUEUE_URL; when unset, such messages fail and are retried
   */
  readonly deadLetterQueue?: DeadLetterQueue;
  /**
   * Where each batch is archived before its handlers run; `false` switches the archive off.
   * @default from ARCHIVE_BUCKET_NAME and ARCHIVE_STREAM_NAME; off when they are unset
   */
  readonly archive?: ArchiveWriter | false;
  /**
   * Whether the message groups (connections) of one batch run at the same time, each still in
   * order. `false` runs them one after another, for handlers that must never overlap in one
   * process (e.g. module-level state that is not safe across awaits); batches then take the sum of
   * their groups' time. @default true
   */
  readonly concurrentGroups?: boolean;
  /**
   * The event records (`event-records.ts`): skip a key that already ran, record each run's end;
   * `false` switches them off (every delivery runs its handler). Named after the table they live
   * in, the processed-events table of earlier releases.
   * @default the table named by PROCESSED_EVENTS_TABLE_NAME; off when it is unset
   */
  readonly processedEvents?: EventRecords | false;
  /**
   * The queue's `maxReceiveCount`, so that the record of an event whose last attempt failed says
   * SQS moved it to the dead-letter queue.
   * @default MAX_RECEIVE_COUNT; when unset, no attempt is known to be the last
   */
  readonly maxReceiveCount?: number;
  /**
   * Milliseconds before the function's timeout from which no record is started: such a record
   * and the rest of its connection's records are handed back (`EventsDeferredByDeadline`) and
   * come back later, in order, and `HandlerContext.signal` aborts. Capped at a fifth of the time an
   * invocation starts with, so that a short timeout still spends most of its time on records.
   * @default 5000
   */
  readonly deadlineMarginMs?: number;
  /**
   * Where each handled event is published (`event-bus.ts`); `false` switches publishing off.
   * @default the bus named by EVENT_BUS_NAME; off when it is unset
   */
  readonly eventBus?: EventPublisher | false;
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
  const serviceName = optionalEnv(PROCESSOR_ENVIRONMENT.serviceName, SERVICE_NAMES.processor);
  const logger = options.logger ?? createLogger({ serviceName });
  const publisher =
    options.metrics ??
    new Metrics({
      namespace: optionalEnv(PROCESSOR_ENVIRONMENT.metricsNamespace, METRICS_NAMESPACE),
      serviceName,
    });
  const route = createRouter(
    { ...defaultHandlers, ...options.handlers } as EventHandlers,
    options.onUnknownEvent ?? defaultOnUnknownEvent,
  );
  const deadlineMarginMs = options.deadlineMarginMs ?? DEFAULT_DEADLINE_MARGIN_MS;
  checkDeadlineMargin(deadlineMarginMs);
  let firstInvocation = true;
  let dependencies: (RecordProcessorDependencies & { readonly archive?: ArchiveWriter }) | undefined;

  const processBatch = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    dependencies ??= {
      route,
      logger,
      ...createStores(options),
      clock: options.clock ?? Date.now,
      ...maxReceiveCountOf(options),
    };
    const coldStart = firstInvocation;
    firstInvocation = false;
    const { archive } = dependencies;
    const metrics = new BatchMetrics();
    const deadline = invocationDeadline(context, deadlineMarginMs);
    const deferred = new Set<string>();
    try {
      const notArchived = archive ? await archiveBatch(event.Records, archive, logger) : undefined;
      const response = await processMessageGroups(
        event,
        createRecordProcessor(dependencies, {
          ...{ metrics, lambdaContext: context, notArchived, coldStart, deadline, deferred },
        }),
        context,
        options.concurrentGroups !== false,
      );
      metrics.deferredByDeadline(recordsFromFirstOf(event.Records, deferred).length);
      logBatch(logger, event, response, metrics);
      return response;
    } finally {
      deadline.dispose();
      metrics.publish(publisher);
    }
  };

  // No early timeout: middy's would answer Lambda while the batch's handlers ran on (deadline.ts).
  // logEvent stays off whatever POWERTOOLS_LOGGER_LOG_EVENT says: the event carries users' payloads.
  return middy<SQSEvent, SQSBatchResponse>({ timeoutEarlyInMillis: 0 })
    .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
    .handler(processBatch);
}

/** The `batch processed` line: how the batch's records ended, the group rule's skips apart. */
function logBatch(logger: Logger, event: SQSEvent, response: SQSBatchResponse, metrics: BatchMetrics): void {
  const { failedCount, archiveFailedCount, deferredCount } = metrics;
  logger.info('batch processed', {
    records: event.Records.length,
    failed: failedCount,
    rejected: metrics.rejectedCount,
    notArchived: archiveFailedCount,
    deferredByDeadline: deferredCount,
    skippedAfterGroupFailure:
      response.batchItemFailures.length - failedCount - archiveFailedCount - deferredCount,
  });
}

/**
 * The registry, the rules store and the client handed to handlers, the dead-letter queue, the
 * archive writer and the event records; reads the environment only for what the options
 * leave out.
 */
function createStores(options: ProcessorHandlerOptions): Pick<
  RecordProcessorDependencies,
  'connections' | 'rules' | 'dynamodb' | 'deadLetterQueue' | 'eventRecords' | 'eventBus'
> & {
  readonly archive?: ArchiveWriter;
} {
  const dynamodb = options.dynamodb ?? documentClient;
  const tableName = () => options.connectionsTableName ?? getProcessorConfig().connectionsTableName;
  const deadLetterQueue = options.deadLetterQueue ?? defaultDeadLetterQueue();
  return {
    dynamodb,
    connections: options.connections ?? new ConnectionRegistry({ tableName: tableName(), client: dynamodb }),
    rules: options.rules ?? new RulesStore({ tableName: tableName(), client: dynamodb }),
    ...(deadLetterQueue && { deadLetterQueue }),
    ...eventBusOf(options),
    ...recordKeeping(options, dynamodb),
  };
}

/** The event bus publisher of the options, else of EVENT_BUS_NAME. */
function eventBusOf(options: ProcessorHandlerOptions): { eventBus?: EventPublisher } {
  const eventBus = options.eventBus ?? publisherFromEnvironment();
  return eventBus ? { eventBus } : {};
}

/** The queue's maxReceiveCount of the options, else of MAX_RECEIVE_COUNT. */
function maxReceiveCountOf(options: ProcessorHandlerOptions): { maxReceiveCount?: number } {
  const maxReceiveCount = options.maxReceiveCount ?? loadMaxReceiveCount();
  return maxReceiveCount === undefined ? {} : { maxReceiveCount };
}

/** The dead-letter queue named by DEAD_LETTER_QUEUE_URL. */
function defaultDeadLetterQueue(): DeadLetterQueue | undefined {
  const queueUrl = loadDeadLetterQueueUrl();
  return queueUrl ? new SqsDeadLetterQueue({ queueUrl, client: getSqsClient }) : undefined;
}

/** The archive writer and event records of the options, else of the environment. */
function recordKeeping(
  options: ProcessorHandlerOptions,
  dynamodb: DynamoDBDocumentClient,
): { archive?: ArchiveWriter; eventRecords?: EventRecords } {
  const needsEnvironment = options.archive === undefined || options.processedEvents === undefined;
  const config = needsEnvironment ? loadRecordKeepingConfig() : undefined;
  const archive = options.archive ?? (config && archiveWriterFor(config));
  const eventRecords =
    options.processedEvents ??
    (config?.processedEventsTableName &&
      new DynamoDbEventRecords({
        tableName: config.processedEventsTableName,
        ttlSeconds: config.processedEventTtlSeconds,
        client: dynamodb,
      }));
  return { ...(archive && { archive }), ...(eventRecords && { eventRecords }) };
}
