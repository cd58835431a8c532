/**
 * What the inspector does with the local queues: read the dead-letter queue without touching it
 * (fauxqs's inspection endpoint: a receive would lock each message group and count a receive),
 * redrive it with {@link redriveMessages} (the CLI's own redrive), and put a replayed event back on the event queue.
 */
import { randomUUID } from 'node:crypto';
import { GetQueueAttributesCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { REPLAY_ATTRIBUTES, replayDeduplicationId } from '../../lambda/shared/queue-message.ts';
import { type RedriveResult, redriveMessages } from '../move-messages.ts';

/** A message as fauxqs's inspection endpoint lists it. */
export interface InspectedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly messageAttributes?: Readonly<Record<string, { readonly StringValue?: string }>>;
  readonly sentTimestamp?: number;
  readonly approximateReceiveCount?: number;
  readonly messageGroupId?: string;
}

interface InspectedQueue {
  readonly messages: {
    readonly ready?: readonly InspectedMessage[];
    readonly delayed?: readonly InspectedMessage[];
    readonly inflight?: readonly { readonly message: InspectedMessage }[];
  };
}

/** Where the queues are. */
export interface InspectorQueuesOptions {
  readonly sqs: SQSClient;
  /** fauxqs's endpoint, e.g. `http://127.0.0.1:4566`. */
  readonly sqsEndpoint: string;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
}

/** One replay: the recorded body with the verifier's original attributes, in its original group. */
export interface ReplayMessage {
  readonly eventKey: string;
  readonly body: string;
  readonly groupId: string;
  readonly attributes: Readonly<Record<string, string>>;
}

const stringAttribute = (value: string) => ({ DataType: 'String', StringValue: value });

/** The local event queue and its dead-letter queue. */
export class InspectorQueues {
  readonly #options: InspectorQueuesOptions;

  constructor(options: InspectorQueuesOptions) {
    this.#options = options;
  }

  /** The event queue's `maxReceiveCount` and visibility timeout, as created. */
  async settings(): Promise<{ maxReceiveCount: number; visibilityTimeoutSeconds: number }> {
    const { Attributes = {} } = await this.#options.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.#options.queueUrl,
        AttributeNames: ['RedrivePolicy', 'VisibilityTimeout'],
      }),
    );
    const policy = JSON.parse(Attributes.RedrivePolicy ?? '{}') as { maxReceiveCount?: number | string };
    return {
      maxReceiveCount: Number(policy.maxReceiveCount ?? Number.POSITIVE_INFINITY),
      visibilityTimeoutSeconds: Number(Attributes.VisibilityTimeout ?? 30),
    };
  }

  /** Every message on the dead-letter queue (ready, delayed and in flight), oldest first. */
  async deadLetters(): Promise<InspectedMessage[]> {
    const name = new URL(this.#options.deadLetterQueueUrl).pathname.split('/').pop() ?? '';
    const response = await fetch(
      new URL(`/_fauxqs/queues/${encodeURIComponent(name)}`, this.#options.sqsEndpoint),
      {
        signal: AbortSignal.timeout(5_000),
      },
    );
    if (!response.ok) throw new Error(`fauxqs answered ${response.status} for the dead-letter queue ${name}`);
    const queue = (await response.json()) as InspectedQueue;
    return [
      ...(queue.messages.ready ?? []),
      ...(queue.messages.delayed ?? []),
      ...(queue.messages.inflight ?? []).map((entry) => entry.message),
    ].sort((a, b) => (a.sentTimestamp ?? 0) - (b.sentTimestamp ?? 0));
  }

  /**
   * Redrives the dead-letter queue as `npm run cli -- redrive` does: at most the messages there
   * now, the verifier's rejections left in place.
   */
  redrive(): Promise<RedriveResult> {
    return redriveMessages({
      sqs: this.#options.sqs,
      sourceUrl: this.#options.deadLetterQueueUrl,
      destinationUrl: this.#options.queueUrl,
    });
  }

  /**
   * Puts an event back on the event queue as a replay: its original attributes plus
   * `replay`/`replayedAt`, in its original message group, with a deduplication id of this replay.
   */
  async replay(message: ReplayMessage): Promise<void> {
    const replayedAt = new Date().toISOString();
    // Recorded by the processor once this replay ran, so a redrive of this message does not run it again.
    const replayId = randomUUID();
    await this.#options.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.#options.queueUrl,
        MessageBody: message.body,
        MessageGroupId: message.groupId,
        MessageDeduplicationId: replayDeduplicationId(message.eventKey, replayId),
        MessageAttributes: {
          ...Object.fromEntries(
            Object.entries(message.attributes).map(([name, value]) => [name, stringAttribute(value)]),
          ),
          [REPLAY_ATTRIBUTES.replay]: stringAttribute('true'),
          [REPLAY_ATTRIBUTES.replayedAt]: stringAttribute(replayedAt),
          [REPLAY_ATTRIBUTES.replayId]: stringAttribute(replayId),
        },
      }),
    );
  }
}
