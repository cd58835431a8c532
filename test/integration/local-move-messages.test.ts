import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { moveMessages } from '../../local/move-messages.ts';
import { createTestResources } from '../support/emulators.ts';

describe('moveMessages (local redrive)', () => {
  it('moves every message back in order per group with its attributes, and empties the source', async () => {
    // GIVEN two groups of messages on the dead-letter queue, each first sent to the queue moments ago
    const { sqs, queueUrl, deadLetterQueueUrl } = await createTestResources();
    const sent: Array<{ group: string; body: string }> = [];
    for (let i = 0; i < 4; i += 1) {
      for (const group of ['conn_a', 'conn_b']) {
        const body = `${group}-${i}`;
        sent.push({ group, body });
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: deadLetterQueueUrl,
            MessageBody: body,
            MessageGroupId: group,
            MessageDeduplicationId: body,
            MessageAttributes: { eventKey: { DataType: 'String', StringValue: body } },
          }),
        );
      }
    }

    // WHEN they are moved to the event queue
    const moved = await moveMessages({ sqs, sourceUrl: deadLetterQueueUrl, destinationUrl: queueUrl });

    // THEN all arrive, in order per group, with their attributes, and the source is empty
    expect(moved).toBe(8);
    const received: Array<{ group: string; body: string; key?: string }> = [];
    for (let attempt = 0; attempt < 20 && received.length < 8; attempt += 1) {
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
    for (const group of ['conn_a', 'conn_b']) {
      expect(received.filter((m) => m.group === group).map((m) => m.body)).toEqual(
        sent.filter((m) => m.group === group).map((m) => m.body),
      );
    }
    expect(received.every((m) => m.key === m.body)).toBe(true);
    expect(await moveMessages({ sqs, sourceUrl: deadLetterQueueUrl, destinationUrl: queueUrl })).toBe(0);
  });
});
