/**
 * The event record: one DynamoDB item per event key that carries the event's fate from receipt
 * to its end, shared by the verifier (which claims it), the processor (which records attempts and
 * the outcome), the CLI's `trace` and the local inspector (which read it).
 *
 * It lives in the table that earlier releases called the processed-events table (same key
 * attribute, same TTL attribute, same logical ID), so an item written by an earlier processor
 * (`eventKey`, `expiresAt`, `eventType`, `processedAt`) already reads as a processed record: the
 * upgrade needs no migration.
 *
 * Writes per event on the happy path: the verifier's claim (one conditional update) and the
 * processor's outcome (one update), plus the processor's strongly consistent read before the
 * handler. Failed attempts, dead-lettering and replays add an update each, on those paths only.
 */
import { PROCESSED_EVENTS_TABLE } from './resource-definitions.ts';

/** The table's key and TTL attributes (unchanged from the processed-events table). */
export const EVENT_RECORD_TABLE = PROCESSED_EVENTS_TABLE;

/** The record's attribute names, one place for every writer and reader. */
export const EVENT_RECORD_ATTRIBUTES = {
  /** Partition key: the event key (`svix-id`/`webhook-id`, a top-level id, or SHA-256 of the body). */
  eventKey: PROCESSED_EVENTS_TABLE.partitionKey,
  /** TTL, epoch seconds: the record is kept at least as long as the sender may retry. */
  expiresAt: PROCESSED_EVENTS_TABLE.ttlAttribute,
  /** Set by the verifier's claim. */
  eventType: 'eventType',
  connectionId: 'connectionId',
  signatureScheme: 'signatureScheme',
  /** ISO-8601 time the verifier received the delivery (the claim's). */
  receivedAt: 'receivedAt',
  /** Epoch milliseconds until which the claiming verifier invocation may still be sending. */
  leaseUntil: 'leaseUntil',
  /**
   * A random token of the claim that holds the lease: the AWS SDK may send a claim again after its
   * answer was lost, and that retry must recognize the lease it wrote itself.
   */
  claimToken: 'claimToken',
  /**
   * How many deliveries of the key claimed it: the first, and each later one that found the key
   * neither processed nor dead-lettered nor leased (a retry after a failed send or a crash). A
   * delivery answered as a duplicate or as in flight writes nothing, so it is not counted.
   */
  deliveries: 'deliveries',
  /** ISO-8601 time the verifier kept a signed but unusable body on the dead-letter queue. */
  rejectedAt: 'rejectedAt',
  /** The error code that body was answered with (`invalid_json`, `missing_event_type`, …). */
  rejectReason: 'rejectReason',
  /** Set by the processor. */
  attempts: 'attempts',
  firstAttemptAt: 'firstAttemptAt',
  lastAttemptAt: 'lastAttemptAt',
  /** The last failed attempt's error, cut to {@link MAX_RECORDED_ERROR_CHARS}. */
  lastError: 'lastError',
  /** ISO-8601 time the handler succeeded: the key never runs again unless replayed. */
  processedAt: 'processedAt',
  /**
   * ISO-8601 time the handler succeeded but publishing to the event bus failed: a retry only
   * publishes (the handler does not run again). Written on that failure path only.
   */
  handledAt: 'handledAt',
  /** ISO-8601 time the event was published to the event bus (set with `processedAt`). */
  publishedAt: 'publishedAt',
  /** ISO-8601 time the processor put the message on the dead-letter queue, or saw its last attempt fail. */
  deadLetteredAt: 'deadLetteredAt',
  deadLetterReason: 'deadLetterReason',
  /** Map of replay id → ISO-8601 time that replay's run of the handler succeeded. */
  replays: 'replays',
} as const;

/** The longest error text kept on a record. */
export const MAX_RECORDED_ERROR_CHARS = 1024;

/** A signature scheme, as recorded. */
export type RecordedScheme = 'ofauth' | 'svix';

/** An event record as readers see it (every field but the key may be absent on older items). */
export interface EventRecord {
  readonly eventKey: string;
  /** Epoch seconds. */
  readonly expiresAt?: number;
  readonly eventType?: string;
  readonly connectionId?: string;
  readonly signatureScheme?: RecordedScheme;
  readonly receivedAt?: string;
  readonly leaseUntil?: number;
  readonly claimToken?: string;
  readonly deliveries?: number;
  readonly rejectedAt?: string;
  readonly rejectReason?: string;
  readonly attempts?: number;
  readonly firstAttemptAt?: string;
  readonly lastAttemptAt?: string;
  readonly lastError?: string;
  readonly processedAt?: string;
  readonly handledAt?: string;
  readonly publishedAt?: string;
  readonly deadLetteredAt?: string;
  readonly deadLetterReason?: string;
  readonly replays?: Readonly<Record<string, string>>;
}

/** Where an event stands, derived from its record. */
export type EventFate = 'received' | 'retrying' | 'processed' | 'dead-lettered';

/**
 * The fate a record shows: processed once its handler succeeded (whatever came before),
 * dead-lettered when the processor gave up on it, retrying after a failed attempt, else received
 * (claimed by the verifier, not yet attempted).
 */
export function fateOf(record: EventRecord): EventFate {
  if (record.processedAt) return 'processed';
  if (record.deadLetteredAt) return 'dead-lettered';
  if ((record.attempts ?? 0) > 0) return 'retrying';
  return 'received';
}

/** Whether a record is past its expiry: TTL deletes lazily, and an expired item counts as gone. */
export function isExpired(record: Pick<EventRecord, 'expiresAt'>, nowMs: number): boolean {
  return typeof record.expiresAt !== 'number' || record.expiresAt * 1000 <= nowMs;
}
