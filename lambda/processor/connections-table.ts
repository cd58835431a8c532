/**
 * What the connection registry and the Dynamic Rules store share: the connections table, a
 * document client, and how an event's place in time is compared.
 */
import { type AttributeValue, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DOCUMENT_TRANSLATION } from '../shared/document-translation.ts';
import { documentClient } from './clients.ts';

/**
 * Where a store keeps its items: the table name, and either a document client or a client
 * configuration (never both).
 */
export type ConnectionsTableOptions = { readonly tableName: string } & (
  | {
      /** The document client to use. @default the processor's shared client */
      readonly client?: DynamoDBDocumentClient;
      readonly clientConfig?: never;
    }
  | {
      readonly client?: never;
      /** Configuration for a new DynamoDB client, e.g. a local endpoint. */
      readonly clientConfig: DynamoDBClientConfig;
    }
);

/** Resolves the document client of a store's options. */
export function resolveClient(options: ConnectionsTableOptions): DynamoDBDocumentClient {
  if (options.client && options.clientConfig) {
    throw new TypeError('pass either client or clientConfig, not both');
  }
  if (!options.tableName?.trim())
    throw new TypeError(`tableName must be a non-empty string, got "${options.tableName}"`);
  if (options.clientConfig) {
    return DynamoDBDocumentClient.from(new DynamoDBClient(options.clientConfig), DOCUMENT_TRANSLATION);
  }
  return options.client ?? documentClient;
}

/** Where an event sits in time, as the processor resolved it. */
export interface EventPosition {
  /** The event key (`svix-id`, a top-level id, or SHA-256 of the raw body). */
  readonly eventId: string;
  /**
   * The event's time: the envelope `timestamp`, else the time in its Svix message id, else when
   * the verifier received it (`HandlerContext.eventTimeSource` says which).
   */
  readonly eventTime: Date;
  /**
   * When the verifier received the delivery (the `receivedAt` message attribute). Set once, at
   * ingest, and kept by everything that puts the message back on the queue (SQS's redrive keeps
   * message attributes; `replay` sends the archived one), so it orders events stamped with the
   * same time in the order they reached the receiver, however often they were re-queued.
   * @default absent: the event loses every tie against one with a receipt time
   */
  readonly receivedAt?: Date;
  /** Aborts the write (a handler's context passes its deadline's). @default none */
  readonly signal?: AbortSignal;
}

/**
 * Why a guarded write was skipped. `same-event`: this very event is already the stored state (a
 * redelivery, e.g. after a handler threw once its write had succeeded); `tombstone`: the connection
 * was disconnected; `not-newer`: a newer event is stored.
 */
export type SkippedWriteReason = 'same-event' | 'tombstone' | 'not-newer';

/** The outcome of a guarded write. */
export type WriteOutcome =
  | { readonly applied: true }
  | { readonly applied: false; readonly reason: SkippedWriteReason };

/**
 * Width of a stored receipt time: milliseconds since the epoch have 13 digits until 2286 and 16
 * for any date JavaScript can hold, so zero-padded to 16 they compare as strings in time order
 * (DynamoDB compares strings byte by byte).
 */
const RECEIPT_WIDTH = 16;

/**
 * The first character of every rank this release writes. Ranks of the earlier layout (a queue
 * sequence number of up to 40 digits first, or `#` when there was none) begin with a digit or `#`,
 * which sort before `r`: at equal times a stored item of that layout loses the tie to the first
 * event of this release, which rewrites it (docs: lambda/processor/README.md, "Upgrading").
 */
const RANK_LAYOUT = 'r';

/**
 * The sortable form of a receipt time: its milliseconds since the epoch, zero-padded to a fixed
 * width, or `''` when absent, invalid or before 1970 (no receipt the verifier stamps), which sorts
 * before every present one.
 */
export function sortableReceipt(receivedAt: Date | undefined): string {
  const millis = receivedAt?.getTime();
  return millis !== undefined && Number.isFinite(millis) && millis >= 0
    ? String(millis).padStart(RECEIPT_WIDTH, '0')
    : '';
}

/**
 * The rank of an event among events of the same time, as one string compared with `<` in a
 * condition: the receipt time first (fixed at ingest, so a redriven or replayed message keeps its
 * place; the queue's sequence number, which a redrive renews, decides nothing), then the caller's
 * `tieBreaks` (e.g. the lifecycle order of the type), then the event id, which makes the order
 * total.
 */
export function eventRank(position: EventPosition, ...tieBreaks: readonly (string | number)[]): string {
  return RANK_LAYOUT + [sortableReceipt(position.receivedAt), ...tieBreaks, position.eventId].join('#');
}

/**
 * Why a guarded write was skipped, from the item DynamoDB returned with the failed condition
 * (`ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`; the document client leaves an error's item in
 * DynamoDB's attribute-value form). The same event is recognized by its id first, so that a retry
 * can tell itself from a stale event.
 */
export function skippedReason(
  position: EventPosition,
  storedItem: Record<string, AttributeValue> | undefined,
): SkippedWriteReason {
  const stored = storedItem ? unmarshall(storedItem) : {};
  if (stored.lastEventId === position.eventId) return 'same-event';
  return stored.disconnectedAt ? 'tombstone' : 'not-newer';
}

/**
 * The log message of a skipped write: a redelivery of the stored event is not a stale event, and
 * operators searching for stale events should not find every retry.
 */
export function skippedWriteMessage(reason: SkippedWriteReason): string {
  return reason === 'same-event' ? 'event already applied' : 'stale event ignored';
}

/** Whether an error is DynamoDB's answer to a failed `ConditionExpression`. */
export function isConditionalCheckFailed(
  error: unknown,
): error is Error & { Item?: Record<string, AttributeValue> } {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/**
 * Builds an `UpdateItem` expression in which every attribute name is a placeholder, so that
 * DynamoDB's reserved words (`status`, `permissions`, …) never get in the way.
 */
export class UpdateExpressionBuilder {
  readonly #set: string[] = [];
  readonly #remove: string[] = [];
  readonly #names: Record<string, string> = {};
  readonly #values: Record<string, unknown> = {};

  /** The placeholder of an attribute name. */
  name(attribute: string): string {
    const placeholder = `#${attribute}`;
    this.#names[placeholder] = attribute;
    return placeholder;
  }

  /** The placeholder of a value. */
  value(key: string, value: unknown): string {
    const placeholder = `:${key}`;
    this.#values[placeholder] = value;
    return placeholder;
  }

  /** `SET attribute = value`, or `if_not_exists(attribute, value)` when `onlyIfMissing`. */
  set(attribute: string, value: unknown, onlyIfMissing = false): this {
    const name = this.name(attribute);
    const placeholder = this.value(attribute, value);
    this.#set.push(
      onlyIfMissing ? `${name} = if_not_exists(${name}, ${placeholder})` : `${name} = ${placeholder}`,
    );
    return this;
  }

  /** `REMOVE attribute`. */
  remove(attribute: string): this {
    this.#remove.push(this.name(attribute));
    return this;
  }

  /** The expression parts of an `UpdateCommand`. */
  build(): {
    UpdateExpression: string;
    ExpressionAttributeNames: Record<string, string>;
    ExpressionAttributeValues: Record<string, unknown>;
  } {
    const clauses = [];
    if (this.#set.length) clauses.push(`SET ${this.#set.join(', ')}`);
    if (this.#remove.length) clauses.push(`REMOVE ${this.#remove.join(', ')}`);
    return {
      UpdateExpression: clauses.join(' '),
      ExpressionAttributeNames: this.#names,
      ExpressionAttributeValues: this.#values,
    };
  }
}
