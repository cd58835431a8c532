/**
 * The processed-events record: closes the one gap the verifier's ledger leaves. If a verifier
 * invocation crashes after its SQS send and before it marks the ledger done, and the sender's
 * retry that takes the ledger over comes after SQS FIFO's 5-minute deduplication window, the event
 * is queued twice. The processor records each event key once its handler has succeeded and skips
 * a later delivery of a recorded key while the record lives (its TTL): delivery stays at least
 * once, and a handler runs twice for one event only in the crash window below, or for a delivery
 * after the record expired.
 *
 * A plain read-then-conditional-write rather than Powertools Idempotency: the FIFO message group
 * already serializes every delivery of an event key (same body, same connection), so the
 * in-progress state and lease that Powertools writes first buy nothing here and cost a second
 * write per event (2 WRU, $1.25 per million, against 1 RRU + 1 WRU, $0.75). A crash between a
 * handler's success and the record leaves the event unrecorded: its retry runs the handler again,
 * as it would without the record.
 */
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { PROCESSED_EVENTS_TABLE } from '../shared/resource-definitions.ts';
import { documentClient } from './clients.ts';
import { isConditionalCheckFailed } from './connections-table.ts';

/** The port: which event keys have been processed. */
export interface ProcessedEvents {
  /**
   * Whether a handler has already succeeded for this event key (a strongly consistent read);
   * `signal` aborts the read.
   */
  has(eventKey: string, signal?: AbortSignal): Promise<boolean>;
  /**
   * Records that the handler of this event key succeeded; recording a key twice changes nothing.
   * `signal` aborts the write.
   */
  record(eventKey: string, eventType: string, signal?: AbortSignal): Promise<void>;
}

/** Options of {@link DynamoDbProcessedEvents}. */
export interface DynamoDbProcessedEventsOptions {
  readonly tableName: string;
  /** How long a key is remembered; at least the verifier ledger's record TTL. */
  readonly ttlSeconds: number;
  /** @default the processor's shared document client */
  readonly client?: DynamoDBDocumentClient;
  /** Milliseconds since the epoch. @default Date.now */
  readonly clock?: () => number;
}

/** The processed-events record in its DynamoDB table: 1 RRU per check, 1 WRU per record. */
export class DynamoDbProcessedEvents implements ProcessedEvents {
  readonly #tableName: string;
  readonly #ttlSeconds: number;
  readonly #client: DynamoDBDocumentClient;
  readonly #clock: () => number;

  constructor(options: DynamoDbProcessedEventsOptions) {
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

  async has(eventKey: string, signal?: AbortSignal): Promise<boolean> {
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: { [PROCESSED_EVENTS_TABLE.partitionKey]: eventKey },
        ProjectionExpression: '#ttl, #processed',
        ExpressionAttributeNames: {
          '#ttl': PROCESSED_EVENTS_TABLE.ttlAttribute,
          '#processed': 'processedAt',
        },
        ConsistentRead: true,
      }),
      { abortSignal: signal },
    );
    // The verifier's claim creates the item before the handler runs: only processedAt says done.
    // TTL deletes lazily: an item past its expiry may still be read, and counts as gone.
    const expiresAt = Item?.[PROCESSED_EVENTS_TABLE.ttlAttribute];
    return Boolean(Item?.processedAt) && typeof expiresAt === 'number' && expiresAt * 1000 > this.#clock();
  }

  async record(eventKey: string, eventType: string, signal?: AbortSignal): Promise<void> {
    const now = this.#clock();
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: { [PROCESSED_EVENTS_TABLE.partitionKey]: eventKey },
          // An update, not a put: the verifier's claim (receipt, scheme, connection) stays on it.
          UpdateExpression: 'SET #ttl = :expiresAt, #type = :type, #processed = :processedAt',
          // A claimed or expired item is marked; a live processed one is kept as it is.
          ConditionExpression: 'attribute_not_exists(#processed) OR #ttl <= :now',
          ExpressionAttributeNames: {
            '#ttl': PROCESSED_EVENTS_TABLE.ttlAttribute,
            '#type': 'eventType',
            '#processed': 'processedAt',
          },
          ExpressionAttributeValues: {
            ':now': Math.floor(now / 1000),
            ':expiresAt': Math.floor(now / 1000) + this.#ttlSeconds,
            ':type': eventType,
            ':processedAt': new Date(now).toISOString(),
          },
        }),
        { abortSignal: signal },
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }
}
