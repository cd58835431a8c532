import { type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { ConnectionRegistry } from '../../lambda/processor/connections.ts';
import { SqsDeadLetterQueue } from '../../lambda/processor/dead-letters.ts';
import type { ProcessorHandlerOptions } from '../../lambda/processor/handler.ts';
import { PoisonEventError } from '../../lambda/processor/kit.ts';
import { RulesStore } from '../../lambda/processor/rules.ts';
import { DOCUMENT_TRANSLATION } from '../../lambda/shared/document-translation.ts';
import { EVENT_TYPE_DIMENSION, PROCESSOR_METRICS } from '../../lambda/shared/metrics.ts';
import { connectionEvent, rulesUpdatedEvent } from '../fixtures/events.ts';
import { type CapturedOutput, captureStdout } from '../fixtures/output.ts';
import { lambdaContext, sqsEvent, sqsRecord } from '../fixtures/sqs-events.ts';
import { createTestResources } from '../support/emulators.ts';
import { emulatorProcessor } from './processor-harness.ts';

let output: CapturedOutput;
beforeEach(() => {
  output = captureStdout();
});
afterEach(() => output.restore());

/** A processor with the default handlers over a fresh table and dead-letter queue. */
async function processorOnFreshResources(options: ProcessorHandlerOptions = {}) {
  const resources = await createTestResources();
  const documents = DynamoDBDocumentClient.from(resources.dynamodb, DOCUMENT_TRANSLATION);
  const handle = emulatorProcessor(resources, documents, {
    deadLetterQueue: new SqsDeadLetterQueue({
      queueUrl: resources.deadLetterQueueUrl,
      client: () => resources.sqs,
    }),
    processedEvents: false,
    ...options,
  });
  const tableName = resources.connectionsTableName;
  return {
    run: (...records: SQSRecord[]) => handle(sqsEvent(...records), lambdaContext()),
    registry: new ConnectionRegistry({ tableName, client: documents }),
    rules: new RulesStore({ tableName, client: documents }),
    deadLetters: async (): Promise<Message[]> =>
      (
        await resources.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: resources.deadLetterQueueUrl,
            MaxNumberOfMessages: 10,
            MessageAttributeNames: ['All'],
            WaitTimeSeconds: 1,
          }),
        )
      ).Messages ?? [],
  };
}

const attribute = (message: Message | undefined, name: string) =>
  message?.MessageAttributes?.[name]?.StringValue;

/** `levels` objects nested in one another. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let level = 1; level < levels; level += 1) value = { inner: value };
  return value;
}

/** A rules.updated record of revision `revision`, with `rules` as its body. */
function rulesRecord(revision: string, second: number, rules: Record<string, unknown>, messageId: string) {
  return sqsRecord({
    body: rulesUpdatedEvent({ revision, timestamp: `2024-01-15T10:30:0${second}Z`, rules }),
    messageId,
  });
}

/** THEN-steps every case shares: one dead letter, acknowledged, rejected not failed, logged as ERROR. */
async function expectRejectedByDynamoDb(
  processor: Awaited<ReturnType<typeof processorOnFreshResources>>,
  response: { batchItemFailures: unknown[] },
  poison: SQSRecord,
  eventType: string,
  detail: RegExp,
) {
  expect(response.batchItemFailures).toEqual([]);
  const deadLetters = await processor.deadLetters();
  expect(deadLetters.map((message) => message.Body)).toEqual([poison.body]);
  expect(attribute(deadLetters[0], 'rejectionReason')).toBe('rejected_by_dynamodb');
  expect(attribute(deadLetters[0], 'rejectionDetail')).toMatch(detail);
  const typeLine = output.metrics().find((line) => line[EVENT_TYPE_DIMENSION] === eventType);
  expect(typeLine).toMatchObject({ [PROCESSOR_METRICS.rejected]: 1 });
  expect(output.metrics().filter((line) => PROCESSOR_METRICS.failures in line)).toEqual([]);
  expect(output.logs('message moved to the dead-letter queue')).toEqual([
    expect.objectContaining({ level: 'ERROR', messageId: poison.messageId, reason: 'rejected_by_dynamodb' }),
  ]);
}

describe('a write DynamoDB refuses', () => {
  it('dead-letters a rules.updated whose rules make an item over 400 KB, and applies the next revision', async () => {
    // GIVEN a rules.updated whose rules body alone is 410 KB, then a normal one of the same group
    const processor = await processorOnFreshResources();
    const poison = rulesRecord('r-big', 1, { blob: 'x'.repeat(410 * 1024) }, 'rules-big');
    const next = rulesRecord('r-next', 2, { static_param: 'p' }, 'rules-next');
    // WHEN both are processed in one batch
    const response = await processor.run(poison, next);
    // THEN the big one is on the dead-letter queue with the reason, and the next one was applied
    await expectRejectedByDynamoDb(processor, response, poison, 'rules.updated', /size/i);
    expect(await processor.rules.getLatest()).toMatchObject({ revision: 'r-next' });
  });

  it('dead-letters a connection event nested deeper than 32 levels, and applies the next event', async () => {
    // GIVEN a connection.updated whose userData nests 40 levels, then a normal one
    const processor = await processorOnFreshResources();
    const poison = sqsRecord({
      body: connectionEvent('connection.updated', {
        connectionId: 'conn_deep',
        timestamp: '2024-01-15T10:30:01Z',
        userData: nested(40),
      }),
      messageId: 'deep',
    });
    const next = sqsRecord({
      body: connectionEvent('connection.updated', {
        connectionId: 'conn_deep',
        timestamp: '2024-01-15T10:30:02Z',
        permissions: ['next'],
      }),
      messageId: 'deep-next',
    });
    // WHEN both are processed in one batch
    const response = await processor.run(poison, next);
    // THEN the deep one is on the dead-letter queue with the reason, and the next one was applied
    await expectRejectedByDynamoDb(processor, response, poison, 'connection.updated', /nest/i);
    expect(await processor.registry.get('conn_deep')).toMatchObject({ permissions: ['next'] });
  });

  it('dead-letters a connection whose id makes a partition key over 2 KB, and applies the next event', async () => {
    // GIVEN a connection id of 2,100 characters (the event model takes any non-empty string), then
    // another connection's event in the same message group (SQS cuts group ids to 128 characters)
    const processor = await processorOnFreshResources();
    const poison = sqsRecord({
      body: connectionEvent('connection.created', { connectionId: `conn_${'k'.repeat(2_100)}` }),
      groupId: 'long-ids',
      messageId: 'long-key',
    });
    const next = sqsRecord({
      body: connectionEvent('connection.created', { connectionId: 'conn_short', permissions: ['next'] }),
      groupId: 'long-ids',
      messageId: 'long-key-next',
    });
    // WHEN both are processed in one batch
    const response = await processor.run(poison, next);
    // THEN the long one is on the dead-letter queue with the reason, and the next one was applied
    await expectRejectedByDynamoDb(processor, response, poison, 'connection.created', /key/i);
    expect(await processor.registry.get('conn_short')).toMatchObject({ permissions: ['next'] });
  });

  it('dead-letters any other ValidationException: a number DynamoDB cannot store', async () => {
    // GIVEN a rules.updated whose checksum constant is 1e-200 (DynamoDB's smallest is 1e-130)
    const processor = await processorOnFreshResources();
    const poison = rulesRecord('r-tiny', 1, { checksum_constant: 1e-200 }, 'rules-tiny');
    const next = rulesRecord('r-next', 2, { checksum_constant: 7 }, 'rules-next');
    // WHEN both are processed in one batch
    const response = await processor.run(poison, next);
    // THEN the first is on the dead-letter queue with the reason, and the next one was applied
    await expectRejectedByDynamoDb(processor, response, poison, 'rules.updated', /number/i);
    expect(await processor.rules.getLatest()).toMatchObject({ revision: 'r-next' });
  });
});

describe('a number beyond 2^53', () => {
  it('is stored and read back as the number the handler saw, on the first attempt', async () => {
    // GIVEN a rules.updated whose JSON carries an integer beyond Number.MAX_SAFE_INTEGER: JSON.parse
    // already made it the nearest double, 12345678901234567000
    const processor = await processorOnFreshResources();
    const body = rulesUpdatedEvent({
      revision: 'r-big-int',
      timestamp: '2024-01-15T10:30:01Z',
      rules: { limit: 1 },
    });
    const record = sqsRecord({
      body: JSON.stringify(body).replace('"limit":1', '"limit":12345678901234567890'),
      messageId: 'big',
    });
    // WHEN it is processed
    const response = await processor.run(record);
    // THEN it is applied at once (no retry, no dead letter), and reads back as that same number
    expect(response.batchItemFailures).toEqual([]);
    expect(await processor.deadLetters()).toEqual([]);
    const latest = await processor.rules.getLatest();
    expect(latest).toMatchObject({ revision: 'r-big-int' });
    expect(latest?.rules).toEqual({ limit: 12345678901234567000 });
    expect(typeof (latest?.rules as { limit: unknown } | undefined)?.limit).toBe('number');
  });
});

describe("a handler's own PoisonEventError", () => {
  it('dead-letters the event with its reason on the first attempt, and runs the next event', async () => {
    // GIVEN a handler that marks an event it can never handle
    const ran: string[] = [];
    const processor = await processorOnFreshResources({
      handlers: {
        'connection.updated': async (event) => {
          const id = event.data.connection.id;
          if (id === 'conn_bad')
            throw new PoisonEventError('no tenant for this connection', { reason: 'unknown_tenant' });
          ran.push(id);
        },
      },
    });
    const poison = sqsRecord({
      body: connectionEvent('connection.updated', { connectionId: 'conn_bad' }),
      groupId: 'g',
      messageId: 'bad',
    });
    const next = sqsRecord({
      body: connectionEvent('connection.updated', { connectionId: 'conn_good' }),
      groupId: 'g',
      messageId: 'good',
    });
    // WHEN both are processed in one batch
    const response = await processor.run(poison, next);
    // THEN the first is on the dead-letter queue with the handler's reason and message, and the
    // next one ran
    expect(response.batchItemFailures).toEqual([]);
    const [deadLetter, ...more] = await processor.deadLetters();
    expect(more).toEqual([]);
    expect(deadLetter?.Body).toBe(poison.body);
    expect(attribute(deadLetter, 'rejectionReason')).toBe('unknown_tenant');
    expect(attribute(deadLetter, 'rejectionDetail')).toBe('no tenant for this connection');
    expect(ran).toEqual(['conn_good']);
  });
});
