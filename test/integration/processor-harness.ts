/**
 * The processor wired to one test file's tables on DynamoDB Local, as the integration tests build
 * it, and a read of the record it keeps of an event.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { createProcessorHandler, type ProcessorHandlerOptions } from '../../lambda/processor/handler.ts';
import { PROCESSED_EVENTS_TABLE } from '../../lambda/shared/resource-definitions.ts';
import { testLogger } from '../fixtures/handler-context.ts';
import type { createTestResources } from '../support/emulators.ts';

type Resources = Awaited<ReturnType<typeof createTestResources>>;

/**
 * A processor on the registry table of `resources` through `documents`, with the test logger, real
 * Metrics and no archive; `options` add or override the rest (handlers, record, dead-letter queue).
 */
export function emulatorProcessor(
  resources: Resources,
  documents: DynamoDBDocumentClient,
  options: ProcessorHandlerOptions = {},
) {
  return createProcessorHandler({
    connectionsTableName: resources.connectionsTableName,
    dynamodb: documents,
    logger: testLogger(),
    metrics: new Metrics({ namespace: 'OFAuthWebhooks', serviceName: 'ofauth-processor' }),
    archive: false,
    ...options,
  });
}

/** The processed-event record of `eventKey` (a consistent read), or undefined. */
export async function processedRecord(
  resources: Resources,
  documents: DynamoDBDocumentClient,
  eventKey: string,
): Promise<Record<string, unknown> | undefined> {
  const { Item } = await documents.send(
    new GetCommand({
      TableName: resources.processedEventsTableName,
      Key: { [PROCESSED_EVENTS_TABLE.partitionKey]: eventKey },
      ConsistentRead: true,
    }),
  );
  return Item;
}
