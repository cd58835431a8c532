/**
 * The verifier's side of the event record (`lambda/shared/event-record.ts`): one conditional
 * write per delivery claims the event key before it is put on the queue. No read comes first and
 * no write follows a successful send, so a new event costs one write and a duplicate one failed
 * write attempt (which DynamoDB bills as one write).
 *
 * The claim succeeds when the key has no live record, or its record is neither processed nor
 * dead-lettered and no other invocation holds its lease (a send failed and was released, or the
 * invocation that held it stopped). When it fails, DynamoDB returns the stored item
 * (`ReturnValuesOnConditionCheckFailure`), which says why: processed or dead-lettered → a
 * duplicate; a live lease → another request is sending it right now.
 */
import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { EVENT_RECORD_ATTRIBUTES as A, isExpired } from '../shared/event-record.ts';
import type { SignatureScheme } from '../shared/queue-message.ts';
import { LEDGER_TABLE } from '../shared/resource-definitions.ts';
import { DeliveryInFlightError, DependencyError } from './errors.ts';

/** What a verified delivery claims. */
export interface RecordClaim {
  readonly eventKey: string;
  readonly eventType: string;
  readonly connectionId?: string;
  readonly signatureScheme: SignatureScheme;
  /** ISO-8601 time this delivery reached the verifier. */
  readonly receivedAt: string;
  /** Milliseconds this invocation may still spend sending: the claim's lease. */
  readonly leaseMs: number;
}

/** A claim that was granted. */
export interface GrantedClaim {
  readonly status: 'claimed';
  /** The record's receipt time: the first claiming delivery's, which the queued message carries. */
  readonly receivedAt: string;
  /** Epoch milliseconds the lease runs to; a release only clears this very lease. */
  readonly leaseUntil: number;
  /** Claims of the key so far, this one included (more than 1: a re-send). */
  readonly deliveries: number;
}

/** A signed body the verifier refuses and keeps once per key. */
export interface RejectionClaim {
  readonly eventKey: string;
  readonly signatureScheme: SignatureScheme;
  readonly receivedAt: string;
  /** The error code answered. */
  readonly reason: string;
}

/** The verifier's port to the event record. */
export interface EventRecords {
  /**
   * Claims an event key for hand-on.
   *
   * @returns the granted claim, or `duplicate` when the key was processed or dead-lettered
   * @throws {DeliveryInFlightError} while another invocation holds the key's lease
   * @throws {DependencyError} when the record cannot be written
   */
  claim(claim: RecordClaim): Promise<GrantedClaim | { readonly status: 'duplicate' }>;
  /** Clears a granted claim's lease after its send failed, if it is still that lease. */
  release(eventKey: string, leaseUntil: number): Promise<void>;
  /**
   * Marks a rejected body as kept, once per key.
   *
   * @returns the token to {@link releaseRejection} with, or `undefined` when it was kept already
   * @throws {DependencyError} when the record cannot be written
   */
  claimRejection(claim: RejectionClaim): Promise<string | undefined>;
  /** Clears a rejection whose copy could not be kept, if it is still that one. */
  releaseRejection(eventKey: string, token: string): Promise<void>;
}

/** Options of {@link DynamoDbEventRecords}. */
export interface DynamoDbEventRecordsOptions {
  readonly tableName: string;
  readonly client: DynamoDBClient;
  /** How long a record is kept (PROCESSED_EVENT_TTL_SECONDS). @default 259_200 (72 h) */
  readonly ttlSeconds?: number;
  /** Milliseconds since the epoch. @default Date.now */
  readonly clock?: () => number;
}

const NAMES = {
  '#key': A.eventKey,
  '#exp': A.expiresAt,
  '#processed': A.processedAt,
  '#dead': A.deadLetteredAt,
  '#lease': A.leaseUntil,
} as const;

/** Live, neither processed nor dead-lettered, no lease held: a retry may claim it. */
const CLAIMABLE =
  'attribute_not_exists(#key) OR (#exp > :nowS AND attribute_not_exists(#processed) AND ' +
  'attribute_not_exists(#dead) AND (attribute_not_exists(#lease) OR #lease < :nowMs))';

const str = (value: string): AttributeValue => ({ S: value });
const num = (value: number): AttributeValue => ({ N: String(value) });

/** The record on DynamoDB: one UpdateItem per claim, with the stored item back on a refusal. */
export class DynamoDbEventRecords implements EventRecords {
  readonly #tableName: string;
  readonly #client: DynamoDBClient;
  readonly #ttlSeconds: number;
  readonly #clock: () => number;

  constructor(options: DynamoDbEventRecordsOptions) {
    this.#tableName = options.tableName;
    this.#client = options.client;
    this.#ttlSeconds = options.ttlSeconds ?? LEDGER_TABLE.defaultRecordTtlSeconds;
    this.#clock = options.clock ?? Date.now;
  }

  async claim(claim: RecordClaim): Promise<GrantedClaim | { readonly status: 'duplicate' }> {
    const now = this.#clock();
    const leaseUntil = now + claim.leaseMs;
    const token = randomUUID();
    try {
      const { Attributes = {} } = await this.#client.send(this.#claimCommand(claim, now, leaseUntil, token));
      return {
        status: 'claimed',
        receivedAt: Attributes[A.receivedAt]?.S ?? claim.receivedAt,
        leaseUntil,
        deliveries: Number(Attributes[A.deliveries]?.N ?? 1),
      };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw recordError(error);
      return this.#refused(claim, error.Item ?? {}, now, token);
    }
  }

  /** The claim's one write: the stored item back when its condition fails, the new values when not. */
  #claimCommand(claim: RecordClaim, now: number, leaseUntil: number, token: string): UpdateItemCommand {
    const connection = claim.connectionId;
    return new UpdateItemCommand({
      TableName: this.#tableName,
      Key: { [A.eventKey]: str(claim.eventKey) },
      // receivedAt keeps the first claim's: a re-send carries the time the original did.
      UpdateExpression:
        'SET #type = :type, #scheme = :scheme, #received = if_not_exists(#received, :received), ' +
        '#lease = :lease, #token = :token, #deliveries = if_not_exists(#deliveries, :zero) + :one, #exp = :exp' +
        (connection === undefined ? '' : ', #conn = :conn'),
      ConditionExpression: CLAIMABLE,
      ExpressionAttributeNames: {
        ...NAMES,
        '#type': A.eventType,
        '#scheme': A.signatureScheme,
        '#received': A.receivedAt,
        '#deliveries': A.deliveries,
        '#token': A.claimToken,
        ...(connection !== undefined && { '#conn': A.connectionId }),
      },
      ExpressionAttributeValues: {
        ':nowS': num(Math.floor(now / 1000)),
        ':nowMs': num(now),
        ':type': str(claim.eventType),
        ':scheme': str(claim.signatureScheme),
        ':received': str(claim.receivedAt),
        ':lease': num(leaseUntil),
        ':zero': num(0),
        ':one': num(1),
        ':token': str(token),
        ':exp': num(this.#expiresAt(now)),
        ...(connection !== undefined && { ':conn': str(connection) }),
      },
      ReturnValues: 'UPDATED_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  }

  /** Why a claim was refused, from the stored item; an expired item is replaced instead. */
  async #refused(
    claim: RecordClaim,
    stored: Record<string, AttributeValue>,
    now: number,
    token: string,
  ): Promise<GrantedClaim | { readonly status: 'duplicate' }> {
    // The SDK sent this very claim again after its first answer was lost: the lease is ours.
    if (stored[A.claimToken]?.S === token) {
      return {
        status: 'claimed',
        receivedAt: stored[A.receivedAt]?.S ?? claim.receivedAt,
        leaseUntil: Number(stored[A.leaseUntil]?.N),
        deliveries: Number(stored[A.deliveries]?.N ?? 1),
      };
    }
    const expiresAt = stored[A.expiresAt]?.N === undefined ? undefined : Number(stored[A.expiresAt]?.N);
    if (isExpired({ ...(expiresAt !== undefined && { expiresAt }) }, now)) {
      return this.#replaceExpired(claim, expiresAt, now);
    }
    if (stored[A.processedAt] || stored[A.deadLetteredAt]) return { status: 'duplicate' };
    const leaseUntil = Number(stored[A.leaseUntil]?.N ?? now);
    throw new DeliveryInFlightError(Math.max(1, Math.ceil((leaseUntil - now) / 1000)));
  }

  /**
   * TTL deletes lazily, so an expired record may still be there: it counts as gone, and a fresh
   * record replaces it whole (its old receipt time and fate must not carry over). A second write,
   * on this rare path only.
   */
  async #replaceExpired(
    claim: RecordClaim,
    oldExpiresAt: number | undefined,
    now: number,
  ): Promise<GrantedClaim> {
    const leaseUntil = now + claim.leaseMs;
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: {
            [A.eventKey]: str(claim.eventKey),
            [A.eventType]: str(claim.eventType),
            [A.signatureScheme]: str(claim.signatureScheme),
            [A.receivedAt]: str(claim.receivedAt),
            [A.leaseUntil]: num(leaseUntil),
            [A.deliveries]: num(1),
            [A.expiresAt]: num(this.#expiresAt(now)),
            ...(claim.connectionId !== undefined && { [A.connectionId]: str(claim.connectionId) }),
          },
          // Only the expired item seen above, or none: a concurrent replacement wins.
          ConditionExpression:
            oldExpiresAt === undefined
              ? 'attribute_not_exists(#key) OR attribute_not_exists(#exp)'
              : 'attribute_not_exists(#key) OR #exp = :oldExp',
          ExpressionAttributeNames: { '#key': A.eventKey, '#exp': A.expiresAt },
          ...(oldExpiresAt !== undefined && { ExpressionAttributeValues: { ':oldExp': num(oldExpiresAt) } }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new DeliveryInFlightError(1);
      throw recordError(error);
    }
    return { status: 'claimed', receivedAt: claim.receivedAt, leaseUntil, deliveries: 1 };
  }

  async release(eventKey: string, leaseUntil: number): Promise<void> {
    await this.#clearIfStill(
      eventKey,
      'REMOVE #lease',
      '#lease = :ours',
      { '#lease': A.leaseUntil },
      num(leaseUntil),
    );
  }

  async claimRejection(claim: RejectionClaim): Promise<string | undefined> {
    const now = this.#clock();
    const token = new Date(now).toISOString();
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: { [A.eventKey]: str(claim.eventKey) },
          UpdateExpression:
            'SET #rejected = :token, #reason = :reason, #scheme = if_not_exists(#scheme, :scheme), ' +
            '#received = if_not_exists(#received, :received), #exp = :exp',
          ConditionExpression:
            'attribute_not_exists(#key) OR #exp <= :nowS OR attribute_not_exists(#rejected)',
          ExpressionAttributeNames: {
            '#key': A.eventKey,
            '#exp': A.expiresAt,
            '#rejected': A.rejectedAt,
            '#reason': A.rejectReason,
            '#scheme': A.signatureScheme,
            '#received': A.receivedAt,
          },
          ExpressionAttributeValues: {
            ':nowS': num(Math.floor(now / 1000)),
            ':token': str(token),
            ':reason': str(claim.reason),
            ':scheme': str(claim.signatureScheme),
            ':received': str(claim.receivedAt),
            ':exp': num(this.#expiresAt(now)),
          },
        }),
      );
      return token;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw recordError(error);
    }
  }

  async releaseRejection(eventKey: string, token: string): Promise<void> {
    await this.#clearIfStill(
      eventKey,
      'REMOVE #rejected, #reason',
      '#rejected = :ours',
      { '#rejected': A.rejectedAt, '#reason': A.rejectReason },
      str(token),
    );
  }

  /** Removes attributes only while `condition` holds; anything else means it is no longer ours. */
  async #clearIfStill(
    eventKey: string,
    update: string,
    condition: string,
    names: Record<string, string>,
    ours: AttributeValue,
  ): Promise<void> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: { [A.eventKey]: str(eventKey) },
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':ours': ours },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw recordError(error);
    }
  }

  #expiresAt(now: number): number {
    return Math.floor(now / 1000) + this.#ttlSeconds;
  }
}

/** A failed call to the record, as the answer names it. */
function recordError(error: unknown): DependencyError {
  return new DependencyError('event-record', { cause: error });
}
