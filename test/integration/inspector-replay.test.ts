/**
 * The inspector's replay against fauxqs: the message it puts on the queue carries a replay id of
 * its own, in its attributes and its deduplication id, so that the processor records that replay
 * and a redrive of the same message does not run it again (event-record-processor.test.ts).
 */
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { InspectorQueues } from '../../local/inspector/queues.ts';
import { createTestResources } from '../support/emulators.ts';

it('replays with a replayId attribute that its deduplication id carries, new for each replay', async () => {
  // GIVEN the inspector's queues on fauxqs
  const resources = await createTestResources();
  const queues = new InspectorQueues({
    sqs: resources.sqs,
    sqsEndpoint: process.env.TEST_SQS_ENDPOINT!,
    queueUrl: resources.queueUrl,
    deadLetterQueueUrl: resources.deadLetterQueueUrl,
  });
  // WHEN one event is replayed twice
  for (const group of ['g1', 'g2']) {
    await queues.replay({
      eventKey: 'msg_1',
      body: '{"type":"rules.updated"}',
      groupId: group,
      attributes: { eventKey: 'msg_1' },
    });
  }
  const { Messages = [] } = await resources.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: resources.queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 2,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['MessageDeduplicationId'],
    }),
  );
  // THEN each message has a replay id of its own, and its deduplication id is built from it
  expect(Messages).toHaveLength(2);
  const ids = Messages.map((message) => message.MessageAttributes?.replayId?.StringValue);
  expect(new Set(ids).size).toBe(2);
  for (const [index, message] of Messages.entries()) {
    expect(ids[index]).toMatch(/^[0-9a-f-]{36}$/);
    expect(message.Attributes?.MessageDeduplicationId).toBe(`r:${ids[index]}:msg_1`);
  }
});
