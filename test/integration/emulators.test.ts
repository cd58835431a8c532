import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { createTestResources } from '../support/emulators.ts';

describe('local resources', () => {
  it('creates the tables and a high-throughput FIFO queue with a dead-letter queue', async () => {
    // GIVEN the emulators started by the global setup
    // WHEN the stack's resources are created in them
    const resources = await createTestResources({ maxReceiveCount: 3 });
    // THEN the connections table has its GSI and the queue redrives to the DLQ
    const table = await resources.dynamodb.send(
      new DescribeTableCommand({ TableName: resources.connectionsTableName }),
    );
    expect(table.Table?.GlobalSecondaryIndexes?.[0]?.IndexName).toBe('byClientReferenceId');
    const queue = await resources.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: resources.queueUrl, AttributeNames: ['All'] }),
    );
    expect(queue.Attributes).toMatchObject({ FifoQueue: 'true', ContentBasedDeduplication: 'false' });
    expect(JSON.parse(queue.Attributes?.RedrivePolicy ?? '{}')).toMatchObject({ maxReceiveCount: 3 });
  });
});
