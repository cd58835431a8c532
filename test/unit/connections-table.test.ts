/**
 * What the connection registry and the Dynamic Rules store share, taken alone: how a store's
 * options are checked, how an event's rank among events of the same time is built from its queue
 * sequence number, and the update expressions. Their effect on stored items is in
 * test/integration/connections-registry.test.ts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConnectionRegistry } from '../../lambda/processor/connections.ts';
import {
  eventRank,
  resolveClient,
  sortableSequence,
  UpdateExpressionBuilder,
} from '../../lambda/processor/connections-table.ts';
import { RulesStore } from '../../lambda/processor/rules.ts';

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

describe('the sortable form of a queue sequence number', () => {
  it('pads a decimal sequence number to 40 digits', () => {
    expect(sortableSequence('18')).toBe('18'.padStart(40, '0'));
    expect(sortableSequence('9'.repeat(40))).toBe('9'.repeat(40));
  });

  it('is empty for a missing, non-decimal or over-long sequence number, which sorts before every real one', () => {
    for (const sequenceNumber of [undefined, '', 'abc', '12a', '-5', '1e9', '9'.repeat(41)]) {
      expect(sortableSequence(sequenceNumber)).toBe('');
    }
    expect('' < sortableSequence('0')).toBe(true);
  });

  it('orders as the numbers do, whatever their lengths', () => {
    const numbers = ['9', '10', '18446744073709551616', '340282366920938463463374607431768211455', '100'];
    const sorted = [...numbers].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    expect([...numbers].sort((a, b) => (sortableSequence(a) < sortableSequence(b) ? -1 : 1))).toEqual(sorted);
  });
});

describe('an event’s rank among events of the same time', () => {
  it('is its sequence number, then the tie-breaks, then its id', () => {
    const position = { eventId: 'evt_1', eventTime: new Date(0), sequenceNumber: '7' };
    expect(eventRank(position, 2, 'x')).toBe(`${'7'.padStart(40, '0')}#2#x#evt_1`);
    expect(eventRank({ eventId: 'evt_1', eventTime: new Date(0) })).toBe('#evt_1');
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
