import { randomUUID } from 'node:crypto';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { redriveMessages } from '../../local/move-messages.ts';
import { createTestResources } from '../support/emulators.ts';

const text = (value: string) => ({ DataType: 'String', StringValue: value });

/** Puts a message on a queue as the processor or the verifier would put it on the dead-letter queue. */
async function put(sqs: SQSClient, queueUrl: string, group: string, body: string, attributes = {}) {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: body,
      MessageGroupId: group,
      MessageDeduplicationId: randomUUID(),
      MessageAttributes: attributes,
    }),
  );
}

/** Every message of a queue, received and deleted. */
async function drain(sqs: SQSClient, queueUrl: string, expected: number) {
  const received: Array<{ group: string; body: string; key?: string }> = [];
  for (let attempt = 0; attempt < 20 && received.length < expected; attempt += 1) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['MessageGroupId'],
        VisibilityTimeout: 60,
      }),
    );
    for (const m of Messages) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
      received.push({
        group: m.Attributes?.MessageGroupId ?? '',
        body: m.Body ?? '',
        key: m.MessageAttributes?.eventKey?.StringValue,
      });
    }
  }
  return received;
}

async function visibleDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes.ApproximateNumberOfMessages ?? 0);
}

/** The SQS client, calling `after` with each message sent to the event queue once it is sent. */
function afterEachSendTo(
  sqs: SQSClient,
  queueUrl: string,
  after: (sent: SendMessageCommand['input']) => Promise<unknown>,
): SQSClient {
  return {
    send: async (command: { input: Record<string, unknown> }) => {
      const answer = await sqs.send(command as never);
      if (command instanceof SendMessageCommand && command.input.QueueUrl === queueUrl)
        await after(command.input);
      return answer;
    },
  } as unknown as SQSClient;
}

/**
 * The SQS client with a processor that rejects every event at once: each message sent to the
 * event queue is put straight back on the dead-letter queue, as a poison event is.
 */
const withPoisonProcessor = (sqs: SQSClient, queueUrl: string, deadLetterQueueUrl: string) =>
  afterEachSendTo(sqs, queueUrl, (sent) =>
    sqs.send(
      new SendMessageCommand({
        ...sent,
        QueueUrl: deadLetterQueueUrl,
        MessageDeduplicationId: randomUUID(),
        MessageAttributes: { ...sent.MessageAttributes, rejectionReason: text('invalid_data') },
      }),
    ),
  );

/**
 * The SQS client with another event failing while the redrive runs: the first message sent to the
 * event queue comes with a new dead letter of another event, which was not there at the start.
 */
function withAnotherDeadLetterDuringTheRun(sqs: SQSClient, queueUrl: string, deadLetterQueueUrl: string) {
  let added = false;
  return afterEachSendTo(sqs, queueUrl, async () => {
    if (added) return;
    added = true;
    await put(sqs, deadLetterQueueUrl, 'conn_late', '{"late":true}', { eventKey: text('evt_late') });
  });
}

/**
 * Puts two events (`evt_a`, `evt_b`, one connection each) on a fresh dead-letter queue and
 * redrives it through the client `through` wraps; the result and the queues.
 */
async function redriveTwoEventsThrough(
  through: (sqs: SQSClient, queueUrl: string, deadLetterQueueUrl: string) => SQSClient,
) {
  const { sqs, queueUrl, deadLetterQueueUrl } = await createTestResources();
  await put(sqs, deadLetterQueueUrl, 'conn_a', '{"event":"a"}', { eventKey: text('evt_a') });
  await put(sqs, deadLetterQueueUrl, 'conn_b', '{"event":"b"}', { eventKey: text('evt_b') });
  const result = await redriveMessages({
    sqs: through(sqs, queueUrl, deadLetterQueueUrl),
    sourceUrl: deadLetterQueueUrl,
    destinationUrl: queueUrl,
  });
  return { result, sqs, deadLetterQueueUrl };
}

describe('redriveMessages (the redrive of the CLI and the inspector)', () => {
  it('moves every message back in order per group with its attributes, and empties the source', async () => {
    // GIVEN two groups of messages on the dead-letter queue
    const { sqs, queueUrl, deadLetterQueueUrl } = await createTestResources();
    const sent: Array<{ group: string; body: string }> = [];
    for (let i = 0; i < 4; i += 1) {
      for (const group of ['conn_a', 'conn_b']) {
        const body = `${group}-${i}`;
        sent.push({ group, body });
        await put(sqs, deadLetterQueueUrl, group, body, { eventKey: text(body) });
      }
    }

    // WHEN they are redriven to the event queue
    const result = await redriveMessages({ sqs, sourceUrl: deadLetterQueueUrl, destinationUrl: queueUrl });

    // THEN all arrive, in order per group, with their attributes, and the source is empty
    expect(result).toMatchObject({ atStart: 8, moved: 8, skipped: 0, returned: 0, left: 0 });
    const received = await drain(sqs, queueUrl, 8);
    for (const group of ['conn_a', 'conn_b']) {
      expect(received.filter((m) => m.group === group).map((m) => m.body)).toEqual(
        sent.filter((m) => m.group === group).map((m) => m.body),
      );
    }
    expect(received.every((m) => m.key === m.body)).toBe(true);
    expect(
      await redriveMessages({ sqs, sourceUrl: deadLetterQueueUrl, destinationUrl: queueUrl }),
    ).toMatchObject({ atStart: 0, moved: 0 });
  });

  it('ends when the processor sends each moved event straight back, counting them as returned', async () => {
    // GIVEN two poison events on the dead-letter queue, and a processor that rejects them at once
    // WHEN the dead-letter queue is redriven
    const { result, sqs, deadLetterQueueUrl } = await redriveTwoEventsThrough(withPoisonProcessor);

    // THEN each is moved once, its copy is reported as returned and left on the dead-letter queue,
    // visible again at once
    expect(result).toMatchObject({ atStart: 2, moved: 2, returned: 2, left: 0 });
    expect(result.eventKeys).toEqual(['evt_a', 'evt_b']);
    expect(await visibleDepth(sqs, deadLetterQueueUrl)).toBe(2);
  });

  it('moves at most the messages that were on the dead-letter queue when it started, leaving later ones', async () => {
    // GIVEN two events on the dead-letter queue, and a third dead-lettered while the redrive runs
    // WHEN the dead-letter queue is redriven
    const { result, sqs, deadLetterQueueUrl } = await redriveTwoEventsThrough(
      withAnotherDeadLetterDuringTheRun,
    );

    // THEN the two are moved, the later one is left where it is and reported as left
    expect(result).toMatchObject({ atStart: 2, moved: 2, returned: 0, left: 1 });
    expect(result.eventKeys).toEqual(['evt_a', 'evt_b']);
    expect((await drain(sqs, deadLetterQueueUrl, 1)).map((m) => m.key)).toEqual(['evt_late']);
  });

  it("skips the verifier's rejected bodies by default, and drops them only when asked", async () => {
    // GIVEN a processor's dead letter and two of the verifier's kept rejections
    const { sqs, queueUrl, deadLetterQueueUrl } = await createTestResources();
    await put(sqs, deadLetterQueueUrl, 'conn_a', '{"event":1}', {
      eventKey: text('evt_1'),
      eventType: text('connection.created'),
    });
    for (const body of ['not json', 'also not json']) {
      await put(sqs, deadLetterQueueUrl, 'rejected', body, {
        eventKey: text(`key-${body}`),
        rejectionReason: text('invalid_json'),
      });
    }

    // WHEN redriving with the default
    const skipping = await redriveMessages({ sqs, sourceUrl: deadLetterQueueUrl, destinationUrl: queueUrl });

    // THEN only the event is moved; the rejections stay on the dead-letter queue, visible
    expect(skipping).toMatchObject({ atStart: 3, moved: 1, dropped: 0 });
    expect(skipping.skipped).toBeGreaterThanOrEqual(1);
    expect(await visibleDepth(sqs, deadLetterQueueUrl)).toBe(2);
    expect((await drain(sqs, queueUrl, 1)).map((m) => m.body)).toEqual(['{"event":1}']);

    // WHEN redriving again, dropping them after keeping each
    const kept: string[] = [];
    const dropping = await redriveMessages({
      sqs,
      sourceUrl: deadLetterQueueUrl,
      destinationUrl: queueUrl,
      rejected: 'drop',
      onRejected: (message) => {
        kept.push(message.Body ?? '');
      },
    });

    // THEN both were handed over in order and deleted, and nothing reached the event queue
    expect(dropping).toMatchObject({ atStart: 2, moved: 0, skipped: 0, dropped: 2 });
    expect(kept).toEqual(['not json', 'also not json']);
    expect(await visibleDepth(sqs, deadLetterQueueUrl)).toBe(0);
    expect(await visibleDepth(sqs, queueUrl)).toBe(0);
  });
});
