/**
 * The FIFO event queue between the verifier and the processor, and its FIFO dead-letter queue.
 * Their construct IDs are the deployed stacks' logical IDs: changing one replaces the queue.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { DeduplicationScope, FifoThroughputLimit, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { EVENT_QUEUE } from '../../lambda/shared/resource-definitions.ts';
import type { ReceiverQueueProps } from '../receiver-props.ts';

/** What the queues need. */
export interface QueuesOptions {
  readonly removalPolicy: RemovalPolicy;
  readonly maxMessageSizeBytes: number;
  readonly maxReceiveCount: number;
  readonly processorTimeout: Duration;
  readonly encryptionKey?: IKey;
  readonly queueProps?: ReceiverQueueProps;
  readonly deadLetterQueueProps?: ReceiverQueueProps;
}

/** The two queues. */
export interface ReceiverQueues {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
}

/**
 * High-throughput FIFO (deduplication and throughput per message group, i.e. per connection),
 * encrypted, TLS only, 14 days; the event queue's visibility timeout is six times the processor's
 * timeout (AWS's guidance for event sources). The user's settings go over these.
 */
export function buildQueues(scope: Construct, options: QueuesOptions): ReceiverQueues {
  const common = {
    fifo: true,
    contentBasedDeduplication: false,
    deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
    fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
    enforceSSL: true,
    maxMessageSizeBytes: options.maxMessageSizeBytes,
    retentionPeriod: Duration.seconds(EVENT_QUEUE.retentionSeconds),
    removalPolicy: options.removalPolicy,
    ...(options.encryptionKey
      ? { encryption: QueueEncryption.KMS, encryptionMasterKey: options.encryptionKey }
      : { encryption: QueueEncryption.SQS_MANAGED }),
  } as const;
  const deadLetterQueue = new Queue(scope, 'DeadLetterQueue', {
    ...common,
    ...options.deadLetterQueueProps,
    fifo: true,
  });
  const queue = new Queue(scope, 'EventQueue', {
    ...common,
    visibilityTimeout:
      options.queueProps?.visibilityTimeout ??
      Duration.seconds(EVENT_QUEUE.visibilityTimeoutFactor * options.processorTimeout.toSeconds()),
    ...options.queueProps,
    fifo: true,
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: options.maxReceiveCount },
  });
  return { queue, deadLetterQueue };
}
