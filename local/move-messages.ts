/**
 * Moves every message of one FIFO queue to another with receive, send and delete: the local
 * stand-in for SQS `StartMessageMoveTask`, which fauxqs does not implement. The CLI's `redrive`
 * (against `npm start`) and the local inspector's redrive button use it.
 *
 * Order per message group is kept: a receive hands out at most the head of each group, and each
 * message is sent before the next of its group is received. Each send gets a deduplication id of
 * its own, so that a message moved back within the destination's 5-minute deduplication window is
 * not dropped as a duplicate of its first send.
 */
import { createHash } from 'node:crypto';
import {
  DeleteMessageCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** Options of {@link moveMessages}. */
export interface MoveMessagesOptions {
  readonly sqs: SQSClient;
  readonly sourceUrl: string;
  readonly destinationUrl: string;
  /** Called after each message has been moved. @default none */
  readonly onMoved?: (message: Message) => void;
  /** Stop after this many messages. @default no limit */
  readonly limit?: number;
  /** Visibility timeout (s) of a received message while it is moved. @default 30 */
  readonly visibilityTimeoutSeconds?: number;
}

/** Moves the source queue's messages to the destination; resolves to how many were moved. */
export async function moveMessages(options: MoveMessagesOptions): Promise<number> {
  const { sqs, sourceUrl, destinationUrl } = options;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let moved = 0;
  while (moved < limit) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: sourceUrl,
        MaxNumberOfMessages: Math.min(10, limit - moved),
        WaitTimeSeconds: 0,
        VisibilityTimeout: options.visibilityTimeoutSeconds ?? 30,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['MessageGroupId', 'SequenceNumber'],
      }),
    );
    if (Messages.length === 0) return moved;
    for (const message of Messages) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: destinationUrl,
          MessageBody: message.Body ?? '',
          MessageGroupId: message.Attributes?.MessageGroupId ?? 'redriven',
          MessageDeduplicationId: moveDeduplicationId(message),
          ...(message.MessageAttributes && { MessageAttributes: sendable(message.MessageAttributes) }),
        }),
      );
      await sqs.send(new DeleteMessageCommand({ QueueUrl: sourceUrl, ReceiptHandle: message.ReceiptHandle }));
      moved += 1;
      options.onMoved?.(message);
    }
  }
  return moved;
}

/** A deduplication id of this move of this message: its id and the moment, hashed to 64 characters. */
function moveDeduplicationId(message: Message): string {
  return createHash('sha256')
    .update(`${message.MessageId ?? ''}:${Date.now()}:${Math.random()}`)
    .digest('hex');
}

/** Received attributes carry list fields that SendMessage refuses; keep the values only. */
function sendable(attributes: Record<string, MessageAttributeValue>): Record<string, MessageAttributeValue> {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      {
        DataType: value.DataType,
        ...(value.StringValue !== undefined && { StringValue: value.StringValue }),
        ...(value.BinaryValue !== undefined && { BinaryValue: value.BinaryValue }),
      },
    ]),
  );
}
