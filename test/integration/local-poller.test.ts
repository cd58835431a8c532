import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type Poller, startPoller, succeededRecords } from '../../local/poller.ts';
import { createTestResources } from '../support/emulators.ts';

type Resources = Awaited<ReturnType<typeof createTestResources>>;

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((wake) => setTimeout(wake, 50));
  }
}

async function depth(resources: Resources, queueUrl = resources.queueUrl): Promise<number> {
  const { Attributes } = await resources.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible)
  );
}

function sendTo(resources: Resources, body: string, group: string, dedupe: string) {
  return resources.sqs.send(
    new SendMessageCommand({
      QueueUrl: resources.queueUrl,
      MessageBody: body,
      MessageGroupId: group,
      MessageDeduplicationId: dedupe,
      MessageAttributes: {
        eventType: { DataType: 'String', StringValue: 'connection.created' },
        attempt: { DataType: 'Number', StringValue: '1' },
        raw: { DataType: 'Binary', BinaryValue: Buffer.from('bytes') },
      },
    }),
  );
}

describe('the local SQS poller (event source mapping)', () => {
  let poller: Poller | undefined;

  afterEach(async () => {
    await poller?.stop();
    poller = undefined;
  });

  it('hands Lambda-shaped records to the handler and deletes what succeeded', async () => {
    // GIVEN a FIFO queue with one message
    const resources = await createTestResources({ visibilityTimeoutSeconds: 2 });
    await sendTo(resources, '{"type":"connection.created"}', 'conn_1', 'dedupe-1');
    const events: SQSEvent[] = [];
    // WHEN the poller runs a handler that succeeds
    poller = await startPoller({
      sqs: resources.sqs,
      queueUrl: resources.queueUrl,
      waitTimeSeconds: 1,
      createHandler: () => async (event) => {
        events.push(event);
        return { batchItemFailures: [] };
      },
    });
    await until(() => events.length > 0, 10_000, 'the first batch');
    // THEN the record is shaped as Lambda's
    const record = events[0]!.Records[0]!;
    expect(record).toMatchObject({
      body: '{"type":"connection.created"}',
      eventSource: 'aws:sqs',
      eventSourceARN: expect.stringMatching(/^arn:aws:sqs:us-east-1:\d+:t-.*-events\.fifo$/),
      awsRegion: 'us-east-1',
      md5OfBody: expect.stringMatching(/^[0-9a-f]{32}$/),
      attributes: {
        ApproximateReceiveCount: '1',
        MessageGroupId: 'conn_1',
        MessageDeduplicationId: 'dedupe-1',
        SentTimestamp: expect.stringMatching(/^\d+$/),
        SequenceNumber: expect.any(String),
      },
      messageAttributes: {
        eventType: {
          stringValue: 'connection.created',
          dataType: 'String',
          stringListValues: [],
          binaryListValues: [],
        },
        attempt: { stringValue: '1', dataType: 'Number' },
        raw: { binaryValue: Buffer.from('bytes').toString('base64'), dataType: 'Binary' },
      },
    });
    expect(record.messageId).toEqual(expect.any(String));
    expect(record.receiptHandle).toEqual(expect.any(String));
    // AND the message is deleted
    const deadline = Date.now() + 5000;
    while ((await depth(resources)) > 0 && Date.now() < deadline)
      await new Promise((wake) => setTimeout(wake, 100));
    expect(await depth(resources)).toBe(0);
  }, 30_000);

  it('redelivers only the reported batch item failures, after the visibility timeout', async () => {
    // GIVEN two messages in two groups, and a handler that fails one of them once
    const resources = await createTestResources({ visibilityTimeoutSeconds: 1 });
    await sendTo(resources, 'ok', 'group-ok', 'd-ok');
    await sendTo(resources, 'fail-once', 'group-fail', 'd-fail');
    const seen: SQSRecord[] = [];
    let failed = false;
    poller = await startPoller({
      sqs: resources.sqs,
      queueUrl: resources.queueUrl,
      waitTimeSeconds: 1,
      createHandler:
        () =>
        async (event): Promise<SQSBatchResponse> => {
          seen.push(...event.Records);
          const failures = event.Records.filter((record) => record.body === 'fail-once' && !failed);
          if (failures.length) failed = true;
          return { batchItemFailures: failures.map((record) => ({ itemIdentifier: record.messageId })) };
        },
    });
    // WHEN both have been processed
    await until(() => seen.filter((record) => record.body === 'fail-once').length === 2, 15_000, 'the retry');
    // THEN the failed one came back with a higher receive count and the other did not come back
    const retried = seen.filter((record) => record.body === 'fail-once');
    expect(retried.map((record) => record.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect(Number(retried[1]!.attributes.ApproximateFirstReceiveTimestamp)).toBeGreaterThan(0);
    await new Promise((wake) => setTimeout(wake, 1500));
    expect(seen.filter((record) => record.body === 'ok')).toHaveLength(1);
  }, 30_000);

  it('fails the whole batch when the handler throws, and moves it to the DLQ after maxReceiveCount', async () => {
    // GIVEN a handler that always crashes, maxReceiveCount 2
    const resources = await createTestResources({ visibilityTimeoutSeconds: 1, maxReceiveCount: 2 });
    await sendTo(resources, 'crash', 'group-crash', 'd-crash');
    let invocations = 0;
    poller = await startPoller({
      sqs: resources.sqs,
      queueUrl: resources.queueUrl,
      waitTimeSeconds: 1,
      createHandler: () => async () => {
        invocations += 1;
        throw new Error('crash');
      },
    });
    // WHEN the poller keeps receiving it
    const deadline = Date.now() + 15_000;
    while ((await depth(resources, resources.deadLetterQueueUrl)) === 0 && Date.now() < deadline) {
      await new Promise((wake) => setTimeout(wake, 200));
    }
    // THEN it was tried twice, then the queue's redrive policy moved it to the DLQ
    expect(await depth(resources, resources.deadLetterQueueUrl)).toBe(1);
    expect(invocations).toBe(2);
  }, 30_000);

  it('stops gracefully, letting the batch in flight finish', async () => {
    // GIVEN a slow handler in the middle of a batch
    const resources = await createTestResources({ visibilityTimeoutSeconds: 5 });
    await sendTo(resources, 'slow', 'group-slow', 'd-slow');
    let finished = false;
    let started = false;
    poller = await startPoller({
      sqs: resources.sqs,
      queueUrl: resources.queueUrl,
      waitTimeSeconds: 1,
      createHandler: () => async () => {
        started = true;
        await new Promise((wake) => setTimeout(wake, 500));
        finished = true;
        return { batchItemFailures: [] };
      },
    });
    await until(() => started, 10_000, 'the batch to start');
    // WHEN stopped
    await poller.stop();
    poller = undefined;
    // THEN the batch finished and its message was deleted
    expect(finished).toBe(true);
    expect(await depth(resources)).toBe(0);
  }, 30_000);

  it('runs batches of different groups side by side in up to `concurrency` environments, one batch each at a time', async () => {
    // GIVEN 12 groups with one message each, and handlers that hold each batch for 300 ms
    const resources = await createTestResources({ visibilityTimeoutSeconds: 10 });
    for (let i = 0; i < 12; i += 1) await sendTo(resources, `m${i}`, `group-${i}`, `d-par-${i}`);
    let created = 0;
    let running = 0;
    let mostAtOnce = 0;
    let overlappedInOne = false;
    const bodies: string[] = [];
    // WHEN a poller with 3 environments and batches of 2 runs
    poller = await startPoller({
      sqs: resources.sqs,
      queueUrl: resources.queueUrl,
      concurrency: 3,
      batchSize: 2,
      waitTimeSeconds: 1,
      createHandler: () => {
        created += 1;
        let busy = false;
        return async (event) => {
          if (busy) overlappedInOne = true;
          busy = true;
          running += 1;
          mostAtOnce = Math.max(mostAtOnce, running);
          await new Promise((wake) => setTimeout(wake, 300));
          bodies.push(...event.Records.map((record) => record.body));
          running -= 1;
          busy = false;
          return { batchItemFailures: [] };
        };
      },
    });
    await until(() => bodies.length === 12, 20_000, 'every message processed');
    // THEN three batches ran at once, never two in one environment, and no more than three environments exist
    expect(mostAtOnce).toBe(3);
    expect(overlappedInOne).toBe(false);
    expect(created).toBe(3);
    expect(bodies.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `m${i}`).sort());
    expect(await depth(resources)).toBe(0);
  }, 30_000);

  it('keeps one receive waiting at a time, however many environments are idle', async () => {
    // GIVEN a poller with 8 idle environments, and a client that counts its receives
    const resources = await createTestResources({ visibilityTimeoutSeconds: 10 });
    let receives = 0;
    resources.sqs.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'ReceiveMessageCommand') receives += 1;
        return next(args);
      },
      { step: 'initialize', name: 'countReceives' },
    );
    let processed = 0;
    poller = await startPoller({
      sqs: resources.sqs,
      queueUrl: resources.queueUrl,
      concurrency: 8,
      waitTimeSeconds: 1,
      createHandler: () => async (event) => {
        processed += event.Records.length;
        return { batchItemFailures: [] };
      },
    });
    // WHEN 10 messages arrive one by one, 100 ms apart
    const started = Date.now();
    for (let i = 0; i < 10; i += 1) {
      await sendTo(resources, `m${i}`, `group-${i}`, `d-one-${i}`);
      await new Promise((wake) => setTimeout(wake, 100));
    }
    await until(() => processed === 10, 10_000, 'every message processed');
    // THEN about one receive per message (plus one per idle second), not one per idle environment
    const seconds = Math.ceil((Date.now() - started) / 1000);
    expect(receives).toBeLessThanOrEqual(10 + seconds + 2);
  }, 30_000);

  it('treats a response naming an unknown message as a failure of the whole batch', () => {
    const records = [{ messageId: 'a' }, { messageId: 'b' }] as SQSRecord[];
    expect(succeededRecords(records, { batchItemFailures: [{ itemIdentifier: 'b' }] })).toEqual([records[0]]);
    expect(succeededRecords(records, undefined)).toEqual(records);
    expect(succeededRecords(records, { batchItemFailures: [{ itemIdentifier: 'zzz' }] })).toEqual([]);
  });
});
