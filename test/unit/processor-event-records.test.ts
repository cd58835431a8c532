/**
 * The processor's event record adapter (`lambda/processor/event-records.ts`) where DynamoDB Local
 * cannot be made to answer as needed: a table failure between the two writes of a first replay,
 * and the record's error text at its limit. What the record holds is tested on DynamoDB Local
 * (test/integration/event-record-processor.test.ts).
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbEventRecords, errorText } from '../../lambda/processor/event-records.ts';
import { MAX_RECORDED_ERROR_CHARS } from '../../lambda/shared/event-record.ts';

describe('errorText', () => {
  it('keeps an error of exactly the limit whole, and cuts one character more', () => {
    const exactly = new Error('x'.repeat(MAX_RECORDED_ERROR_CHARS - 'Error: '.length));
    expect(errorText(exactly)).toBe(`Error: ${exactly.message}`);
    const over = new Error(`${exactly.message}y`);
    expect(errorText(over)).toHaveLength(MAX_RECORDED_ERROR_CHARS);
    expect(errorText(over)).toMatch(/x…$/);
  });
});

describe('DynamoDbEventRecords.markReplayed', () => {
  const event = { eventKey: 'k1', eventType: 'connection.updated', connectionId: 'conn_1' };

  function records() {
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const mock = mockClient(documents);
    return { mock, store: new DynamoDbEventRecords({ tableName: 't', ttlSeconds: 60, client: documents }) };
  }

  it('creates the map of replays when the record has none yet', async () => {
    // GIVEN a record without replays (the first update's condition fails)
    const { mock, store } = records();
    mock
      .on(UpdateCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'no map', $metadata: {} }))
      .resolves({});
    // WHEN a replay is recorded THEN a second update creates the map with it
    await store.markReplayed(event, 'r1');
    const calls = mock.commandCalls(UpdateCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.ExpressionAttributeValues?.[':replays']).toEqual({
      r1: expect.any(String),
    });
  });

  it('fails with the table’s error, without a second write, when the first update fails otherwise', async () => {
    // GIVEN a table that throttles the first update
    const { mock, store } = records();
    const throttled = Object.assign(new Error('slow down'), {
      name: 'ProvisionedThroughputExceededException',
    });
    mock.on(UpdateCommand).rejectsOnce(throttled).resolves({});
    // WHEN a replay is recorded THEN the error comes back and nothing else was written
    await expect(store.markReplayed(event, 'r1')).rejects.toBe(throttled);
    expect(mock.commandCalls(UpdateCommand)).toHaveLength(1);
  });
});
