/**
 * The processor's dead-letter adapter against fauxqs (SQS FIFO): what a poison message looks
 * like on the dead-letter queue, and that a retried send of the same message is deduplicated.
 */
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { rejectedMessage, SqsDeadLetterQueue } from '../../lambda/processor/dead-letters.ts';
import { readQueuedEvent, UnprocessableMessageError } from '../../lambda/processor/queued-event.ts';
import { sqsRecord } from '../fixtures/sqs-events.ts';
import { createTestResources } from '../support/emulators.ts';

let resources: Awaited<ReturnType<typeof createTestResources>>;

beforeAll(async () => {
  resources = await createTestResources();
});

/** The error the processor meets reading a record. */
function parseError(record: ReturnType<typeof sqsRecord>): UnprocessableMessageError {
  try {
    readQueuedEvent(record);
  } catch (error) {
    if (error instanceof UnprocessableMessageError) return error;
    throw error;
  }
  throw new Error('expected the record to be unprocessable');
}

async function receiveAll() {
  const received = await resources.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: resources.deadLetterQueueUrl,
      MaxNumberOfMessages: 10,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['MessageGroupId', 'MessageDeduplicationId'],
      WaitTimeSeconds: 1,
    }),
  );
  return received.Messages ?? [];
}

describe('the SQS dead-letter queue adapter', () => {
  it('puts a poison message on the FIFO dead-letter queue with its body, group, attributes and reason, once', async () => {
    // GIVEN a queued connection.updated whose data fails its schema
    const body =
      '{"type":"connection.updated","data":{"connection":{"id":"conn_poison","permissions":"all"}}}';
    const record = sqsRecord({
      body,
      messageId: 'poison-1',
      eventKey: 'msg_poison',
      signatureScheme: 'svix',
    });
    const queue = new SqsDeadLetterQueue({
      queueUrl: resources.deadLetterQueueUrl,
      client: () => resources.sqs,
    });
    const message = rejectedMessage(record, parseError(record));
    // WHEN it is sent, and sent again (a retry after the acknowledgement failed)
    await queue.send(message);
    await queue.send(message);
    // THEN the dead-letter queue holds it once, exactly as queued, with the reason beside it
    const received = await receiveAll();
    expect(received).toHaveLength(1);
    const [kept] = received;
    expect(kept?.Body).toBe(body);
    expect(kept?.Attributes).toMatchObject({
      MessageGroupId: 'conn_poison',
      MessageDeduplicationId: 'rejected:poison-1',
    });
    const attribute = (name: string) => kept?.MessageAttributes?.[name]?.StringValue;
    expect(attribute('eventKey')).toBe('msg_poison');
    expect(attribute('eventType')).toBe('connection.updated');
    expect(attribute('signatureScheme')).toBe('svix');
    expect(attribute('receivedAt')).toBe(record.messageAttributes.receivedAt?.stringValue);
    expect(attribute('rejectionReason')).toBe('invalid_data');
    expect(attribute('rejectionDetail')).toMatch(/connection\.permissions/);
  });

  it('keeps at most 8 of the string attributes, leaving room for its own two within SQS’s 10', async () => {
    // GIVEN a poison message with a binary attribute and ten string attributes
    const record = sqsRecord({ body: 'not json', messageId: 'poison-many', groupId: 'g-many' });
    record.messageAttributes = {
      blob: { dataType: 'Binary', binaryValue: 'AAEC' },
      ...Object.fromEntries(
        Array.from({ length: 10 }, (_, n) => [`a${n}`, { dataType: 'String', stringValue: `v${n}` }]),
      ),
    };
    const message = rejectedMessage(record, parseError(record));
    // WHEN it becomes a dead-letter message THEN the first 8 string attributes are kept, the binary
    // one (no string value to copy) is not, and the reason and detail make 10
    expect(Object.keys(message.attributes)).toEqual([
      ...Array.from({ length: 8 }, (_, n) => `a${n}`),
      'rejectionReason',
      'rejectionDetail',
    ]);
    // AND SQS takes it
    await new SqsDeadLetterQueue({
      queueUrl: resources.deadLetterQueueUrl,
      client: () => resources.sqs,
    }).send(message);
    expect((await receiveAll()).map((kept) => kept.Body)).toContain('not json');
  });

  it('puts a detail SQS accepts: forbidden characters replaced, an empty one written as "-"', () => {
    const record = sqsRecord({ body: 'not json', messageId: 'poison-text' });
    const detail = (message: string) =>
      rejectedMessage(record, new UnprocessableMessageError('invalid_json', message)).attributes
        .rejectionDetail?.StringValue;
    expect(detail('bad\u0000byte\u001f')).toBe('bad\uFFFDbyte\uFFFD');
    expect(detail('')).toBe('-');
  });

  it('rejects an empty queue URL', () => {
    expect(() => new SqsDeadLetterQueue({ queueUrl: ' ', client: () => resources.sqs })).toThrow(
      /queueUrl must be a non-empty string, got " "/,
    );
    expect(
      () => new SqsDeadLetterQueue({ queueUrl: undefined as unknown as string, client: () => resources.sqs }),
    ).toThrow('queueUrl must be a non-empty string, got "undefined"');
  });
});
