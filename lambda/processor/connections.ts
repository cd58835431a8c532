/**
 * The connection registry: one item per OFAuth connection in the connections table, kept up to
 * date by the default `connection.*` handlers, and looked up by integrators.
 *
 * Ordering rule (every write is one conditional `UpdateItem`, no read first):
 * - An event is applied only when it is newer than the stored one: by event time; for equal times
 *   (OFAuth stamps whole seconds) by when the verifier received it (the `receivedAt` attribute,
 *   fixed at ingest and kept by a redrive or a replay, unlike the queue's sequence number); then by
 *   type precedence (created < updated < expired < disconnected, the lifecycle order), then by
 *   event id. Whatever order events arrive in, the newest one wins
 *   (status, last event), and re-processing an event changes nothing: it is not newer than itself,
 *   and the outcome says `same-event`, so that a retry can tell itself from a stale event. Fields
 *   the newest event leaves out keep the value of the last event that carried them and was applied.
 * - `connection.disconnected` leaves a tombstone (`status: 'disconnected'`, `disconnectedAt`).
 *   OFAuth documents a disconnection as permanent, so the tombstone is applied whatever the
 *   disconnection's time, and no later event of that connection — whatever its time — revives it.
 * - `clientReferenceId` is stored only while it is a string, so the sparse GSI indexes only
 *   connections that belong to a user; `null` removes it, an absent field keeps it.
 *
 * @example
 * import { findConnectionsByClientReferenceId, getConnection } from './connections.ts';
 * const connections = await findConnectionsByClientReferenceId('user_456');
 * const one = await getConnection('conn_abc123');
 */

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, paginateQuery, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ConnectionEventType, RealtimeEvent } from '../shared/event-model.ts';
import { CONNECTIONS_TABLE } from '../shared/resource-definitions.ts';
import { getProcessorConfig } from './config.ts';
import {
  type ConnectionsTableOptions,
  type EventPosition,
  eventRank,
  isConditionalCheckFailed,
  resolveClient,
  skippedReason,
  UpdateExpressionBuilder,
  type WriteOutcome,
} from './connections-table.ts';

/** The registry status of a connection whose `connection.disconnected` was processed. */
export const DISCONNECTED_STATUS = 'disconnected';

/** A connection's `userData`, as OFAuth sent it (`id` documented, `userId` in the SDKs). */
export interface ConnectionUserData {
  readonly id?: string;
  readonly userId?: string;
  readonly name?: string | null;
  readonly username?: string | null;
  readonly avatar?: string | null;
  readonly [field: string]: unknown;
}

/** A connection as the registry keeps it. */
export interface ConnectionRecord {
  readonly connectionId: string;
  /** `active`, `awaiting_2fa`, `expired` (from OFAuth), or `disconnected` (a tombstone). */
  readonly status?: string;
  /** The integrator's user, as passed to OFAuth Link; absent when OFAuth sent none or `null`. */
  readonly clientReferenceId?: string;
  readonly permissions?: readonly string[];
  readonly userData?: ConnectionUserData;
  readonly platformUserId?: string;
  /** Live or test mode (SDK envelope shape only). */
  readonly live?: boolean;
  /** `live`, `test` or `sandbox`, when the event carried it. */
  readonly environment?: string;
  /** ISO-8601 time of the newest applied event. */
  readonly lastEventAt: string;
  readonly lastEventId: string;
  readonly lastEventType: ConnectionEventType;
  /** ISO-8601 time of the last write. */
  readonly updatedAt: string;
  /** ISO-8601 time of the disconnection, on tombstones only. */
  readonly disconnectedAt?: string;
}

/** Options of {@link ConnectionRegistry.findByClientReferenceId}. */
export interface FindConnectionsOptions {
  /** Include tombstones of disconnected connections. @default false */
  readonly includeDisconnected?: boolean;
}

/** Tie-break at equal event and receipt times: the lifecycle order. */
const TYPE_PRECEDENCE: Readonly<Record<ConnectionEventType, number>> = {
  'connection.created': 0,
  'connection.updated': 1,
  'connection.expired': 2,
  'connection.disconnected': 3,
};

/**
 * Item attributes that are the registry's own bookkeeping, not part of a {@link ConnectionRecord}.
 * `lastEventOrder` is the rank of earlier releases (type, then id): it is removed on the next
 * write, and an item without `lastEventRank` loses every tie, as does one whose rank is of the
 * sequence-number layout (see `eventRank`).
 */
const INTERNAL_ATTRIBUTES = ['pk', 'lastEventTime', 'lastEventRank', 'lastEventOrder'] as const;

/** The partition key of a connection's item. */
export function connectionKey(connectionId: string): string {
  return `connection#${connectionId}`;
}

/**
 * Reads and writes connection items in the connections table.
 *
 * @example
 * const registry = new ConnectionRegistry({ tableName: 'ofauth-connections' });
 * await registry.get('conn_abc123');
 */
export class ConnectionRegistry {
  readonly tableName: string;
  readonly #client: DynamoDBDocumentClient;

  constructor(options: ConnectionsTableOptions) {
    this.#client = resolveClient(options);
    this.tableName = options.tableName;
  }

  /**
   * Upserts a connection from a `connection.*` event, unless a newer event is stored or the
   * connection is a tombstone. A skipped write is not an error: it answers `applied: false` with
   * the reason, `same-event` when this very event is already stored (a redelivery).
   */
  async apply(event: RealtimeEvent<ConnectionEventType>, position: EventPosition): Promise<WriteOutcome> {
    const { connection, clientReferenceId } = event.data;
    const disconnecting = event.type === 'connection.disconnected';
    const eventAt = position.eventTime.toISOString();
    const update = new UpdateExpressionBuilder()
      .set('connectionId', connection.id)
      .set('lastEventAt', eventAt)
      .set('lastEventTime', position.eventTime.getTime())
      .set('lastEventRank', eventRank(position, TYPE_PRECEDENCE[event.type]))
      .set('lastEventId', position.eventId)
      .set('lastEventType', event.type)
      .set('updatedAt', new Date().toISOString())
      .remove('lastEventOrder');
    // A disconnection may be older than the stored state (it wins anyway), so it only fills gaps.
    const assign = (attribute: string, value: unknown) => {
      if (value === undefined) return;
      if (value === null) {
        if (!disconnecting) update.remove(attribute);
        return;
      }
      update.set(attribute, value, disconnecting);
    };
    assign('clientReferenceId', clientReferenceId);
    assign('permissions', connection.permissions);
    assign('userData', connection.userData);
    assign('platformUserId', connection.platformUserId);
    assign('live', event.live);
    const environment = (event.data as { environment?: unknown }).environment;
    assign('environment', typeof environment === 'string' ? environment : undefined);
    if (disconnecting) {
      update.set('status', DISCONNECTED_STATUS).set('disconnectedAt', eventAt);
    } else {
      const status = connection.status ?? (event.type === 'connection.expired' ? 'expired' : undefined);
      if (status !== undefined) update.set('status', status);
    }

    // The tombstone is applied whatever the stored state; anything else only when newer. An item
    // of an earlier release has no rank, or one of an earlier layout, and loses every tie.
    const name = (attribute: string) => update.name(attribute);
    const condition = disconnecting
      ? `attribute_not_exists(${name('disconnectedAt')})`
      : `attribute_not_exists(${name('pk')}) OR (attribute_not_exists(${name('disconnectedAt')}) AND ` +
        `(${name('lastEventTime')} < :lastEventTime OR (${name('lastEventTime')} = :lastEventTime AND ` +
        `(attribute_not_exists(${name('lastEventRank')}) OR ${name('lastEventRank')} < :lastEventRank))))`;
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [CONNECTIONS_TABLE.partitionKey]: connectionKey(connection.id) },
          ...update.build(),
          ConditionExpression: condition,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        { abortSignal: position.signal },
      );
      return { applied: true };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return { applied: false, reason: skippedReason(position, error.Item) };
    }
  }

  /**
   * A connection by its id, or `undefined` when the registry has never seen it; `signal` (e.g. a
   * handler's `context.signal`) aborts the read.
   */
  async get(
    connectionId: string,
    { signal }: { signal?: AbortSignal } = {},
  ): Promise<ConnectionRecord | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [CONNECTIONS_TABLE.partitionKey]: connectionKey(connectionId) },
        ConsistentRead: true,
      }),
      { abortSignal: signal },
    );
    return Item ? toRecord(Item) : undefined;
  }

  /**
   * The connections of one of the integrator's users, through the `byClientReferenceId` GSI
   * (eventually consistent), ordered by connection id.
   */
  async findByClientReferenceId(
    clientReferenceId: string,
    options: FindConnectionsOptions = {},
  ): Promise<ConnectionRecord[]> {
    const index = CONNECTIONS_TABLE.byClientReferenceIdIndex;
    const records: ConnectionRecord[] = [];
    const pages = paginateQuery(
      { client: this.#client },
      {
        TableName: this.tableName,
        IndexName: index.name,
        KeyConditionExpression: '#ref = :ref AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: {
          '#ref': index.partitionKey,
          '#sk': index.sortKey,
          ...(!options.includeDisconnected && { '#disconnectedAt': 'disconnectedAt' }),
        },
        ExpressionAttributeValues: { ':ref': clientReferenceId, ':prefix': connectionKey('') },
        ...(!options.includeDisconnected && { FilterExpression: 'attribute_not_exists(#disconnectedAt)' }),
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) records.push(toRecord(item));
    }
    return records;
  }
}

function toRecord(item: Record<string, unknown>): ConnectionRecord {
  const record = { ...item };
  for (const attribute of INTERNAL_ATTRIBUTES) delete record[attribute];
  return record as unknown as ConnectionRecord;
}

let defaultRegistry: ConnectionRegistry | undefined;

/** The registry of the table named by `CONNECTIONS_TABLE_NAME`, created on first use. */
export function getDefaultConnectionRegistry(): ConnectionRegistry {
  defaultRegistry ??= new ConnectionRegistry({ tableName: getProcessorConfig().connectionsTableName });
  return defaultRegistry;
}

/**
 * A connection by its id, from the table named by `CONNECTIONS_TABLE_NAME`.
 *
 * @example
 * const connection = await getConnection('conn_abc123');
 * if (connection?.status === 'active') { … }
 */
export function getConnection(connectionId: string): Promise<ConnectionRecord | undefined> {
  return getDefaultConnectionRegistry().get(connectionId);
}

/**
 * The connections of one of your users (the `clientReferenceId` you passed to OFAuth Link),
 * without disconnected ones unless asked, from the table named by `CONNECTIONS_TABLE_NAME`.
 *
 * @example
 * const connections = await findConnectionsByClientReferenceId('user_456');
 * const active = connections.filter((c) => c.status === 'active');
 */
export function findConnectionsByClientReferenceId(
  clientReferenceId: string,
  options?: FindConnectionsOptions,
): Promise<ConnectionRecord[]> {
  return getDefaultConnectionRegistry().findByClientReferenceId(clientReferenceId, options);
}
