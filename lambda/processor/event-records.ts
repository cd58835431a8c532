/**
 * The processor's side of the event record (`../shared/event-record.ts`): one strongly consistent
 * read before a handler runs, then one update that records how the run ended. The verifier claims
 * the item when it queues the event; every update here also works on a missing item (a message
 * queued by an earlier release, or by a test), creating it.
 *
 * Why a read then an update, and no claim before the handler: copies of one event key share a
 * FIFO message group (a redrive and a replay keep the group), and no handler outlives its
 * invocation (`deadline.ts`), so two copies of a key never run at once; what the processor needs
 * to know is only whether a key already completed (or, for a replay, whether that replay did).
 * A crash between a handler's success and its update leaves the run unrecorded: its retry runs
 * the handler again, as it would without the record.
 *
 * Every update extends the item's TTL from now, so that the record outlives the last attempt.
 */
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  EVENT_RECORD_ATTRIBUTES as A,
  type EventRecord,
  isExpired,
  MAX_RECORDED_ERROR_CHARS,
} from '../shared/event-record.ts';
import { documentClient } from './clients.ts';
import { isConditionalCheckFailed } from './connections-table.ts';

/** The event a run of the processor is about. */
export interface RecordedEvent {
  readonly eventKey: string;
  /** Kept when the record already has one (the verifier's). */
  readonly eventType?: string;
  readonly connectionId?: string;
}

/** The port: the records of events, as the processor reads and writes them. */
export interface EventRecords {
  /** The live record of `eventKey` (a strongly consistent read); `undefined` when absent or expired. */
  read(eventKey: string, signal?: AbortSignal): Promise<EventRecord | undefined>;
  /**
   * Records that the handler succeeded (and, with `published`, that the event went to the event
   * bus in the same update): the key never runs again unless replayed.
   */
  markProcessed(event: RecordedEvent, signal?: AbortSignal, options?: { published?: boolean }): Promise<void>;
  /**
   * Records that the handler succeeded but publishing failed (`error`): the retry only publishes.
   * On the queue's last attempt also that SQS moves the message to the dead-letter queue.
   */
  markHandled(
    event: RecordedEvent,
    error: unknown,
    lastAttempt: boolean,
    signal?: AbortSignal,
  ): Promise<void>;
  /**
   * Records a failed attempt and its error; on the queue's last attempt (`lastAttempt`) also that
   * SQS will move the message to the dead-letter queue (`max_receive_count`).
   */
  markFailed(event: RecordedEvent, error: unknown, lastAttempt: boolean, signal?: AbortSignal): Promise<void>;
  /** Records that the processor put the message on the dead-letter queue itself, and why. */
  markDeadLettered(event: RecordedEvent, reason: string, error: unknown, signal?: AbortSignal): Promise<void>;
  /** Records that the handler succeeded for the replay `replayId`: that replay never runs again. */
  markReplayed(event: RecordedEvent, replayId: string, signal?: AbortSignal): Promise<void>;
}

/** Options of {@link DynamoDbEventRecords}. */
export interface DynamoDbEventRecordsOptions {
  readonly tableName: string;
  /** How long a record is kept after its last write; at least the verifier's claim TTL. */
  readonly ttlSeconds: number;
  /** @default the processor's shared document client */
  readonly client?: DynamoDBDocumentClient;
  /** Milliseconds since the epoch. @default Date.now */
  readonly clock?: () => number;
}

/** The reason a record gives for a message SQS moves after its last failed receive. */
export const MAX_RECEIVE_COUNT_REASON = 'max_receive_count';

/** One update: its SET clauses, REMOVE clauses, names and values. */
interface Update {
  readonly set: string[];
  readonly remove?: string[];
  readonly names: Record<string, string>;
  readonly values: Record<string, unknown>;
  readonly condition?: string;
}

/** The event records in their DynamoDB table: 1 RRU per read, 1 WRU per update (items under 1 KB). */
export class DynamoDbEventRecords implements EventRecords {
  readonly #tableName: string;
  readonly #ttlSeconds: number;
  readonly #client: DynamoDBDocumentClient;
  readonly #clock: () => number;

  constructor(options: DynamoDbEventRecordsOptions) {
    if (!options.tableName?.trim()) {
      throw new TypeError(`tableName must be a non-empty string, got "${options.tableName}"`);
    }
    if (!(Number.isInteger(options.ttlSeconds) && options.ttlSeconds > 0)) {
      throw new TypeError(`ttlSeconds must be a positive integer, got ${options.ttlSeconds}`);
    }
    this.#tableName = options.tableName;
    this.#ttlSeconds = options.ttlSeconds;
    this.#client = options.client ?? documentClient;
    this.#clock = options.clock ?? Date.now;
  }

  async read(eventKey: string, signal?: AbortSignal): Promise<EventRecord | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#tableName, Key: { [A.eventKey]: eventKey }, ConsistentRead: true }),
      { abortSignal: signal },
    );
    // TTL deletes lazily: an item past its expiry may still be read, and counts as gone.
    return Item && !isExpired(Item, this.#clock()) ? (Item as EventRecord) : undefined;
  }

  async markProcessed(
    event: RecordedEvent,
    signal?: AbortSignal,
    options: { published?: boolean } = {},
  ): Promise<void> {
    await this.#update(
      event,
      {
        set: ['#processedAt = :now', ...(options.published ? ['#publishedAt = :now'] : [])],
        remove: ['#lastError'],
        ...named(['processedAt', 'publishedAt', 'lastError']),
        values: {},
      },
      signal,
    );
  }

  async markHandled(
    event: RecordedEvent,
    error: unknown,
    lastAttempt: boolean,
    signal?: AbortSignal,
  ): Promise<void> {
    const set = ['#handledAt = if_not_exists(#handledAt, :now)', '#lastError = :error'];
    const values: Record<string, unknown> = { ':error': errorText(error) };
    const fields: (keyof typeof A)[] = ['handledAt', 'lastError'];
    if (lastAttempt) {
      set.push('#deadLetteredAt = :now', '#deadLetterReason = :reason');
      values[':reason'] = MAX_RECEIVE_COUNT_REASON;
      fields.push('deadLetteredAt', 'deadLetterReason');
    }
    await this.#update(event, { set, ...named(fields), values }, signal);
  }

  async markFailed(
    event: RecordedEvent,
    error: unknown,
    lastAttempt: boolean,
    signal?: AbortSignal,
  ): Promise<void> {
    const set = ['#lastError = :error'];
    const values: Record<string, unknown> = { ':error': errorText(error) };
    const fields: (keyof typeof A)[] = ['lastError'];
    if (lastAttempt) {
      set.push('#deadLetteredAt = :now', '#deadLetterReason = :reason');
      values[':reason'] = MAX_RECEIVE_COUNT_REASON;
      fields.push('deadLetteredAt', 'deadLetterReason');
    }
    await this.#update(event, { set, ...named(fields), values }, signal);
  }

  async markDeadLettered(
    event: RecordedEvent,
    reason: string,
    error: unknown,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.#update(
      event,
      {
        set: ['#lastError = :error', '#deadLetteredAt = :now', '#deadLetterReason = :reason'],
        ...named(['lastError', 'deadLetteredAt', 'deadLetterReason']),
        values: { ':error': errorText(error), ':reason': reason },
      },
      signal,
    );
  }

  async markReplayed(event: RecordedEvent, replayId: string, signal?: AbortSignal): Promise<void> {
    // A map entry can be set only inside an existing map, and one update cannot create the map
    // and set its entry: set the entry where the map exists, else create the map with it.
    const names = { ...named(['replays', 'lastError']).names, '#replayId': replayId };
    try {
      await this.#update(
        event,
        {
          set: ['#replays.#replayId = :now'],
          remove: ['#lastError'],
          names,
          values: {},
          condition: 'attribute_exists(#replays)',
        },
        signal,
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const now = new Date(this.#clock()).toISOString();
      await this.#update(
        event,
        {
          set: ['#replays = :replays'],
          remove: ['#lastError'],
          ...named(['replays', 'lastError']),
          values: { ':replays': { [replayId]: now } },
        },
        signal,
      );
    }
  }

  /** One UpdateItem: the clauses of every run (attempts, times, type, TTL) plus the update's own. */
  async #update(event: RecordedEvent, update: Update, signal?: AbortSignal): Promise<void> {
    const now = this.#clock();
    const set = [
      ...update.set,
      '#attempts = if_not_exists(#attempts, :zero) + :one',
      '#firstAttemptAt = if_not_exists(#firstAttemptAt, :now)',
      '#lastAttemptAt = :now',
      '#expiresAt = :expiresAt',
      ...(event.eventType ? ['#eventType = if_not_exists(#eventType, :eventType)'] : []),
      ...(event.connectionId ? ['#connectionId = if_not_exists(#connectionId, :connectionId)'] : []),
    ];
    const common = named([
      'attempts',
      'firstAttemptAt',
      'lastAttemptAt',
      'expiresAt',
      'eventType',
      'connectionId',
    ]);
    const usedNames = Object.fromEntries(
      Object.entries({ ...common.names, ...update.names }).filter(([alias]) =>
        [...set, ...(update.remove ?? []), update.condition ?? ''].some((clause) => clause.includes(alias)),
      ),
    );
    await this.#client.send(
      new UpdateCommand({
        TableName: this.#tableName,
        Key: { [A.eventKey]: event.eventKey },
        UpdateExpression: `SET ${set.join(', ')}${update.remove?.length ? ` REMOVE ${update.remove.join(', ')}` : ''}`,
        ...(update.condition && { ConditionExpression: update.condition }),
        ExpressionAttributeNames: usedNames,
        ExpressionAttributeValues: {
          ...update.values,
          ':zero': 0,
          ':one': 1,
          ':now': new Date(now).toISOString(),
          ':expiresAt': Math.floor(now / 1000) + this.#ttlSeconds,
          ...(event.eventType && { ':eventType': event.eventType }),
          ...(event.connectionId && { ':connectionId': event.connectionId }),
        },
      }),
      { abortSignal: signal },
    );
  }
}

/** `#name` aliases of record attributes. */
function named(fields: readonly (keyof typeof A)[]): { names: Record<string, string> } {
  return { names: Object.fromEntries(fields.map((field) => [`#${field}`, A[field]])) };
}

/** An error as the record keeps it: its name and message, cut to the limit. */
export function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length <= MAX_RECORDED_ERROR_CHARS ? text : `${text.slice(0, MAX_RECORDED_ERROR_CHARS - 1)}…`;
}
