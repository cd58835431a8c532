/**
 * The connection registry and the Dynamic Rules store against DynamoDB Local: the stale-event
 * guard, equal times ordered by the receipt time (and deterministically without one),
 * redeliveries told apart from stale events, the disconnection tombstone, lookup by
 * clientReferenceId through the GSI, and the rules revision guard.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ConnectionRegistry, connectionKey } from '../../lambda/processor/connections.ts';
import type { EventPosition } from '../../lambda/processor/connections-table.ts';
import { RulesStore } from '../../lambda/processor/rules.ts';
import type { ConnectionEventType, RealtimeEvent } from '../../lambda/shared/event-model.ts';
import {
  type ConnectionEventInput,
  connectionEvent,
  exampleEvent,
  rulesUpdatedEvent,
  toSdkShape,
  typedEvent,
} from '../fixtures/events.ts';
import { createTestResources } from '../support/emulators.ts';

let registry: ConnectionRegistry;
let client: DynamoDBDocumentClient;
let tableName: string;

beforeAll(async () => {
  const resources = await createTestResources();
  tableName = resources.connectionsTableName;
  client = DynamoDBDocumentClient.from(resources.dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  registry = new ConnectionRegistry({ tableName, client });
});

let counter = 0;
/** A unique connection id per test, so tests share the table without sharing items. */
function freshConnectionId(): string {
  counter += 1;
  return `conn_${Date.now().toString(36)}_${counter}`;
}

/** An event's position; without a receipt time unless given as milliseconds after `iso`. */
function at(iso: string, eventId = `evt-${iso}`, receivedAfterMs?: number): EventPosition {
  const eventTime = new Date(iso);
  return {
    eventId,
    eventTime,
    ...(receivedAfterMs !== undefined && { receivedAt: new Date(eventTime.getTime() + receivedAfterMs) }),
  };
}

function event(type: ConnectionEventType, input: ConnectionEventInput): RealtimeEvent<ConnectionEventType> {
  return typedEvent(connectionEvent(type, input));
}

/** A document client on DynamoDB Local that notes the input of every command it sends. */
function notingClient(): { client: DynamoDBDocumentClient; inputs: Array<Record<string, unknown>> } {
  const inputs: Array<Record<string, unknown>> = [];
  const noting = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: process.env.TEST_DYNAMODB_ENDPOINT, region: 'us-east-1' }),
  );
  noting.middlewareStack.add(
    (next) => async (args) => {
      inputs.push(args.input as Record<string, unknown>);
      return next(args);
    },
    { step: 'initialize' },
  );
  return { client: noting, inputs };
}

async function rawItem(connectionId: string) {
  const { Item } = await client.send(
    new GetCommand({ TableName: tableName, Key: { pk: connectionKey(connectionId) } }),
  );
  return Item;
}

describe('the connection registry', () => {
  it('records a created connection with every field the event carries', async () => {
    // GIVEN the documented connection.created, for a fresh connection id
    const id = freshConnectionId();
    const example = exampleEvent('connection.created');
    const data = example.data as { connection: Record<string, unknown> };
    const created = typedEvent<'connection.created'>({
      ...example,
      data: { ...example.data, connection: { ...data.connection, id, platformUserId: 'pu_1' } },
    });
    // WHEN it is applied
    const outcome = await registry.apply(created, at('2024-01-15T10:30:00Z', 'evt-1'));
    // THEN the connection is stored as documented
    expect(outcome).toEqual({ applied: true });
    expect(await registry.get(id)).toEqual({
      connectionId: id,
      status: 'active',
      clientReferenceId: 'user_456',
      permissions: ['profile:read', 'posts:read'],
      userData: {
        id: 'of_user_456',
        name: 'Jane Doe',
        username: 'janedoe',
        avatar: 'https://cdn.onlyfans.com/avatar.jpg',
      },
      platformUserId: 'pu_1',
      lastEventAt: '2024-01-15T10:30:00.000Z',
      lastEventId: 'evt-1',
      lastEventType: 'connection.created',
      updatedAt: expect.any(String),
    });
  });

  it('records live from an SDK-shaped event', async () => {
    const id = freshConnectionId();
    const sdk = typedEvent<'connection.created'>(
      toSdkShape(connectionEvent('connection.created', { connectionId: id, status: 'awaiting_2fa' }), false),
    );
    await registry.apply(sdk, at('2024-01-15T10:30:00Z'));
    expect(await registry.get(id)).toMatchObject({ live: false, status: 'awaiting_2fa' });
  });

  it('ignores an older event that arrives after a newer one', async () => {
    // GIVEN a connection updated at 11:30
    const id = freshConnectionId();
    await registry.apply(
      event('connection.created', { connectionId: id, status: 'active' }),
      at('2024-01-15T10:30:00Z'),
    );
    await registry.apply(
      event('connection.updated', { connectionId: id, permissions: ['a', 'b'] }),
      at('2024-01-15T11:30:00Z'),
    );
    const before = await rawItem(id);
    // WHEN an update from 11:00 arrives late
    const outcome = await registry.apply(
      event('connection.updated', { connectionId: id, permissions: ['a'] }),
      at('2024-01-15T11:00:00Z'),
    );
    // THEN it is ignored as stale and the item is unchanged
    expect(outcome).toEqual({ applied: false, reason: 'not-newer' });
    expect(await rawItem(id)).toEqual(before);
  });

  it('keeps fields an event leaves out, and removes a clientReferenceId sent as null', async () => {
    const id = freshConnectionId();
    await registry.apply(
      event('connection.created', {
        connectionId: id,
        clientReferenceId: 'u1',
        status: 'active',
        permissions: ['a'],
      }),
      at('2024-01-15T10:30:00Z'),
    );
    await registry.apply(event('connection.expired', { connectionId: id }), at('2024-01-15T10:31:00Z'));
    expect(await registry.get(id)).toMatchObject({
      status: 'expired',
      clientReferenceId: 'u1',
      permissions: ['a'],
    });
    await registry.apply(
      event('connection.updated', { connectionId: id, clientReferenceId: null, status: 'active' }),
      at('2024-01-15T10:32:00Z'),
    );
    expect(await registry.get(id)).not.toHaveProperty('clientReferenceId');
    expect(await registry.findByClientReferenceId('u1')).toEqual([]);
  });

  it('applies in-order events stamped with the same second in receipt order: expired, then a reconnecting update', async () => {
    // GIVEN a connection that expires and is reconnected within one second (OFAuth stamps whole
    // seconds), received in that order: the update has the later receipt time
    const id = freshConnectionId();
    const time = '2024-01-15T10:30:00Z';
    await registry.apply(
      event('connection.created', { connectionId: id, status: 'active', permissions: ['a'] }),
      at('2024-01-15T10:00:00Z', 'evt-created', 100),
    );
    const expired = await registry.apply(
      event('connection.expired', { connectionId: id, status: 'expired' }),
      at(time, 'evt-expired', 101),
    );
    // WHEN the update that reconnects it is applied
    const reconnected = await registry.apply(
      event('connection.updated', { connectionId: id, status: 'active', permissions: ['a', 'b'] }),
      at(time, 'evt-reconnected', 102),
    );
    // THEN the later event wins: the connection is active again
    expect([expired, reconnected]).toEqual([{ applied: true }, { applied: true }]);
    expect(await registry.get(id)).toMatchObject({
      status: 'active',
      permissions: ['a', 'b'],
      lastEventType: 'connection.updated',
      lastEventId: 'evt-reconnected',
    });
  });

  it('applies the later of two updates stamped with the same second, whatever their event ids', async () => {
    // GIVEN two updates of one second, the later one with the event id that sorts first
    const id = freshConnectionId();
    const time = '2024-01-15T10:30:00Z';
    await registry.apply(
      event('connection.updated', { connectionId: id, permissions: ['first'] }),
      at(time, 'evt-b', 200),
    );
    // WHEN the later one is applied
    const outcome = await registry.apply(
      event('connection.updated', { connectionId: id, permissions: ['second'] }),
      at(time, 'evt-a', 201),
    );
    // THEN it wins
    expect(outcome).toEqual({ applied: true });
    expect((await registry.get(id))?.permissions).toEqual(['second']);
  });

  it('rejects an event of the same second that was received earlier', async () => {
    // GIVEN the later of two same-second events already applied
    const id = freshConnectionId();
    const time = '2024-01-15T10:30:00Z';
    await registry.apply(
      event('connection.updated', { connectionId: id, status: 'active' }),
      at(time, 'evt-later', 301),
    );
    const before = await rawItem(id);
    // WHEN the one received earlier is applied afterwards (higher type precedence, too)
    const outcome = await registry.apply(
      event('connection.expired', { connectionId: id, status: 'expired' }),
      at(time, 'evt-earlier', 300),
    );
    // THEN it is not newer, and the item is unchanged
    expect(outcome).toEqual({ applied: false, reason: 'not-newer' });
    expect(await rawItem(id)).toEqual(before);
  });

  it('orders receipt times to the millisecond, whatever the arrival order and the event ids', async () => {
    // GIVEN, for each arrival order, two updates of one second received 1 ms apart (the later one
    // with the event id that sorts first)
    const time = '2024-01-15T10:30:00Z';
    const finals = [];
    for (const order of [
      [500, 501],
      [501, 500],
    ]) {
      const id = freshConnectionId();
      // WHEN both are applied
      for (const receivedAfterMs of order) {
        await registry.apply(
          event('connection.updated', { connectionId: id, permissions: [String(receivedAfterMs)] }),
          at(time, receivedAfterMs === 501 ? 'evt-a' : 'evt-b', receivedAfterMs),
        );
      }
      finals.push((await registry.get(id))?.permissions);
    }
    // THEN the later receipt wins either way
    expect(finals).toEqual([['501'], ['501']]);
  });

  it('rejects a redelivery of the stored event as the same event, and changes nothing', async () => {
    // GIVEN an applied update
    const id = freshConnectionId();
    const update = event('connection.updated', { connectionId: id, status: 'active', permissions: ['p'] });
    const position = at('2024-01-15T10:30:00Z', 'msg_once', 400);
    await registry.apply(update, position);
    const before = await rawItem(id);
    // WHEN the very same event is applied again (a retry after its handler threw)
    const again = await registry.apply(update, position);
    // THEN the outcome tells a redelivery from a stale event, and the item is unchanged
    expect(again).toEqual({ applied: false, reason: 'same-event' });
    expect(await rawItem(id)).toEqual(before);
  });

  it('rejects a redelivered disconnection as the same event, not as a tombstone', async () => {
    const id = freshConnectionId();
    const disconnected = event('connection.disconnected', { connectionId: id });
    await registry.apply(disconnected, at('2024-01-15T10:30:00Z', 'msg_gone', 500));
    const again = await registry.apply(disconnected, at('2024-01-15T10:30:00Z', 'msg_gone', 500));
    expect(again).toEqual({ applied: false, reason: 'same-event' });
  });

  it('rejects a later-received event of the same second after a disconnection: the tombstone stands', async () => {
    // GIVEN a connection disconnected at 10:30:00
    const id = freshConnectionId();
    const time = '2024-01-15T10:30:00Z';
    await registry.apply(event('connection.disconnected', { connectionId: id }), at(time, 'evt-d', 600));
    const tombstone = await rawItem(id);
    // WHEN an update of the same second, received after it, arrives
    const outcome = await registry.apply(
      event('connection.updated', { connectionId: id, status: 'active' }),
      at(time, 'evt-u', 601),
    );
    // THEN the tombstone is not revived
    expect(outcome).toEqual({ applied: false, reason: 'tombstone' });
    expect(await rawItem(id)).toEqual(tombstone);
  });

  it('without receipt times, settles events with equal times the same way whatever order they arrive in', async () => {
    // GIVEN created, updated and expired, all stamped with the same second, and no receipt time
    // (the lifecycle order of the type decides, then the event id)
    const time = '2024-01-15T10:30:00Z';
    const events = [
      [event('connection.created', { status: 'active', permissions: ['c'] }), 'evt-c'],
      [event('connection.updated', { status: 'active', permissions: ['u'] }), 'evt-u'],
      [event('connection.expired', { status: 'expired' }), 'evt-e'],
    ] as const;
    const orders = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ];
    // WHEN each arrival order is applied to its own connection
    const finals = [];
    for (const order of orders) {
      const id = freshConnectionId();
      for (const index of order) {
        const [template, eventId] = events[index]!;
        const withId = {
          ...template,
          data: { ...template.data, connection: { ...template.data.connection, id } },
        };
        await registry.apply(withId, at(time, eventId));
      }
      const { status, lastEventType, lastEventId, lastEventAt } = (await registry.get(id))!;
      finals.push({ status, lastEventType, lastEventId, lastEventAt });
    }
    // THEN every order ends with the same winner: the lifecycle's last step (expired)
    expect(finals).toEqual(
      Array(orders.length).fill({
        status: 'expired',
        lastEventType: 'connection.expired',
        lastEventId: 'evt-e',
        lastEventAt: '2024-01-15T10:30:00.000Z',
      }),
    );
  });

  it('without receipt times, breaks a tie between two events of one type and time by event id', async () => {
    const time = '2024-01-15T10:30:00Z';
    const finals = [];
    for (const order of [
      ['evt-a', 'evt-b'],
      ['evt-b', 'evt-a'],
    ]) {
      const id = freshConnectionId();
      for (const eventId of order) {
        await registry.apply(
          event('connection.updated', { connectionId: id, permissions: [eventId] }),
          at(time, eventId),
        );
      }
      finals.push((await registry.get(id))?.permissions);
    }
    expect(finals).toEqual([['evt-b'], ['evt-b']]);
  });

  it('leaves a tombstone that no later event revives, even a newer one', async () => {
    // GIVEN a connection that was disconnected
    const id = freshConnectionId();
    await registry.apply(
      event('connection.created', { connectionId: id, clientReferenceId: 'u-tomb', status: 'active' }),
      at('2024-01-15T10:30:00Z'),
    );
    await registry.apply(
      event('connection.disconnected', { connectionId: id }),
      at('2024-01-17T10:30:00Z', 'evt-d'),
    );
    const tombstone = await rawItem(id);
    // WHEN later updated, created and expired events arrive, with newer times
    const outcomes = [
      await registry.apply(
        event('connection.updated', { connectionId: id, status: 'active' }),
        at('2024-02-01T00:00:00Z'),
      ),
      await registry.apply(
        event('connection.created', { connectionId: id, status: 'active' }),
        at('2024-02-02T00:00:00Z'),
      ),
      await registry.apply(event('connection.expired', { connectionId: id }), at('2024-02-03T00:00:00Z')),
      await registry.apply(
        event('connection.disconnected', { connectionId: id }),
        at('2024-02-04T00:00:00Z'),
      ),
    ];
    // THEN each is ignored and the tombstone stands
    expect(outcomes).toEqual(Array(4).fill({ applied: false, reason: 'tombstone' }));
    expect(await rawItem(id)).toEqual(tombstone);
    expect(await registry.get(id)).toMatchObject({
      status: 'disconnected',
      disconnectedAt: '2024-01-17T10:30:00.000Z',
      clientReferenceId: 'u-tomb',
      lastEventType: 'connection.disconnected',
    });
  });

  it('applies a disconnection even when it is older than the stored state', async () => {
    const id = freshConnectionId();
    await registry.apply(
      event('connection.updated', { connectionId: id, status: 'active', permissions: ['p'] }),
      at('2024-01-15T12:00:00Z'),
    );
    const outcome = await registry.apply(
      event('connection.disconnected', { connectionId: id, clientReferenceId: 'u-late' }),
      at('2024-01-15T11:00:00Z'),
    );
    expect(outcome).toEqual({ applied: true });
    // A late disconnection fills gaps but does not overwrite the newer fields.
    expect(await registry.get(id)).toMatchObject({
      status: 'disconnected',
      permissions: ['p'],
      clientReferenceId: 'u-late',
    });
  });

  it('finds a user’s connections by clientReferenceId through the GSI, without tombstones by default', async () => {
    // GIVEN a user with two live connections and a disconnected one, and another user
    const user = `user_${freshConnectionId()}`;
    const [first, second, gone, other] = [
      freshConnectionId(),
      freshConnectionId(),
      freshConnectionId(),
      freshConnectionId(),
    ];
    for (const id of [first, second, gone]) {
      await registry.apply(
        event('connection.created', { connectionId: id, clientReferenceId: user, status: 'active' }),
        at('2024-01-15T10:30:00Z'),
      );
    }
    await registry.apply(
      event('connection.created', {
        connectionId: other,
        clientReferenceId: `${user}_other`,
        status: 'active',
      }),
      at('2024-01-15T10:30:00Z'),
    );
    await registry.apply(
      event('connection.disconnected', { connectionId: gone }),
      at('2024-01-16T10:30:00Z'),
    );
    // WHEN the user's connections are looked up
    const found = await registry.findByClientReferenceId(user);
    const withTombstones = await registry.findByClientReferenceId(user, { includeDisconnected: true });
    // THEN only theirs come back, disconnected ones only when asked
    expect(found.map((connection) => connection.connectionId).sort()).toEqual([first, second].sort());
    expect(withTombstones.map((connection) => connection.connectionId).sort()).toEqual(
      [first, second, gone].sort(),
    );
    expect(found[0]).not.toHaveProperty('pk');
    expect(found[0]).not.toHaveProperty('lastEventTime');
  });

  it('answers undefined for a connection it never saw', async () => {
    expect(await registry.get('conn_never_seen')).toBeUndefined();
  });
});

describe('the connection registry: a late disconnection', () => {
  it('keeps the newer permissions and userData when the disconnection that arrives late carries older ones', async () => {
    // GIVEN a connection updated at 12:00 with new permissions and user data
    const id = freshConnectionId();
    await registry.apply(
      event('connection.updated', {
        connectionId: id,
        status: 'active',
        permissions: ['profile:read', 'messages:read'],
        userData: { id: 'of_1', name: 'New Name' },
        platformUserId: 'pu_new',
      }),
      at('2024-01-15T12:00:00Z', 'evt-update'),
    );
    // WHEN a disconnection stamped 11:00 arrives, carrying the state it saw then
    const outcome = await registry.apply(
      event('connection.disconnected', {
        connectionId: id,
        permissions: ['profile:read'],
        userData: { id: 'of_1', name: 'Old Name' },
        platformUserId: 'pu_old',
      }),
      at('2024-01-15T11:00:00Z', 'evt-disconnect'),
    );
    // THEN the tombstone is laid, and every newer field is kept as it was
    expect(outcome).toEqual({ applied: true });
    expect(await registry.get(id)).toMatchObject({
      status: 'disconnected',
      disconnectedAt: '2024-01-15T11:00:00.000Z',
      permissions: ['profile:read', 'messages:read'],
      userData: { id: 'of_1', name: 'New Name' },
      platformUserId: 'pu_new',
      lastEventId: 'evt-disconnect',
      lastEventType: 'connection.disconnected',
    });
  });

  it('keeps the clientReferenceId when a disconnection sends it as null', async () => {
    // GIVEN a connection that belongs to a user
    const id = freshConnectionId();
    const user = `user_${id}`;
    await registry.apply(
      event('connection.created', { connectionId: id, clientReferenceId: user, status: 'active' }),
      at('2024-01-15T10:30:00Z'),
    );
    // WHEN its disconnection carries clientReferenceId: null
    await registry.apply(
      event('connection.disconnected', { connectionId: id, clientReferenceId: null }),
      at('2024-01-15T10:31:00Z'),
    );
    // THEN the tombstone still names the user, and the user's lookup still finds it when asked
    expect(await registry.get(id)).toMatchObject({ status: 'disconnected', clientReferenceId: user });
    const found = await registry.findByClientReferenceId(user, { includeDisconnected: true });
    expect(found.map((connection) => connection.connectionId)).toEqual([id]);
  });

  it('fills the fields a disconnection carries that nothing stored yet', async () => {
    // GIVEN no event of the connection so far
    const id = freshConnectionId();
    // WHEN its disconnection arrives first, with every field
    await registry.apply(
      event('connection.disconnected', {
        connectionId: id,
        clientReferenceId: 'u-first',
        permissions: ['a'],
        userData: { id: 'of_2' },
      }),
      at('2024-01-15T10:30:00Z', 'evt-d'),
    );
    // THEN they are stored on the tombstone
    expect(await registry.get(id)).toEqual({
      connectionId: id,
      status: 'disconnected',
      disconnectedAt: '2024-01-15T10:30:00.000Z',
      clientReferenceId: 'u-first',
      permissions: ['a'],
      userData: { id: 'of_2' },
      lastEventAt: '2024-01-15T10:30:00.000Z',
      lastEventId: 'evt-d',
      lastEventType: 'connection.disconnected',
      updatedAt: expect.any(String),
    });
  });
});

describe('the connection registry: items of the earlier record layout', () => {
  /** An item as earlier releases wrote it: a `lastEventOrder` (type, then id), no `lastEventRank`. */
  async function putEarlierLayoutItem(id: string, time: string) {
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          pk: connectionKey(id),
          connectionId: id,
          status: 'active',
          clientReferenceId: 'u-earlier',
          permissions: ['old'],
          lastEventAt: new Date(time).toISOString(),
          lastEventTime: new Date(time).getTime(),
          lastEventOrder: '1#evt-earlier',
          lastEventId: 'evt-earlier',
          lastEventType: 'connection.updated',
          updatedAt: new Date(time).toISOString(),
        },
      }),
    );
  }

  it('reads an item of the earlier layout without its bookkeeping attributes', async () => {
    const id = freshConnectionId();
    await putEarlierLayoutItem(id, '2024-01-15T10:30:00Z');
    const record = await registry.get(id);
    expect(record).toMatchObject({ connectionId: id, status: 'active', lastEventId: 'evt-earlier' });
    for (const attribute of ['pk', 'lastEventTime', 'lastEventOrder', 'lastEventRank']) {
      expect(record).not.toHaveProperty(attribute);
    }
  });

  it('lets an event of the same time win over an item of the earlier layout, and upgrades the item', async () => {
    // GIVEN an item of the earlier layout, stamped 10:30:00
    const id = freshConnectionId();
    await putEarlierLayoutItem(id, '2024-01-15T10:30:00Z');
    // WHEN an event of the same second arrives (with a rank that sorts before the old order)
    const outcome = await registry.apply(
      event('connection.created', { connectionId: id, status: 'active', permissions: ['new'] }),
      at('2024-01-15T10:30:00Z', 'evt-0', 1),
    );
    // THEN it is applied: an item without a rank loses every tie
    expect(outcome).toEqual({ applied: true });
    // AND the item now has the current layout: a rank, no lastEventOrder
    const item = await rawItem(id);
    expect(item?.permissions).toEqual(['new']);
    expect(item).not.toHaveProperty('lastEventOrder');
    expect(item?.lastEventRank).toBe('r0001705314600001#0#evt-0');
    // AND from now on its rank is compared: an event of that second received earlier loses
    const earlier = await registry.apply(
      event('connection.updated', { connectionId: id, permissions: ['earlier'] }),
      at('2024-01-15T10:30:00Z', 'evt-z', 0),
    );
    expect(earlier).toEqual({ applied: false, reason: 'not-newer' });
  });

  it('lets an event of the same second win over an item ranked by queue sequence number (the previous release), and rewrites its rank', async () => {
    // GIVEN an item the previous release wrote at 10:30:00: its rank starts with a sequence number
    // padded to 40 digits (here a large one, of the last type in the lifecycle)
    const id = freshConnectionId();
    const time = '2024-01-15T10:30:00Z';
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          pk: connectionKey(id),
          connectionId: id,
          status: 'expired',
          permissions: ['previous'],
          lastEventAt: new Date(time).toISOString(),
          lastEventTime: new Date(time).getTime(),
          lastEventRank: `${'99999999999999999999'.padStart(40, '0')}#2#evt-previous`,
          lastEventId: 'evt-previous',
          lastEventType: 'connection.expired',
          updatedAt: new Date(time).toISOString(),
        },
      }),
    );
    // WHEN the first event of that second after the upgrade arrives
    const outcome = await registry.apply(
      event('connection.updated', { connectionId: id, status: 'active', permissions: ['upgraded'] }),
      at(time, 'evt-after-upgrade', 1),
    );
    // THEN it wins the tie (the receipt order of the two cannot be known) and writes a current rank
    expect(outcome).toEqual({ applied: true });
    expect(await rawItem(id)).toMatchObject({
      permissions: ['upgraded'],
      lastEventRank: 'r0001705314600001#1#evt-after-upgrade',
    });
    // AND an older second is still rejected
    const older = await registry.apply(
      event('connection.updated', { connectionId: id, permissions: ['older'] }),
      at('2024-01-15T10:29:59Z', 'evt-older', 0),
    );
    expect(older).toEqual({ applied: false, reason: 'not-newer' });
  });

  it('rejects an older event against an item of the earlier layout', async () => {
    const id = freshConnectionId();
    await putEarlierLayoutItem(id, '2024-01-15T10:30:00Z');
    const before = await rawItem(id);
    const outcome = await registry.apply(
      event('connection.updated', { connectionId: id, permissions: ['older'] }),
      at('2024-01-15T10:29:59Z', 'evt-older', 5),
    );
    expect(outcome).toEqual({ applied: false, reason: 'not-newer' });
    expect(await rawItem(id)).toEqual(before);
  });
});

describe('the connection registry: fields', () => {
  it('stores the environment an event carries, and an updated status, keeping the rest', async () => {
    const id = freshConnectionId();
    const created = connectionEvent('connection.created', { connectionId: id, status: 'active' });
    await registry.apply(
      typedEvent({ ...created, data: { ...created.data, environment: 'sandbox' } }),
      at('2024-01-15T10:30:00Z'),
    );
    await registry.apply(
      event('connection.updated', { connectionId: id, status: 'awaiting_2fa' }),
      at('2024-01-15T10:31:00Z'),
    );
    expect(await registry.get(id)).toMatchObject({ environment: 'sandbox', status: 'awaiting_2fa' });
  });

  it('keeps the status when an update carries none', async () => {
    const id = freshConnectionId();
    await registry.apply(
      event('connection.created', { connectionId: id, status: 'active' }),
      at('2024-01-15T10:30:00Z'),
    );
    await registry.apply(
      event('connection.updated', { connectionId: id, permissions: ['x'] }),
      at('2024-01-15T10:31:00Z'),
    );
    expect(await registry.get(id)).toMatchObject({ status: 'active', permissions: ['x'] });
  });

  it('stores no environment that is not a string', async () => {
    const id = freshConnectionId();
    const created = connectionEvent('connection.created', { connectionId: id, status: 'active' });
    await registry.apply(
      typedEvent({ ...created, data: { ...created.data, environment: 42 } }),
      at('2024-01-15T10:30:00Z'),
    );
    expect(await registry.get(id)).not.toHaveProperty('environment');
  });

  it('fails with the DynamoDB error when the write fails for another reason than its condition', async () => {
    const missing = new ConnectionRegistry({ tableName: `${tableName}-missing`, client });
    await expect(
      missing.apply(
        event('connection.created', { connectionId: freshConnectionId() }),
        at('2024-01-15T10:30:00Z'),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('reads a connection with a strongly consistent read, so a write is seen at once', async () => {
    // GIVEN a document client that notes the input of every command it sends
    const { client: noting, inputs } = notingClient();
    const reader = new ConnectionRegistry({ tableName, client: noting });
    // WHEN a connection is read
    await reader.get('conn_consistent');
    // THEN the read is consistent
    expect(inputs).toEqual([expect.objectContaining({ ConsistentRead: true })]);
    noting.destroy();
  });

  it('keeps user data and a platform user id that a later event sends as null (null reads as absent)', async () => {
    const id = freshConnectionId();
    await registry.apply(
      event('connection.created', { connectionId: id, userData: { id: 'of_3' }, platformUserId: 'pu_3' }),
      at('2024-01-15T10:30:00Z'),
    );
    await registry.apply(
      event('connection.updated', { connectionId: id, userData: null, platformUserId: null }),
      at('2024-01-15T10:31:00Z'),
    );
    const record = await registry.get(id);
    expect(record).toMatchObject({ userData: { id: 'of_3' }, platformUserId: 'pu_3' });
  });
});

describe('the Dynamic Rules store', () => {
  // One table item holds the latest rules: these tests run in order on a table of their own.
  let store: RulesStore;
  beforeAll(async () => {
    const resources = await createTestResources();
    store = new RulesStore({
      tableName: resources.connectionsTableName,
      client: DynamoDBDocumentClient.from(resources.dynamodb),
    });
  });

  it('answers undefined before the first rules.updated', async () => {
    expect(await store.getLatest()).toBeUndefined();
  });

  it('records the revision and its rules body', async () => {
    const outcome = await store.apply(
      typedEvent(exampleEvent('rules.updated')),
      at('2024-01-15T10:30:00Z', 'r1'),
    );
    expect(outcome).toEqual({ applied: true });
    expect(await store.getLatest()).toEqual({
      revision: '202401151030-a1b2c3',
      rules: expect.objectContaining({
        checksum_indexes: [0, 3, 5, 8, 12, 17, 21, 30],
        checksum_constant: 443,
      }),
      lastEventAt: '2024-01-15T10:30:00.000Z',
      lastEventId: 'r1',
      updatedAt: expect.any(String),
    });
  });

  it('ignores an older revision that arrives late', async () => {
    await store.apply(
      typedEvent(rulesUpdatedEvent({ revision: 'rev-3', rules: { app_token: 't3' } })),
      at('2024-01-15T12:00:00Z'),
    );
    const outcome = await store.apply(
      typedEvent(rulesUpdatedEvent({ revision: 'rev-2', rules: { app_token: 't2' } })),
      at('2024-01-15T11:00:00Z'),
    );
    expect(outcome).toEqual({ applied: false, reason: 'not-newer' });
    expect(await store.getLatest()).toMatchObject({ revision: 'rev-3', rules: { app_token: 't3' } });
  });

  it('drops the stored body when a newer revision comes without one', async () => {
    await store.apply(typedEvent(rulesUpdatedEvent({ revision: 'rev-4' })), at('2024-01-15T13:00:00Z'));
    const latest = await store.getLatest();
    expect(latest?.revision).toBe('rev-4');
    expect(latest).not.toHaveProperty('rules');
  });

  it('without receipt times, breaks a tie at equal times by event id', async () => {
    await store.apply(
      typedEvent(rulesUpdatedEvent({ revision: 'rev-z' })),
      at('2024-01-15T14:00:00Z', 'evt-z'),
    );
    await store.apply(
      typedEvent(rulesUpdatedEvent({ revision: 'rev-a' })),
      at('2024-01-15T14:00:00Z', 'evt-a'),
    );
    expect((await store.getLatest())?.revision).toBe('rev-z');
  });

  it('applies the later of two revisions stamped with the same second, in receipt order', async () => {
    // GIVEN a revision stored at 15:00:00, received first
    await store.apply(
      typedEvent(rulesUpdatedEvent({ revision: 'rev-first' })),
      at('2024-01-15T15:00:00Z', 'evt-z', 700),
    );
    // WHEN the next revision, of the same second and received after it, arrives
    const outcome = await store.apply(
      typedEvent(rulesUpdatedEvent({ revision: 'rev-second' })),
      at('2024-01-15T15:00:00Z', 'evt-a', 701),
    );
    // THEN the later one wins, although its event id sorts first
    expect(outcome).toEqual({ applied: true });
    expect(await store.getLatest()).toMatchObject({ revision: 'rev-second', lastEventId: 'evt-a' });
    expect(await store.getLatest()).not.toHaveProperty('lastEventRank');
  });

  it('rejects a redelivery of the stored revision as the same event', async () => {
    // GIVEN the revision stored by the previous test
    // WHEN the same event is applied again
    const outcome = await store.apply(
      typedEvent(rulesUpdatedEvent({ revision: 'rev-second' })),
      at('2024-01-15T15:00:00Z', 'evt-a', 701),
    );
    // THEN it is recognized as the same event
    expect(outcome).toEqual({ applied: false, reason: 'same-event' });
  });
});

describe('the stores’ DynamoDB clients', () => {
  // A rules body as a handler may pass it on: one field present but undefined. DynamoDB has no
  // undefined, so a client that does not drop such fields fails the whole write.
  // (Set after parsing: a JSON body cannot carry undefined.)
  const withUndefinedField = () => {
    const event = typedEvent<'rules.updated'>(
      rulesUpdatedEvent({ revision: 'rev-u', rules: { app_token: 't' } }),
    );
    return { ...event, data: { ...event.data, rules: { ...event.data.rules, prefix: undefined } } };
  };

  it('reads the Dynamic Rules with a strongly consistent read, so a write is seen at once', async () => {
    // GIVEN a document client that notes the input of every command it sends
    const { client: noting, inputs } = notingClient();
    // WHEN the latest rules are read
    await new RulesStore({ tableName, client: noting }).getLatest();
    // THEN the read is consistent
    expect(inputs).toEqual([expect.objectContaining({ ConsistentRead: true })]);
    noting.destroy();
  });

  it('builds a client from a client configuration that drops undefined fields', async () => {
    const { connectionsTableName } = await createTestResources();
    const store = new RulesStore({
      tableName: connectionsTableName,
      clientConfig: { endpoint: process.env.TEST_DYNAMODB_ENDPOINT, region: 'us-east-1' },
    });
    expect(await store.apply(withUndefinedField(), at('2024-01-15T10:30:00Z'))).toEqual({ applied: true });
    const latest = await store.getLatest();
    expect(latest?.rules).toEqual({ app_token: 't' });
  });

  it('uses the processor’s shared client when given neither, which drops undefined fields too', async () => {
    // GIVEN the SDK's own endpoint variable pointing the shared client at DynamoDB Local, as
    // `npm start` does (read when the client sends, so setting it here is in time)
    const { connectionsTableName } = await createTestResources();
    const previous = process.env.AWS_ENDPOINT_URL_DYNAMODB;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = process.env.TEST_DYNAMODB_ENDPOINT;
    try {
      // WHEN a store without a client writes and reads
      const store = new RulesStore({ tableName: connectionsTableName });
      const outcome = await store.apply(withUndefinedField(), at('2024-01-15T10:30:00Z'));
      // THEN the write went to DynamoDB Local, without the undefined field
      expect(outcome).toEqual({ applied: true });
      const { Item } = await client.send(
        new GetCommand({ TableName: connectionsTableName, Key: { pk: 'rules#latest' } }),
      );
      expect(Item?.rules).toEqual({ app_token: 't' });
    } finally {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
      else process.env.AWS_ENDPOINT_URL_DYNAMODB = previous;
    }
  });
});
