/**
 * The order the processor gives a connection's events, end to end from SQS records to the
 * registry on DynamoDB Local: an event time never far in the future (a future-stamped event must
 * not freeze its connection), and ties within one second decided by the receipt time the verifier
 * stamped, which a redrive or a replay keeps, never by the queue's sequence number, which they
 * renew.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { ConnectionRegistry } from '../../lambda/processor/connections.ts';
import { createProcessorHandler } from '../../lambda/processor/handler.ts';
import type { ConnectionEventType } from '../../lambda/shared/event-model.ts';
import { connectionEvent } from '../fixtures/events.ts';
import { testLogger } from '../fixtures/handler-context.ts';
import { type CapturedOutput, captureStdout } from '../fixtures/output.ts';
import { lambdaContext, sqsEvent, sqsRecord } from '../fixtures/sqs-events.ts';
import { createTestResources } from '../support/emulators.ts';

let registry: ConnectionRegistry;
let run: (...records: SQSRecord[]) => Promise<unknown>;
let output: CapturedOutput;

beforeAll(async () => {
  const resources = await createTestResources();
  const documents = DynamoDBDocumentClient.from(resources.dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  registry = new ConnectionRegistry({ tableName: resources.connectionsTableName, client: documents });
  const handle = createProcessorHandler({
    connectionsTableName: resources.connectionsTableName,
    dynamodb: documents,
    logger: testLogger(),
    metrics: new Metrics({ namespace: 'OFAuthWebhooks', serviceName: 'ofauth-processor' }),
    archive: false,
    processedEvents: false,
  });
  run = (...records) => handle(sqsEvent(...records), lambdaContext());
});
beforeEach(() => {
  output = captureStdout();
});
afterEach(() => output.restore());

let counter = 0;
function freshConnectionId(label: string): string {
  counter += 1;
  return `conn_${label}_${Date.now().toString(36)}_${counter}`;
}

/** A queued connection event as the verifier hands it on: stamped `timestamp`, received at `receivedAt`. */
function queued(
  type: ConnectionEventType,
  connectionId: string,
  times: { readonly timestamp: string; readonly receivedAt: string },
  permissions: readonly string[],
): SQSRecord {
  return sqsRecord({
    body: connectionEvent(type, { connectionId, timestamp: times.timestamp, permissions: [...permissions] }),
    eventKey: `key-${connectionId}-${type}-${permissions.join('+')}`,
    receivedAt: times.receivedAt,
  });
}

describe('an event stamped in the future', () => {
  it('does not hold back a later event of its connection: its time is its receipt', async () => {
    // GIVEN a signed update stamped two days after the verifier received it
    const id = freshConnectionId('future');
    await run(
      queued(
        'connection.updated',
        id,
        { timestamp: '2024-01-17T10:30:00Z', receivedAt: '2024-01-15T10:30:00.000Z' },
        ['future'],
      ),
    );
    // WHEN the connection's next update, stamped correctly one second later, is processed
    await run(
      queued(
        'connection.updated',
        id,
        { timestamp: '2024-01-15T10:30:01Z', receivedAt: '2024-01-15T10:30:01.200Z' },
        ['later'],
      ),
    );
    // THEN the later update applies, and the future-stamped one was ordered by its receipt
    expect(await registry.get(id)).toMatchObject({
      permissions: ['later'],
      lastEventAt: '2024-01-15T10:30:01.000Z',
    });
    expect(output.logs('event processed').map((line) => line.eventTimeSource)).toEqual([
      'received-future',
      'envelope',
    ]);
  });
});
