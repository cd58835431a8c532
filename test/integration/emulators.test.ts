import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { createTestResources } from '../support/emulators.ts';
import { isLoopback, listeningSocketsOfNamespace } from '../support/listening-sockets.ts';

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

  it('listen on loopback only: every socket on their ports is bound to 127.0.0.1 or ::1', async () => {
    // GIVEN the emulators started by the global setup, as `npm test` starts them
    const ports = [process.env.TEST_DYNAMODB_ENDPOINT, process.env.TEST_SQS_ENDPOINT].map((url) =>
      Number(new URL(String(url)).port),
    );
    // WHEN the machine's listening TCP sockets are read from /proc
    const sockets = await listeningSocketsOfNamespace();
    // THEN each emulator listens, and on a loopback address only: nobody else on the network can
    // read the queued bodies or the registry
    const theirs = sockets.filter((socket) => ports.includes(socket.port));
    expect(new Set(theirs.map((socket) => socket.port))).toEqual(new Set(ports));
    expect(theirs.filter((socket) => !isLoopback(socket.address))).toEqual([]);
  });
});
