/**
 * The shapes the inspector's server sends its page, as JSON (the JSON endpoints) and as
 * server-sent events (`GET /api/stream`). Types only: the page's bundle and the server share them.
 */

import type { PublicationLine } from '../../dev/event-publication.ts';
import type { EventRecord } from '../../lambda/shared/event-record.ts';

/** How a delivery was signed, read from its headers. */
export type SchemeLabel = 'ofauth' | 'svix' | 'none';

/**
 * What became of an accepted event: on the queue, being handled, handled, failed and waiting for
 * its next receive, or failed its last receive and moved (or about to move) to the dead-letter queue.
 */
export type Fate = 'queued' | 'processing' | 'processed' | 'retrying' | 'dead-letter';

/** One row of the deliveries list. */
export interface DeliverySummary {
  /** The gateway's request id (`apigw-requestid`). */
  readonly id: string;
  /** ISO-8601 time the request arrived. */
  readonly receivedAt: string;
  readonly status: number;
  /** The `error` code of a non-2xx answer, e.g. `invalid_signature`. */
  readonly errorCode?: string;
  readonly scheme: SchemeLabel;
  /** The event key of an accepted delivery (`svix-id`, a top-level `id`, or SHA-256 of the body). */
  readonly eventKey?: string;
  readonly eventType?: string;
  readonly connectionId?: string;
  readonly latencyMs: number;
  /** `true` for a 200 `duplicate` answer: the event had been handed on already. */
  readonly duplicate: boolean;
  /** What became of the event, for an accepted delivery. */
  readonly fate?: Fate;
  /** Processing attempts of the event so far. */
  readonly attempts: number;
  /** Replays of the event so far. */
  readonly replays: number;
}

/** One line the processor or a handler logged for an event. */
export interface LogLine {
  readonly at: string;
  readonly level: string;
  readonly message: string;
  /** The line's other keys, without the ones every line carries. */
  readonly fields: Readonly<Record<string, unknown>>;
}

/**
 * The outcome of one processing attempt. `skipped`: an earlier message of its group failed in the
 * batch; `rejected`: its body can never become an event, and the processor put it on the
 * dead-letter queue at once.
 */
export type AttemptOutcome = 'processing' | 'processed' | 'failed' | 'skipped' | 'rejected';

/** One receive of the event's message by the processor. */
export interface AttemptView {
  /** 1 for the event's first attempt, counting across redrives and replays. */
  readonly number: number;
  readonly at: string;
  /** `ApproximateReceiveCount` of the message: 1 on its first receive. */
  readonly receiveCount: number;
  readonly maxReceiveCount: number;
  /** The message was put back by a replay. */
  readonly replay: boolean;
  readonly outcome: AttemptOutcome;
  readonly durationMs?: number;
  readonly error?: string;
  readonly logs: readonly LogLine[];
  /** After a failure: received again after the visibility timeout, or moved to the dead-letter queue. */
  readonly next?: 'retry' | 'dead-letter';
}

/** One step of an event's fate, oldest first. */
export type TimelineEntry =
  | {
      readonly kind: 'received';
      readonly at: string;
      readonly deliveryId: string;
      readonly status: number;
      readonly duplicate: boolean;
    }
  | { readonly kind: 'enqueued'; readonly at: string; readonly groupId?: string }
  | { readonly kind: 'attempt'; readonly at: string; readonly attempt: AttemptView }
  | { readonly kind: 'dead-letter'; readonly at: string }
  | { readonly kind: 'redriven'; readonly at: string }
  | { readonly kind: 'replayed'; readonly at: string };

/** Everything about one delivery, for the detail view. */
export interface DeliveryDetail {
  readonly summary: DeliverySummary;
  readonly method: string;
  readonly path: string;
  /** Request headers in the order received; signature and credential values masked. */
  readonly headers: readonly (readonly [string, string])[];
  /** The raw body: text, or base64 when it is not UTF-8. */
  readonly body: string;
  readonly bodyEncoding: 'utf8' | 'base64';
  readonly answer: {
    readonly status: number;
    readonly headers: readonly (readonly [string, string])[];
    readonly body: string;
  };
  /** The event's fate; for a rejected delivery only its receipt. */
  readonly timeline: readonly TimelineEntry[];
  /** Whether the page may offer a replay: the delivery was accepted. */
  readonly replayable: boolean;
  /**
   * The event's record, as `npm run cli -- trace` shows it (`summary.fate` then follows it), when
   * it has one.
   */
  readonly record?: EventRecord;
  /** What the record says about the event bus (published when, or handled but not published, and why). */
  readonly publication?: PublicationLine;
}

/** One connection of the registry, as the processor keeps it. */
export interface ConnectionView {
  readonly connectionId: string;
  readonly status?: string;
  readonly clientReferenceId?: string;
  readonly permissions?: readonly string[];
  readonly lastEventAt?: string;
  readonly lastEventType?: string;
  readonly lastEventId?: string;
  readonly updatedAt?: string;
  /** Set on a tombstone. */
  readonly disconnectedAt?: string;
}

/** The latest Dynamic Rules revision. */
export interface RulesView {
  readonly revision?: string | number;
  readonly lastEventAt?: string;
  readonly lastEventId?: string;
  readonly updatedAt?: string;
  readonly rules?: Readonly<Record<string, unknown>>;
}

/** The connections table: the registry and the rules. */
export interface RegistryView {
  readonly connections: readonly ConnectionView[];
  readonly rules?: RulesView;
  /** Why the table could not be read, if it could not. */
  readonly error?: string;
}

/**
 * Who put a message on the dead-letter queue: the verifier (a signed body that is not an event),
 * the processor (a queued body whose data fails its schema, moved at once), or SQS's redrive
 * policy (a message the processor failed `maxReceiveCount` times).
 */
export type DeadLetterSource = 'verifier' | 'processor' | 'redrive-policy';

/** One message on the dead-letter queue. */
export interface DeadLetterView {
  readonly messageId: string;
  readonly eventKey?: string;
  readonly eventType?: string;
  readonly connectionId?: string;
  readonly groupId?: string;
  /** Who put it there. */
  readonly source: DeadLetterSource;
  /** Why it is there, in words: the verifier's or the processor's rejection, or the processor's last error. */
  readonly reason: string;
  readonly receiveCount: number;
  readonly sentAt?: string;
  /** The newest delivery of the same event, to open it. */
  readonly deliveryId?: string;
}

/** The dead-letter queue. */
export interface DeadLetterQueueView {
  readonly messages: readonly DeadLetterView[];
  readonly error?: string;
}

/** One event the processor published to the local recording bus. */
export interface PublishedEventView {
  readonly id: string;
  /** The event type. */
  readonly detailType: string;
  readonly publishedAt: string;
  /** The event time (`Time` of the entry). */
  readonly time?: string;
  readonly eventKey?: string;
  readonly connectionId?: string;
  /** Published again by `replay --publish`. */
  readonly replay: boolean;
}

/** The events published to the local bus, newest first (`GET /api/published`). */
export interface PublishedView {
  /** Whether the processor publishes (a bus is configured). */
  readonly enabled: boolean;
  /** How many the bus holds (the page shows the latest 100). */
  readonly total: number;
  readonly events: readonly PublishedEventView[];
}

/** What the page needs to know about the pipeline. */
export interface InspectorConfig {
  readonly webhookUrl: string;
  readonly maxReceiveCount: number;
  readonly visibilityTimeoutSeconds: number;
  /** Event types `send` has an example of. */
  readonly exampleTypes: readonly string[];
  /** The CLI command that sends a first event to this pipeline. */
  readonly sendCommand: string;
}

/** The first server-sent event of every stream: the whole state. */
export interface Snapshot {
  readonly config: InspectorConfig;
  readonly deliveries: readonly DeliverySummary[];
  readonly registry: RegistryView;
  readonly deadLetters: DeadLetterQueueView;
  /** The events published to the local bus. */
  readonly published?: PublishedView;
}

/** The server-sent events of `GET /api/stream`, by event name. */
export interface StreamEvents {
  readonly snapshot: Snapshot;
  readonly delivery: DeliverySummary;
  readonly registry: RegistryView;
  readonly 'dead-letters': DeadLetterQueueView;
  readonly published: PublishedView;
}

/** `POST /api/send`. */
export interface SendRequest {
  readonly type: string;
  readonly scheme: 'ofauth' | 'svix';
  readonly connectionId?: string;
  /** Change the body after signing, to see a 401. */
  readonly tamper?: boolean;
}

/** The answer of an action. */
export interface ActionResult {
  readonly ok: boolean;
  readonly message: string;
  readonly status?: number;
}
