/**
 * The inspector's memory: the deliveries the gateway answered, newest last, and for each accepted
 * event its fate — enqueued, each processing attempt with its outcome and log lines, then
 * processed, retrying or dead-lettered, redriven or replayed. Nothing is persisted: it describes
 * one run of `npm start`.
 */
import type { SQSRecord } from 'aws-lambda';
import {
  MESSAGE_ATTRIBUTES,
  messageGroupIdFor,
  REPLAY_ATTRIBUTES,
} from '../../lambda/shared/queue-message.ts';
import { POWERTOOLS_LINE_KEYS } from '../log-to-stdout.ts';
import type {
  AttemptOutcome,
  AttemptView,
  DeliveryDetail,
  DeliverySummary,
  Fate,
  LogLine,
  TimelineEntry,
} from './api-types.ts';
import type { DeliveryRecord } from './delivery.ts';
import type { LogAttributes } from './observed-logger.ts';

/** Options of {@link InspectorStore}. */
export interface InspectorStoreOptions {
  /** Deliveries kept; the oldest go first. @default 1000 */
  readonly maxDeliveries?: number;
  /** Log lines kept per attempt. @default 200 */
  readonly maxLogLines?: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Attempt = Mutable<AttemptView> & {
  logs: LogLine[];
  readonly startedMs: number;
  /** Set when the processor put the message on the dead-letter queue itself during this attempt. */
  rejection?: ProcessorRejection;
};

/** Why the processor put a message on the dead-letter queue at once (its `rejectionReason`/`rejectionDetail`). */
export interface ProcessorRejection {
  /** e.g. `invalid_data`. */
  readonly reason: string;
  /** The parse error. */
  readonly detail?: string;
}

/** How the inspector words a processor's rejection, in the timeline and on the dead-letter queue. */
export function describeProcessorRejection(rejection: ProcessorRejection): string {
  return `rejected by the processor: ${rejection.reason}${rejection.detail ? `: ${rejection.detail}` : ''}`;
}

interface EventRecord {
  readonly eventKey: string;
  readonly deliveryIds: string[];
  readonly timeline: TimelineEntry[];
  attempts: number;
  /** Epoch milliseconds the newest attempt started. */
  lastAttemptAt: number;
  replays: number;
  fate?: Fate;
  /** Set once the dead-letter queue was seen holding the event since its last failure. */
  deadLetterSeen: boolean;
  /** The verifier's message attributes, as first received by the processor. */
  queueAttributes?: Readonly<Record<string, string>>;
  lastError?: string;
}

/** Keys every processor line carries; the timeline shows the others. */
const COMMON_LOG_KEYS = new Set<string>([...POWERTOOLS_LINE_KEYS, 'eventId', 'eventType', 'connectionId']);

/** The event key a record carries, as the processor reads it. */
export function eventKeyOfRecord(record: SQSRecord): string {
  return record.messageAttributes?.[MESSAGE_ATTRIBUTES.eventKey]?.stringValue ?? record.messageId;
}

/** Turns a logged line into a {@link LogLine}. */
export function toLogLine(attributes: LogAttributes): LogLine {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(attributes)) if (!COMMON_LOG_KEYS.has(key)) fields[key] = value;
  return {
    at: typeof attributes.timestamp === 'string' ? attributes.timestamp : new Date().toISOString(),
    level: String(attributes.level ?? 'INFO'),
    message: String(attributes.message ?? ''),
    fields,
  };
}

/** The error an attempt's lines report: the message of its first ERROR line, with the error's message. */
function errorFromLogs(logs: readonly LogLine[]): string | undefined {
  const line = logs.find((candidate) => candidate.level === 'ERROR' || candidate.level === 'CRITICAL');
  if (!line) return undefined;
  const error = line.fields.error;
  const detail =
    typeof error === 'string'
      ? error
      : error && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string'
        ? (error as { message: string }).message
        : undefined;
  return detail ? `${line.message}: ${detail}` : line.message;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Deliveries and the fate of their events, with a listener for every row that changes. */
export class InspectorStore {
  readonly #deliveries = new Map<string, DeliveryRecord>();
  readonly #events = new Map<string, EventRecord>();
  /** Deliveries whose signed body the verifier kept on the dead-letter queue, by event key. */
  readonly #kept = new Map<string, string>();
  /** Attempts in flight, by SQS message id and by event key (for the log lines). */
  readonly #open = new Map<string, Attempt>();
  readonly #openByEvent = new Map<string, Attempt>();
  readonly #listeners = new Set<(summary: DeliverySummary) => void>();
  readonly #maxDeliveries: number;
  readonly #maxLogLines: number;
  #maxReceiveCount = Number.POSITIVE_INFINITY;

  constructor(options: InspectorStoreOptions = {}) {
    this.#maxDeliveries = options.maxDeliveries ?? 1000;
    this.#maxLogLines = options.maxLogLines ?? 200;
  }

  /** The queue's `maxReceiveCount`, once known: a failure at that receive is the last. */
  set maxReceiveCount(value: number) {
    this.#maxReceiveCount = value;
  }

  /** Calls `listener` with the new summary of every delivery that changes; returns the unsubscriber. */
  subscribe(listener: (summary: DeliverySummary) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Records an answered request. */
  addDelivery(delivery: DeliveryRecord): void {
    this.#deliveries.set(delivery.id, delivery);
    if (delivery.keptEventKey) this.#kept.set(delivery.keptEventKey, delivery.id);
    if (delivery.eventKey) {
      const event = this.#event(delivery.eventKey);
      event.deliveryIds.push(delivery.id);
      event.timeline.push({
        kind: 'received',
        at: delivery.receivedAt,
        deliveryId: delivery.id,
        status: delivery.status,
        duplicate: delivery.duplicate,
      });
      if (!delivery.duplicate) {
        event.timeline.push({
          kind: 'enqueued',
          at: delivery.receivedAt,
          ...(delivery.eventType && {
            groupId: messageGroupIdFor({ type: delivery.eventType, connectionId: delivery.connectionId }),
          }),
        });
        // The processor may have picked the message up before the gateway finished answering.
        event.fate ??= 'queued';
      }
      this.#changed(event);
    } else {
      this.#emit(delivery);
    }
    this.#evict();
  }

  /** Records that the processor received a message and is handling it. */
  attemptStarted(record: SQSRecord): void {
    const event = this.#event(eventKeyOfRecord(record));
    const replay = record.messageAttributes?.[REPLAY_ATTRIBUTES.replay]?.stringValue === 'true';
    if (!event.queueAttributes && !replay) event.queueAttributes = originalAttributes(record);
    event.attempts += 1;
    event.lastAttemptAt = Date.now();
    const attempt: Attempt = {
      number: event.attempts,
      at: new Date().toISOString(),
      receiveCount: Number(record.attributes.ApproximateReceiveCount) || 1,
      maxReceiveCount: this.#maxReceiveCount,
      replay,
      outcome: 'processing',
      logs: [],
      startedMs: performance.now(),
    };
    event.timeline.push({ kind: 'attempt', at: attempt.at, attempt });
    event.fate = 'processing';
    event.deadLetterSeen = false;
    this.#open.set(record.messageId, attempt);
    this.#openByEvent.set(event.eventKey, attempt);
    this.#changed(event);
  }

  /**
   * Records that the processor put the event's message on the dead-letter queue itself, in the
   * attempt in flight: its body can never become an event. The batch then acknowledges it, so the
   * poller reports it as succeeded; {@link attemptFinished} reads this instead.
   */
  rejectedByProcessor(eventKey: string, rejection: ProcessorRejection): void {
    const attempt = this.#openByEvent.get(eventKey);
    if (attempt) attempt.rejection = rejection;
  }

  /**
   * Records the processor's verdict on a message. Returns where the event goes next after a
   * failure (`retry` or `dead-letter`), `rejected` when the processor put it on the dead-letter
   * queue at once, undefined after a success or for an unknown message.
   */
  attemptFinished(
    record: SQSRecord,
    succeeded: boolean,
    batchError?: unknown,
  ): 'retry' | 'dead-letter' | 'rejected' | undefined {
    const attempt = this.#open.get(record.messageId);
    const event = this.#events.get(eventKeyOfRecord(record));
    if (!attempt || !event) return undefined;
    this.#open.delete(record.messageId);
    if (this.#openByEvent.get(event.eventKey) === attempt) this.#openByEvent.delete(event.eventKey);
    attempt.durationMs = Math.round((performance.now() - attempt.startedMs) * 10) / 10;
    if (succeeded && attempt.rejection) return this.#rejected(event, attempt, attempt.rejection);
    if (succeeded) {
      attempt.outcome = 'processed';
      event.fate = 'processed';
      this.#changed(event);
      return undefined;
    }
    const error = batchError === undefined ? errorFromLogs(attempt.logs) : describe(batchError);
    const outcome: AttemptOutcome = error ? 'failed' : 'skipped';
    attempt.outcome = outcome;
    if (error) attempt.error = error;
    attempt.next = attempt.receiveCount >= this.#maxReceiveCount ? 'dead-letter' : 'retry';
    event.lastError = error ?? event.lastError ?? 'an earlier message of its group failed';
    event.fate = attempt.next === 'retry' ? 'retrying' : 'dead-letter';
    this.#changed(event);
    return attempt.next;
  }

  /** The message is on the dead-letter queue already: the processor's send succeeded before it acknowledged it. */
  #rejected(event: EventRecord, attempt: Attempt, rejection: ProcessorRejection): 'rejected' {
    const error = describeProcessorRejection(rejection);
    attempt.outcome = 'rejected';
    attempt.error = error;
    attempt.next = 'dead-letter';
    event.lastError = error;
    event.fate = 'dead-letter';
    event.deadLetterSeen = true;
    event.timeline.push({ kind: 'dead-letter', at: new Date().toISOString() });
    this.#changed(event);
    return 'rejected';
  }

  /** Attaches a processor line to the attempt in flight for its `eventId`. */
  addLogLine(attributes: LogAttributes): void {
    const eventId = attributes.eventId;
    if (typeof eventId !== 'string') return;
    const attempt = this.#openByEvent.get(eventId);
    if (!attempt || attempt.logs.length >= this.#maxLogLines) return;
    attempt.logs.push(toLogLine(attributes));
  }

  /** Records that the dead-letter queue holds these events (once per failure). */
  seenOnDeadLetterQueue(eventKeys: Iterable<string>): void {
    for (const key of eventKeys) {
      const event = this.#events.get(key);
      if (event?.fate !== 'dead-letter' || event.deadLetterSeen) continue;
      event.deadLetterSeen = true;
      event.timeline.push({ kind: 'dead-letter', at: new Date().toISOString() });
      this.#changed(event);
    }
  }

  /**
   * Records that these events were moved from the dead-letter queue back to the event queue, by a
   * move that started at `at`. The processor may already have picked a message up meanwhile: an
   * attempt newer than the move keeps its fate.
   */
  redriven(eventKeys: Iterable<string>, at: Date): void {
    for (const key of new Set(eventKeys)) {
      const event = this.#events.get(key);
      if (!event) continue;
      event.timeline.push({ kind: 'redriven', at: at.toISOString() });
      this.#requeued(event, at);
    }
  }

  /** Records that the event was put back on the queue by a replay sent at `at` (see {@link redriven}). */
  replayed(eventKey: string, at: Date): void {
    const event = this.#event(eventKey);
    event.replays += 1;
    event.timeline.push({ kind: 'replayed', at: at.toISOString() });
    this.#requeued(event, at);
  }

  #requeued(event: EventRecord, at: Date): void {
    if (event.lastAttemptAt < at.getTime()) {
      event.fate = 'queued';
      event.deadLetterSeen = false;
    }
    this.#changed(event);
  }

  /** Every delivery, newest first. */
  summaries(): DeliverySummary[] {
    return [...this.#deliveries.values()].reverse().map((delivery) => this.#summary(delivery));
  }

  delivery(id: string): DeliveryRecord | undefined {
    return this.#deliveries.get(id);
  }

  /** The verifier's attributes of the event's message, when the processor has received it. */
  queueAttributes(eventKey: string): Readonly<Record<string, string>> | undefined {
    return this.#events.get(eventKey)?.queueAttributes;
  }

  /** The last error the processor reported for an event. */
  lastError(eventKey: string): string | undefined {
    return this.#events.get(eventKey)?.lastError;
  }

  /** The newest delivery of an event, or the delivery whose body the verifier kept under that key. */
  latestDeliveryId(eventKey: string): string | undefined {
    return this.#events.get(eventKey)?.deliveryIds.at(-1) ?? this.#kept.get(eventKey);
  }

  /** One delivery with its headers, body, answer and the fate of its event. */
  detail(id: string): DeliveryDetail | undefined {
    const delivery = this.#deliveries.get(id);
    if (!delivery) return undefined;
    const event = delivery.eventKey ? this.#events.get(delivery.eventKey) : undefined;
    const received: TimelineEntry = {
      kind: 'received',
      at: delivery.receivedAt,
      deliveryId: id,
      status: delivery.status,
      duplicate: false,
    };
    // In the order things happened: the receipt is stamped when the request arrived.
    const timeline = event
      ? event.timeline.map(withoutClock).sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
      : [received];
    return {
      summary: this.#summary(delivery),
      method: delivery.method,
      path: delivery.path,
      headers: delivery.headers,
      body: delivery.body,
      bodyEncoding: delivery.bodyEncoding,
      answer: { status: delivery.status, headers: delivery.answerHeaders, body: delivery.answerBody },
      timeline,
      replayable: event !== undefined,
    };
  }

  #event(eventKey: string): EventRecord {
    let event = this.#events.get(eventKey);
    if (!event) {
      event = {
        eventKey,
        deliveryIds: [],
        timeline: [],
        attempts: 0,
        lastAttemptAt: 0,
        replays: 0,
        deadLetterSeen: false,
      };
      this.#events.set(eventKey, event);
    }
    return event;
  }

  #summary(delivery: DeliveryRecord): DeliverySummary {
    const event = delivery.eventKey ? this.#events.get(delivery.eventKey) : undefined;
    return {
      id: delivery.id,
      receivedAt: delivery.receivedAt,
      status: delivery.status,
      ...(delivery.errorCode && { errorCode: delivery.errorCode }),
      scheme: delivery.scheme,
      ...(delivery.eventKey && { eventKey: delivery.eventKey }),
      ...(delivery.eventType && { eventType: delivery.eventType }),
      ...(delivery.connectionId && { connectionId: delivery.connectionId }),
      latencyMs: delivery.latencyMs,
      duplicate: delivery.duplicate,
      ...(event?.fate && { fate: event.fate }),
      attempts: event?.attempts ?? 0,
      replays: event?.replays ?? 0,
    };
  }

  #changed(event: EventRecord): void {
    for (const id of event.deliveryIds) {
      const delivery = this.#deliveries.get(id);
      if (delivery) this.#emit(delivery);
    }
  }

  #emit(delivery: DeliveryRecord): void {
    const summary = this.#summary(delivery);
    for (const listener of this.#listeners) listener(summary);
  }

  #evict(): void {
    while (this.#deliveries.size > this.#maxDeliveries) {
      const [oldest] = this.#deliveries.keys();
      const delivery = this.#deliveries.get(oldest!)!;
      this.#deliveries.delete(oldest!);
      if (delivery.keptEventKey && this.#kept.get(delivery.keptEventKey) === oldest)
        this.#kept.delete(delivery.keptEventKey);
      const event = delivery.eventKey ? this.#events.get(delivery.eventKey) : undefined;
      if (!event) continue;
      event.deliveryIds.splice(event.deliveryIds.indexOf(delivery.id), 1);
      if (event.deliveryIds.length === 0 && !this.#openByEvent.has(event.eventKey))
        this.#events.delete(event.eventKey);
    }
  }
}

/** A copy of a timeline entry as the page sees it: an attempt without its start on this process's clock. */
function withoutClock(entry: TimelineEntry): TimelineEntry {
  if (entry.kind !== 'attempt') return entry;
  const { startedMs: _startedMs, rejection: _rejection, ...attempt } = entry.attempt as Attempt;
  return { ...entry, attempt: { ...attempt, logs: [...attempt.logs] } };
}

/** The verifier's attributes of a received message, to put a replay back exactly as it was queued. */
function originalAttributes(record: SQSRecord): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const name of Object.values(MESSAGE_ATTRIBUTES)) {
    const value = record.messageAttributes?.[name]?.stringValue;
    if (value !== undefined) attributes[name] = value;
  }
  return attributes;
}
