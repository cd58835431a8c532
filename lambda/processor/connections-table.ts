/**
 * What the connection registry and the Dynamic Rules store share: the connections table, a
 * document client, and how an event's place in time is compared.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
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
    return DynamoDBDocumentClient.from(new DynamoDBClient(options.clientConfig), {
      marshallOptions: { removeUndefinedValues: true },
    });
  }
  return options.client ?? documentClient;
}

/** Where an event sits in time, as the processor resolved it. */
export interface EventPosition {
  /** The event key (`svix-id`, a top-level id, or SHA-256 of the raw body). */
  readonly eventId: string;
  /** The event's time: the envelope `timestamp`, else when the verifier received it. */
  readonly eventTime: Date;
}

/** The outcome of a guarded write. */
export type WriteOutcome =
  | { readonly applied: true }
  | {
      readonly applied: false;
      /** `tombstone`: the connection was disconnected; `not-newer`: a newer or equal event is stored. */
      readonly reason: 'tombstone' | 'not-newer';
    };

/** Whether an error is DynamoDB's answer to a failed `ConditionExpression`. */
export function isConditionalCheckFailed(
  error: unknown,
): error is Error & { Item?: Record<string, unknown> } {
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
