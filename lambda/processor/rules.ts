/**
 * The latest Dynamic Rules revision, kept by the default `rules.updated` handler in the
 * connections table (`pk` = `rules#latest`) and read by integrators that sign direct OnlyFans API
 * requests.
 *
 * A `rules.updated` event is applied only when it is newer than the stored one (event time; for
 * equal times the receipt time the verifier stamped, which a redrive or a replay keeps, then event
 * id), so neither a late retry nor a redrive rolls the revision back. When an event carries no rules body, a stored body is
 * removed: it belonged to an older revision.
 *
 * @example
 * import { getLatestRules } from './rules.ts';
 * const latest = await getLatestRules();
 * if (latest?.rules) sign(request, latest.rules);
 */

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RealtimeEvent } from '../shared/event-model.ts';
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

/** The partition key of the latest Dynamic Rules item. */
export const LATEST_RULES_KEY = 'rules#latest';

/** The Dynamic Rules body, as the OFAuth SDKs type it; unknown fields are kept. */
export interface DynamicRules {
  readonly static_param?: string;
  readonly format?: string;
  readonly start?: string;
  readonly end?: string;
  readonly prefix?: string;
  readonly suffix?: string;
  readonly checksum_constant?: number;
  readonly checksum_indexes?: readonly number[];
  readonly app_token?: string;
  readonly revision?: string;
  readonly [field: string]: unknown;
}

/** The latest Dynamic Rules revision as stored. */
export interface RulesRecord {
  readonly revision?: string | number;
  /** The rules body, when the newest `rules.updated` carried one. */
  readonly rules?: DynamicRules;
  readonly live?: boolean;
  /** ISO-8601 time of the newest applied `rules.updated`. */
  readonly lastEventAt: string;
  readonly lastEventId: string;
  /** ISO-8601 time of the last write. */
  readonly updatedAt: string;
}

/**
 * Reads and writes the latest Dynamic Rules item.
 *
 * @example
 * const store = new RulesStore({ tableName: 'ofauth-connections' });
 * const latest = await store.getLatest();
 */
export class RulesStore {
  readonly tableName: string;
  readonly #client: DynamoDBDocumentClient;

  constructor(options: ConnectionsTableOptions) {
    this.#client = resolveClient(options);
    this.tableName = options.tableName;
  }

  /**
   * Records a `rules.updated` event unless a newer one is stored. A skipped write answers
   * `applied: false` with the reason, `same-event` when this very event is already stored.
   */
  async apply(event: RealtimeEvent<'rules.updated'>, position: EventPosition): Promise<WriteOutcome> {
    const { revision, rules } = event.data;
    const update = new UpdateExpressionBuilder()
      .set('lastEventAt', position.eventTime.toISOString())
      .set('lastEventTime', position.eventTime.getTime())
      .set('lastEventRank', eventRank(position))
      .set('lastEventId', position.eventId)
      .set('updatedAt', new Date().toISOString());
    // A body or revision the newest event does not carry belonged to an older revision.
    for (const [attribute, value] of [
      ['revision', revision],
      ['rules', rules],
      ['live', event.live],
    ] as const) {
      if (value === undefined) update.remove(attribute);
      else update.set(attribute, value);
    }
    const [pk, time, rank] = ['pk', 'lastEventTime', 'lastEventRank'].map((attribute) =>
      update.name(attribute),
    );
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [CONNECTIONS_TABLE.partitionKey]: LATEST_RULES_KEY },
          ...update.build(),
          // An item of an earlier release has no rank, or one of an earlier layout: it loses every tie.
          ConditionExpression:
            `attribute_not_exists(${pk}) OR ${time} < :lastEventTime OR (${time} = :lastEventTime AND ` +
            `(attribute_not_exists(${rank}) OR ${rank} < :lastEventRank))`,
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
   * The latest Dynamic Rules revision, or `undefined` before the first `rules.updated`; `signal`
   * (e.g. a handler's `context.signal`) aborts the read.
   */
  async getLatest({ signal }: { signal?: AbortSignal } = {}): Promise<RulesRecord | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [CONNECTIONS_TABLE.partitionKey]: LATEST_RULES_KEY },
        ConsistentRead: true,
      }),
      { abortSignal: signal },
    );
    if (!Item) return undefined;
    const { pk: _pk, lastEventTime: _time, lastEventRank: _rank, ...record } = Item;
    return record as RulesRecord;
  }
}

let defaultStore: RulesStore | undefined;

/** The rules store of the table named by `CONNECTIONS_TABLE_NAME`, created on first use. */
export function getDefaultRulesStore(): RulesStore {
  defaultStore ??= new RulesStore({ tableName: getProcessorConfig().connectionsTableName });
  return defaultStore;
}

/**
 * The latest Dynamic Rules revision, from the table named by `CONNECTIONS_TABLE_NAME`.
 *
 * @example
 * const latest = await getLatestRules();
 * console.log(latest?.revision);
 */
export function getLatestRules(): Promise<RulesRecord | undefined> {
  return getDefaultRulesStore().getLatest();
}
