/**
 * What the processor builds from its environment when `createProcessorHandler`'s options leave a
 * part out, as the deployed function does: the archive (Firehose), the processed-events record,
 * the dead-letter queue, the logger's service name and the metrics' namespace; and that a
 * processor given both record-keeping parts reads none of it. The AWS clients are mocked
 * (aws-sdk-client-mock) to see which calls the built parts make.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { ConnectionRegistry } from '../../lambda/processor/connections.ts';
import { createProcessorHandler, type ProcessorHandlerOptions } from '../../lambda/processor/handler.ts';
import type { RulesStore } from '../../lambda/processor/rules.ts';
import { FakeStore, testLogger } from '../fixtures/handler-context.ts';
import { type CapturedOutput, captureStdout } from '../fixtures/output.ts';
import { connectionUpdatedRecord, lambdaContext, sqsEvent } from '../fixtures/sqs-events.ts';

const firehose = mockClient(FirehoseClient);
const documents = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);

/** The variables these tests set; each test starts without them and ends as it found them. */
const VARIABLES = [
  'ARCHIVE_BUCKET_NAME',
  'ARCHIVE_STREAM_NAME',
  'PROCESSED_EVENTS_TABLE_NAME',
  'DEAD_LETTER_QUEUE_URL',
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
  'POWERTOOLS_LOG_LEVEL',
  'POWERTOOLS_LOGGER_LOG_EVENT',
] as const;
let saved: Partial<Record<(typeof VARIABLES)[number], string>>;
let output: CapturedOutput;

beforeEach(() => {
  saved = {};
  for (const name of VARIABLES) {
    if (process.env[name] !== undefined) saved[name] = process.env[name];
    delete process.env[name];
  }
  firehose.reset();
  documents.reset();
  sqs.reset();
  firehose.on(PutRecordBatchCommand).callsFake((input: { Records: unknown[] }) => ({
    FailedPutCount: 0,
    RequestResponses: input.Records.map((_, index) => ({ RecordId: `record-${index}` })),
  }));
  documents.on(GetCommand).resolves({});
  documents.on(UpdateCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({ MessageId: 'dead-letter' });
  output = captureStdout();
});

afterEach(() => {
  output.restore();
  for (const name of VARIABLES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

/** A processor over fake stores, with only `options` given beyond them. */
function processor(options: ProcessorHandlerOptions = {}) {
  const handle = createProcessorHandler({
    connections: new FakeStore() as unknown as ConnectionRegistry,
    rules: new FakeStore() as unknown as RulesStore,
    dynamodb: DynamoDBDocumentClient.from(new DynamoDBClient({})),
    ...options,
  });
  return (body = connectionUpdatedRecord('A', 1)) => handle(sqsEvent(body), lambdaContext());
}

const tablesRead = () => documents.commandCalls(GetCommand).map((call) => call.args[0].input.TableName);
const streamsWritten = () =>
  firehose.commandCalls(PutRecordBatchCommand).map((call) => call.args[0].input.DeliveryStreamName);

describe('a processor whose options leave the record keeping out', () => {
  it('archives through the stream and checks the table that its environment names', async () => {
    // GIVEN the deployed function's environment: an archive stream and bucket, a processed-events table
    Object.assign(process.env, {
      ARCHIVE_BUCKET_NAME: 'archive-bucket',
      ARCHIVE_STREAM_NAME: 'archive-stream',
      PROCESSED_EVENTS_TABLE_NAME: 'processed-events',
    });
    // WHEN a batch is processed
    const response = await processor()();
    // THEN the event went to that stream, and its key was checked in that table and recorded
    expect(response.batchItemFailures).toEqual([]);
    expect(streamsWritten()).toEqual(['archive-stream']);
    expect(tablesRead()).toEqual(['processed-events']);
    expect(documents.commandCalls(UpdateCommand).map((call) => call.args[0].input.TableName)).toEqual([
      'processed-events',
    ]);
  });

  it('reads the environment for the part left out when the other is given', async () => {
    Object.assign(process.env, {
      ARCHIVE_BUCKET_NAME: 'archive-bucket',
      ARCHIVE_STREAM_NAME: 'archive-stream',
      PROCESSED_EVENTS_TABLE_NAME: 'processed-events',
    });
    // WHEN only the archive is switched off, then only the record
    await processor({ archive: false })();
    expect(streamsWritten()).toEqual([]);
    expect(tablesRead()).toEqual(['processed-events']);
    documents.resetHistory();
    await processor({ processedEvents: false })();
    // THEN each time the other part is still built from the environment
    expect(streamsWritten()).toEqual(['archive-stream']);
    expect(tablesRead()).toEqual([]);
  });

  it('reads no record-keeping environment when both parts are given', async () => {
    // GIVEN an environment that cannot be read (a stream without its bucket)
    process.env.ARCHIVE_STREAM_NAME = 'archive-stream';
    // WHEN a processor given both parts (both off) processes a batch
    const response = await processor({ archive: false, processedEvents: false })();
    // THEN it never read that environment: the batch succeeds without the archive or the record
    expect(response.batchItemFailures).toEqual([]);
    expect(streamsWritten()).toEqual([]);
    expect(tablesRead()).toEqual([]);
  });
});

describe('a processor whose options leave the dead-letter queue out', () => {
  it('puts a message that can never become an event on the queue named by DEAD_LETTER_QUEUE_URL', async () => {
    process.env.DEAD_LETTER_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/dead.fifo';
    const run = processor({ archive: false, processedEvents: false });
    // WHEN a body that is not JSON is processed
    const response = await run(connectionUpdatedRecord('A', 1));
    const poison = await run({ ...connectionUpdatedRecord('A', 2), body: '{"type":' });
    // THEN it went to that queue and was acknowledged
    expect(response.batchItemFailures).toEqual([]);
    expect(poison.batchItemFailures).toEqual([]);
    expect(sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input.QueueUrl)).toEqual([
      'https://sqs.us-east-1.amazonaws.com/123456789012/dead.fifo',
    ]);
  });
});

describe('a processor whose options leave the logger and metrics out', () => {
  it('logs and counts as ofauth-processor in the default namespace when the environment names neither', async () => {
    process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
    await processor({ archive: false, processedEvents: false })();
    expect(output.logs('batch processed')).toEqual([
      expect.objectContaining({ service: 'ofauth-processor' }),
    ]);
    const emf = output.metrics()[0] as {
      service?: string;
      _aws: { CloudWatchMetrics: Array<{ Namespace: string }> };
    };
    expect(emf.service).toBe('ofauth-processor');
    expect(emf._aws.CloudWatchMetrics[0]?.Namespace).toBe('OFAuthWebhooks');
  });

  it('takes the service name and namespace from POWERTOOLS_SERVICE_NAME and POWERTOOLS_METRICS_NAMESPACE', async () => {
    Object.assign(process.env, {
      POWERTOOLS_LOG_LEVEL: 'INFO',
      POWERTOOLS_SERVICE_NAME: 'orders-processor',
      POWERTOOLS_METRICS_NAMESPACE: 'Orders',
    });
    await processor({ archive: false, processedEvents: false })();
    expect(output.logs('batch processed')).toEqual([
      expect.objectContaining({ service: 'orders-processor' }),
    ]);
    const emf = output.metrics()[0] as { _aws: { CloudWatchMetrics: Array<{ Namespace: string }> } };
    expect(emf._aws.CloudWatchMetrics[0]?.Namespace).toBe('Orders');
  });

  it('clears keys appended to its logger during an invocation before the next one', async () => {
    // GIVEN a logger of the app's, to which a handler appends a key during the first invocation
    const logger = testLogger();
    let appendKey = true;
    const handle = processor({
      archive: false,
      processedEvents: false,
      logger,
      handlers: {
        'connection.updated': () => {
          if (appendKey) logger.appendKeys({ tenant: 'first-invocation' });
        },
      },
    });
    // WHEN two invocations run, the second appending nothing
    await handle(connectionUpdatedRecord('A', 1));
    appendKey = false;
    await handle(connectionUpdatedRecord('A', 2));
    // THEN the key is on the first invocation's batch line only
    expect(output.logs('batch processed').map((line) => line.tenant)).toEqual([
      'first-invocation',
      undefined,
    ]);
  });

  it('logs no event body even when POWERTOOLS_LOGGER_LOG_EVENT asks for it', async () => {
    // GIVEN the environment variable that makes Powertools log every invocation's event
    Object.assign(process.env, { POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_LOGGER_LOG_EVENT: 'true' });
    const record = connectionUpdatedRecord('A', 1);
    // WHEN a batch is processed
    await processor({ archive: false, processedEvents: false })(record);
    // THEN the batch ran, and no line carries the event or its body (users' payloads stay out of logs)
    expect(output.logs('batch processed')).toHaveLength(1);
    expect(output.logs('Lambda invocation event')).toEqual([]);
    const escapedBody = JSON.stringify(record.body).slice(1, -1);
    expect(output.lines().filter((line) => JSON.stringify(line).includes(escapedBody))).toEqual([]);
  });
});
