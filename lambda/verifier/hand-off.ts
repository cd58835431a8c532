/**
 * The idempotent hand-off: a verified delivery is claimed in the ledger, put on the FIFO queue,
 * and the claim marked done — once per event key, whatever the sender retries.
 *
 * Ports ({@link Ledger}, {@link EventQueue}) keep the use case free of AWS; the adapters
 * ({@link PowertoolsLedger}, {@link SqsEventQueue}) are the production wiring. The ledger is
 * Powertools Idempotency with its `DynamoDBPersistenceLayer`, which implements the ledger's state
 * machine (docs/architecture.md): a conditional put claims the key with an in-progress lease (the Lambda's
 * remaining time), a failure of the work deletes the claim, success marks it done with a TTL, and
 * a claim whose lease ran out is taken over by the next retry.
 */
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type MessageAttributeValue, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import {
  DEAD_LETTER_ATTRIBUTES,
  MESSAGE_ATTRIBUTES,
  type QueueMessageAttributes,
  REJECTED_MESSAGE_GROUP_ID,
  type SignatureScheme,
} from '../shared/queue-message.ts';
import { EVENT_QUEUE, LEDGER_TABLE } from '../shared/resource-definitions.ts';
import { DeliveryInFlightError, DependencyError } from './errors.ts';
import { isEventKey } from './event-key.ts';

/** How long the current invocation may still run: the ledger's in-progress lease. */
export interface LeaseClock {
  getRemainingTimeInMillis(): number;
}

/** The result of {@link Ledger.once}. */
export type LedgerOutcome =
  /** The work ran now. `recorded` is false when the ledger could not be marked done afterwards. */
  | { readonly status: 'fresh'; readonly recorded: boolean; readonly recordError?: unknown }
  /** The work had already run for this key. */
  | { readonly status: 'duplicate' };

/** Runs a piece of work at most once per key. */
export interface Ledger {
  /**
   * Runs `work` unless it already ran for `key`.
   *
   * @throws {DeliveryInFlightError} while another invocation holds the key's lease
   * @throws {DependencyError} when the ledger cannot be read or written
   * @throws whatever `work` throws (the claim is released first)
   */
  once(key: string, lease: LeaseClock, work: () => Promise<void>): Promise<LedgerOutcome>;
}

/**
 * Refuses a key that could not serve unchanged as ledger key, deduplication id and attribute: a
 * programming error (keys come from `eventKeyFor`), caught before anything is written.
 */
function assertEventKey(key: string): void {
  if (!isEventKey(key)) {
    throw new TypeError(
      `an event key must be 1 to 128 printable ASCII characters (use eventKeyFor); got ${key.length} characters`,
    );
  }
}

/** A verified event, ready for the queue. */
export interface QueuedEvent {
  /** The raw request body, verbatim. */
  readonly body: string;
  readonly messageGroupId: string;
  readonly attributes: QueueMessageAttributes;
}

/** A genuinely signed body that cannot be handed on, kept for inspection. */
export interface RejectedDelivery {
  readonly body: Uint8Array;
  readonly eventKey: string;
  readonly signatureScheme: SignatureScheme;
  readonly receivedAt: string;
  /** The error code answered (`invalid_json`, `missing_event_type`, …). */
  readonly reason: string;
}

/** The queues the verifier writes to. */
export interface EventQueue {
  /** Puts an event on the FIFO queue (its event key is the deduplication id). */
  enqueue(event: QueuedEvent): Promise<void>;
  /** Keeps a rejected delivery on the dead-letter queue. */
  keepRejected(delivery: RejectedDelivery): Promise<void>;
}

/** Attributes of a message kept on the dead-letter queue, besides {@link MESSAGE_ATTRIBUTES}. */
export const REJECTION_ATTRIBUTES = {
  /** The error code the delivery was answered with. */
  reason: DEAD_LETTER_ATTRIBUTES.reason,
  /** `utf8`: the request body verbatim; `base64`: encoded, as SQS takes no such text; `empty`: no body. */
  bodyEncoding: 'bodyEncoding',
  /** `true` when the body was cut to fit the queue's message size. */
  truncated: 'truncated',
} as const;

/** The result of {@link HandOff.handOn}. */
export type HandOffResult =
  | { readonly status: 'enqueued'; readonly recorded: boolean; readonly recordError?: unknown }
  | { readonly status: 'duplicate' };

/** The result of {@link HandOff.keepRejected}. */
export type KeepResult = 'kept' | 'already-kept';

/**
 * The hand-off use case over the ports. Hand-ons and kept rejections use two ledgers (distinct
 * key prefixes), so that keeping a bad body never marks a key as handed on.
 */
export class HandOff {
  constructor(
    private readonly ports: {
      readonly ledger: Ledger;
      readonly rejectionLedger: Ledger;
      readonly queue: EventQueue;
    },
  ) {}

  /**
   * Hands an event on once per event key while the ledger remembers the key (its record TTL).
   *
   * A failure to mark the ledger done after the message was sent still reports `enqueued`: the
   * event is on the queue, and a 5xx would only invite a retry that, once the lease has run out
   * and SQS's 5-minute deduplication window has passed, could enqueue it a second time.
   */
  async handOn(event: QueuedEvent, lease: LeaseClock): Promise<HandOffResult> {
    assertEventKey(event.attributes.eventKey);
    const outcome = await this.ports.ledger.once(event.attributes.eventKey, lease, async () => {
      try {
        await this.ports.queue.enqueue(event);
      } catch (error) {
        throw error instanceof DependencyError ? error : new DependencyError('queue', { cause: error });
      }
    });
    if (outcome.status === 'duplicate') return { status: 'duplicate' };
    return {
      status: 'enqueued',
      recorded: outcome.recorded,
      ...(outcome.recordError !== undefined && { recordError: outcome.recordError }),
    };
  }

  /** Keeps a rejected delivery once per event key on the dead-letter queue. */
  async keepRejected(delivery: RejectedDelivery, lease: LeaseClock): Promise<KeepResult> {
    assertEventKey(delivery.eventKey);
    const outcome = await this.ports.rejectionLedger.once(delivery.eventKey, lease, async () => {
      try {
        await this.ports.queue.keepRejected(delivery);
      } catch (error) {
        throw error instanceof DependencyError
          ? error
          : new DependencyError('dead-letter-queue', { cause: error });
      }
    });
    return outcome.status === 'duplicate' ? 'already-kept' : 'kept';
  }
}

/** Options of {@link PowertoolsLedger}. */
export interface PowertoolsLedgerOptions {
  readonly tableName: string;
  readonly client: DynamoDBClient;
  /** Stable prefix of every ledger key; unlike the default (the function name) it survives redeploys. */
  readonly keyPrefix: string;
  /** How long a done record is kept (LEDGER_TTL_SECONDS). @default 259_200 (72 h) */
  readonly recordTtlSeconds?: number;
  /** Seconds a sender is asked to wait while another request holds the lease. @default 10 */
  readonly retryAfterSeconds?: number;
}

/** The lease used when the caller cannot tell its remaining time (never a lease-less claim). */
const FALLBACK_LEASE_MS = 10_000;

/** The ledger on DynamoDB, through Powertools Idempotency. */
export class PowertoolsLedger implements Ledger {
  readonly #store: DynamoDBPersistenceLayer;
  readonly #keyPrefix: string;
  readonly #recordTtlSeconds: number;
  readonly #retryAfterSeconds: number;

  constructor(options: PowertoolsLedgerOptions) {
    this.#store = new DynamoDBPersistenceLayer({
      tableName: options.tableName,
      awsSdkV3Client: options.client,
      keyAttr: LEDGER_TABLE.partitionKey,
      expiryAttr: LEDGER_TABLE.ttlAttribute,
    });
    this.#keyPrefix = options.keyPrefix;
    this.#recordTtlSeconds = options.recordTtlSeconds ?? LEDGER_TABLE.defaultRecordTtlSeconds;
    this.#retryAfterSeconds = options.retryAfterSeconds ?? 10;
  }

  async once(key: string, lease: LeaseClock, work: () => Promise<void>): Promise<LedgerOutcome> {
    let ran = false;
    // A config per call carries this invocation's lease: a shared one registered per invocation
    // would let concurrent invocations in one process (the local pipeline) swap leases.
    const config = new IdempotencyConfig({
      expiresAfterSeconds: this.#recordTtlSeconds,
      lambdaContext: {
        getRemainingTimeInMillis: () => lease.getRemainingTimeInMillis() || FALLBACK_LEASE_MS,
      } as Context,
    });
    const idempotentWork = makeIdempotent(
      async (_key: string) => {
        await work();
        ran = true;
        return { handedOn: true };
      },
      { persistenceStore: this.#store, config, keyPrefix: this.#keyPrefix },
    );
    try {
      await idempotentWork(key);
      return ran ? { status: 'fresh', recorded: true } : { status: 'duplicate' };
    } catch (error) {
      if (ran) return { status: 'fresh', recorded: false, recordError: error };
      const name = (error as Error | undefined)?.name;
      if (name === 'IdempotencyAlreadyInProgressError')
        throw new DeliveryInFlightError(this.#retryAfterSeconds);
      if (name?.startsWith('Idempotency')) throw new DependencyError('ledger', { cause: error });
      throw error;
    }
  }
}

/** Options of {@link SqsEventQueue}. */
export interface SqsEventQueueOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  /** The largest message body the dead-letter queue takes. @default 1 MiB minus 8 KiB */
  readonly maxDeadLetterBodyBytes?: number;
}

/** SQS accepts these characters in a message body or a string attribute, and nothing else. */
const SQS_FORBIDDEN_CHARACTERS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** Whether SQS accepts a string as a message body or attribute value verbatim. */
export function isSqsSafeText(text: string): boolean {
  return !SQS_FORBIDDEN_CHARACTERS.test(text);
}

const MAX_ATTRIBUTE_CHARS = 256;

function stringAttribute(value: string): MessageAttributeValue {
  const safe = value.replace(new RegExp(SQS_FORBIDDEN_CHARACTERS.source, 'gu'), '\uFFFD');
  return { DataType: 'String', StringValue: safe.slice(0, MAX_ATTRIBUTE_CHARS) || '-' };
}

/** The FIFO queue and its dead-letter queue on SQS. */
export class SqsEventQueue implements EventQueue {
  readonly #client: SQSClient;
  readonly #queueUrl: string;
  readonly #deadLetterQueueUrl: string;
  readonly #maxDeadLetterBodyBytes: number;

  constructor(options: SqsEventQueueOptions) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
    this.#deadLetterQueueUrl = options.deadLetterQueueUrl;
    this.#maxDeadLetterBodyBytes =
      options.maxDeadLetterBodyBytes ??
      EVENT_QUEUE.defaultMaxMessageSizeBytes - EVENT_QUEUE.messageAttributeAllowanceBytes;
  }

  async enqueue(event: QueuedEvent): Promise<void> {
    const { attributes } = event;
    await this.#client.send(
      new SendMessageCommand({
        QueueUrl: this.#queueUrl,
        MessageBody: event.body,
        MessageGroupId: event.messageGroupId,
        // The event key as it is: eventKeyFor already made it a valid deduplication id, so the
        // ledger key, this id and the eventKey attribute are one value.
        MessageDeduplicationId: attributes.eventKey,
        MessageAttributes: {
          [MESSAGE_ATTRIBUTES.eventType]: stringAttribute(attributes.eventType),
          [MESSAGE_ATTRIBUTES.eventKey]: stringAttribute(attributes.eventKey),
          [MESSAGE_ATTRIBUTES.signatureScheme]: stringAttribute(attributes.signatureScheme),
          [MESSAGE_ATTRIBUTES.receivedAt]: stringAttribute(attributes.receivedAt),
        },
      }),
    );
  }

  async keepRejected(delivery: RejectedDelivery): Promise<void> {
    const { body, encoding, truncated } = this.#deadLetterBody(delivery.body);
    await this.#client.send(
      new SendMessageCommand({
        QueueUrl: this.#deadLetterQueueUrl,
        MessageBody: body,
        MessageGroupId: REJECTED_MESSAGE_GROUP_ID,
        MessageDeduplicationId: delivery.eventKey,
        MessageAttributes: {
          [MESSAGE_ATTRIBUTES.eventKey]: stringAttribute(delivery.eventKey),
          [MESSAGE_ATTRIBUTES.signatureScheme]: stringAttribute(delivery.signatureScheme),
          [MESSAGE_ATTRIBUTES.receivedAt]: stringAttribute(delivery.receivedAt),
          [REJECTION_ATTRIBUTES.reason]: stringAttribute(delivery.reason),
          [REJECTION_ATTRIBUTES.bodyEncoding]: stringAttribute(encoding),
          [REJECTION_ATTRIBUTES.truncated]: stringAttribute(String(truncated)),
        },
      }),
    );
  }

  /** The body verbatim when SQS takes it as text, else base64; cut to the queue's size. */
  #deadLetterBody(raw: Uint8Array): {
    body: string;
    encoding: 'utf8' | 'base64' | 'empty';
    truncated: boolean;
  } {
    const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    // SQS takes no empty body; the attribute says that the placeholder is not the delivery's.
    if (bytes.length === 0) return { body: '-', encoding: 'empty', truncated: false };
    let text: string | undefined;
    try {
      // ignoreBOM: a leading byte order mark stays, so the kept body is the request's byte for byte.
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      text = undefined;
    }
    if (
      text !== undefined &&
      text.length > 0 &&
      isSqsSafeText(text) &&
      bytes.length <= this.#maxDeadLetterBodyBytes
    ) {
      return { body: text, encoding: 'utf8', truncated: false };
    }
    const fits = Math.floor((this.#maxDeadLetterBodyBytes / 4) * 3);
    const truncated = bytes.length > fits;
    return {
      body: (truncated ? bytes.subarray(0, fits) : bytes).toString('base64'),
      encoding: 'base64',
      truncated,
    };
  }
}
