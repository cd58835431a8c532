/**
 * What the connection registry and the Dynamic Rules store share, taken alone: how a store's
 * options are checked, how an event's rank among events of the same time is built from its
 * receipt time (never the queue's sequence number, which a redrive renews), and the update
 * expressions. Their effect on stored items is in
 * test/integration/connections-registry.test.ts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConnectionRegistry } from '../../lambda/processor/connections.ts';
import {
  eventRank,
  resolveClient,
  sortableReceipt,
  UpdateExpressionBuilder,
} from '../../lambda/processor/connections-table.ts';
import { readQueuedEvent } from '../../lambda/processor/queued-event.ts';
import { RulesStore } from '../../lambda/processor/rules.ts';
import { exampleEvent } from '../fixtures/events.ts';
import { redrivenRecord, sqsRecord } from '../fixtures/sqs-events.ts';

describe('a store’s options', () => {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  afterAll(() => client.destroy());

  it.each([
    ['connection registry', (options: never) => new ConnectionRegistry(options)],
    ['Dynamic Rules store', (options: never) => new RulesStore(options)],
  ])('the %s refuses a client and a client configuration together', (_name, create) => {
    expect(() => create({ tableName: 'connections', client, clientConfig: {} } as never)).toThrow(
      new TypeError('pass either client or clientConfig, not both'),
    );
  });

  it.each(['', '   '])('refuse a blank table name (%j), naming it', (tableName) => {
    expect(() => resolveClient({ tableName, client })).toThrow(
      new TypeError(`tableName must be a non-empty string, got "${tableName}"`),
    );
    expect(() => new ConnectionRegistry({ tableName } as never)).toThrow(TypeError);
  });

  it('refuse a missing table name', () => {
    expect(() => resolveClient({ client } as never)).toThrow(
      new TypeError('tableName must be a non-empty string, got "undefined"'),
    );
  });

  it('use the client they are given, or build one from a client configuration', () => {
    expect(resolveClient({ tableName: 'connections', client })).toBe(client);
    const built = resolveClient({ tableName: 'connections', clientConfig: { region: 'eu-west-1' } });
    expect(built).toBeInstanceOf(DynamoDBDocumentClient);
    expect(built).not.toBe(client);
    built.destroy();
  });
});

describe('the sortable form of a receipt time', () => {
  it('is the milliseconds since the epoch, zero-padded to 16 digits', () => {
    expect(sortableReceipt(new Date('2024-01-15T10:30:00.123Z'))).toBe('0001705314600123');
    expect(sortableReceipt(new Date(0))).toBe('0'.repeat(16));
  });

  it('is empty for a missing or invalid time, which sorts before every real one', () => {
    for (const receivedAt of [undefined, new Date(Number.NaN), new Date(-1)]) {
      expect(sortableReceipt(receivedAt)).toBe('');
    }
    expect('' < sortableReceipt(new Date(0))).toBe(true);
  });

  it('orders as the times do, to the millisecond, across a change in their number of digits', () => {
    const times = [
      new Date('2286-11-20T17:46:40.000Z'), // 10^13 ms: one digit more than today's times
      new Date('2024-01-15T10:30:00.124Z'),
      new Date('2001-09-09T01:46:39.999Z'), // 10^12 − 1 ms
      new Date('2024-01-15T10:30:00.123Z'),
    ];
    const byTime = [...times].sort((a, b) => a.getTime() - b.getTime());
    const byText = [...times].sort((a, b) => (sortableReceipt(a) < sortableReceipt(b) ? -1 : 1));
    expect(byText).toEqual(byTime);
  });
});

describe('an event’s rank among events of the same time', () => {
  const receivedAt = new Date('2024-01-15T10:30:00.123Z');

  it('is its receipt time, then the tie-breaks, then its id, after the layout mark', () => {
    const position = { eventId: 'evt_1', eventTime: new Date(0), receivedAt };
    expect(eventRank(position, 2, 'x')).toBe('r0001705314600123#2#x#evt_1');
    expect(eventRank({ eventId: 'evt_1', eventTime: new Date(0) })).toBe('r#evt_1');
  });

  it('puts the earlier receipt first, whatever the tie-breaks and ids', () => {
    const earlier = eventRank({ eventId: 'evt_z', eventTime: new Date(0), receivedAt }, 3);
    const later = eventRank(
      { eventId: 'evt_a', eventTime: new Date(0), receivedAt: new Date(receivedAt.getTime() + 1) },
      0,
    );
    expect(earlier < later).toBe(true);
  });

  it('sorts after every rank of the earlier layout (a sequence number of up to 40 digits first), so a stored item of that layout loses a tie', () => {
    const current = eventRank({ eventId: 'evt_0', eventTime: new Date(0) });
    for (const earlier of [`${'9'.repeat(40)}#3#evt_z`, `${'0'.repeat(21)}18#0#evt`, '#3#evt_z', '']) {
      expect(earlier < current).toBe(true);
    }
  });
});

describe('an event redriven or replayed with its attributes', () => {
  it('keeps its rank although the queue gave it a new, larger sequence number', () => {
    // GIVEN a queued connection.created and the same message after a redrive: the same body and
    // attributes (receivedAt among them), a new sequence number
    const original = sqsRecord({
      body: exampleEvent('connection.created'),
      receivedAt: '2024-01-15T10:30:00.100Z',
      sequenceNumber: '18000000000000000001',
    });
    const redriven = redrivenRecord(original);
    expect(BigInt(redriven.attributes.SequenceNumber!)).toBeGreaterThan(
      BigInt(original.attributes.SequenceNumber!),
    );
    // WHEN each is ranked as the registry ranks it
    const rank = (record: typeof original) => eventRank(readQueuedEvent(record), 0);
    // THEN the ranks are equal: the redrive does not move the event
    expect(rank(redriven)).toBe(rank(original));
  });
});

describe('update expressions', () => {
  it('name every attribute and value by placeholder', () => {
    const built = new UpdateExpressionBuilder().set('status', 'active').set('since', 1, true).build();
    expect(built).toEqual({
      UpdateExpression: 'SET #status = :status, #since = if_not_exists(#since, :since)',
      ExpressionAttributeNames: { '#status': 'status', '#since': 'since' },
      ExpressionAttributeValues: { ':status': 'active', ':since': 1 },
    });
  });

  it('have no SET clause when they only remove', () => {
    const built = new UpdateExpressionBuilder().remove('rules').remove('revision').build();
    expect(built).toEqual({
      UpdateExpression: 'REMOVE #rules, #revision',
      ExpressionAttributeNames: { '#rules': 'rules', '#revision': 'revision' },
      ExpressionAttributeValues: {},
    });
  });

  it('put SET before REMOVE', () => {
    const built = new UpdateExpressionBuilder().remove('rules').set('revision', 'r2').build();
    expect(built.UpdateExpression).toBe('SET #revision = :revision REMOVE #rules');
  });
});
