/**
 * Fan-out of processed events to an EventBridge bus: after an event's handler succeeded, one
 * `PutEvents` entry with `Source` {@link EVENT_SOURCE}, `DetailType` the event type and a `Detail`
 * that carries the parsed event and what subscribers need to sort and deduplicate it
 * ({@link PublishedEventDetail}).
 *
 * `PutEvents` answers 200 even when some entries failed (`FailedEntryCount`): such an entry is
 * sent again, with backoff, a few times, as is one whose call failed (a 5xx, the network); then
 * the publish fails, and the record fails like a failing handler (retried, then the dead-letter
 * queue).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PROCESSOR_ENVIRONMENT, PUBLISHED_EVENT_SOURCE } from '../shared/deployment-names.ts';
import type { QueuedEvent } from './queued-event.ts';

/** The `Source` of every published entry: rules match on it. */
export const EVENT_SOURCE = PUBLISHED_EVENT_SOURCE;

/** The environment variable that names the bus (its name or ARN) to the processor. */
export const EVENT_BUS_ENV = PROCESSOR_ENVIRONMENT.eventBusName;

/** The largest `PutEvents` entry EventBridge takes, in bytes. */
export const MAX_ENTRY_BYTES = 256 * 1024;

/** One `PutEvents` request entry, in the API's own names. */
export interface PutEventsEntry {
  readonly Source: string;
  readonly DetailType: string;
  /** JSON text of {@link PublishedEventDetail}. */
  readonly Detail: string;
  /** The event time, ISO-8601. */
  readonly Time: string;
  readonly EventBusName: string;
}

/** The `PutEvents` response, as far as the publisher reads it. */
export interface PutEventsResponse {
  readonly FailedEntryCount?: number;
  readonly Entries?: readonly { EventId?: string; ErrorCode?: string; ErrorMessage?: string }[];
}

/** The port: one `PutEvents` call. */
export interface PutEventsClient {
  putEvents(entries: readonly PutEventsEntry[], signal?: AbortSignal): Promise<PutEventsResponse>;
}

/** The `detail` of a published event. */
export interface PublishedEventDetail {
  /** The parsed event: type, timestamp, live, connectionId, clientReferenceId, data. */
  readonly event: QueuedEvent['event'];
  readonly connectionId?: string;
  /** The verifier's event key: subscribers deduplicate on it. */
  readonly eventKey: string;
  /** ISO-8601 event time: subscribers order on it (EventBridge delivers without order). */
  readonly eventTime: string;
  readonly eventTimeSource: QueuedEvent['eventTimeSource'];
  readonly receivedAt?: string;
  /** Whether an operator's `replay --publish` published it again. */
  readonly replay: boolean;
}

/** Thrown when an event could not be published after the retries. */
export class EventNotPublishedError extends Error {
  constructor(
    message: string,
    readonly errorCode?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'EventNotPublishedError';
  }
}

/** The `PutEvents` entry of a queued event. */
export function publishedEntry(queued: QueuedEvent, eventBusName: string): PutEventsEntry {
  const detail: PublishedEventDetail = {
    event: queued.event,
    ...(queued.event.connectionId && { connectionId: queued.event.connectionId }),
    eventKey: queued.eventId,
    eventTime: queued.eventTime.toISOString(),
    eventTimeSource: queued.eventTimeSource,
    ...(queued.receivedAt && { receivedAt: queued.receivedAt.toISOString() }),
    replay: queued.replay,
  };
  return {
    Source: EVENT_SOURCE,
    DetailType: queued.event.type,
    Detail: JSON.stringify(detail),
    Time: queued.eventTime.toISOString(),
    EventBusName: eventBusName,
  };
}

/** Options of {@link EventBusPublisher}. */
export interface EventBusPublisherOptions {
  /** The bus's name or ARN. */
  readonly eventBusName: string;
  /** @default a signed client of the function's region (`AWS_ENDPOINT_URL_EVENTBRIDGE` overrides) */
  readonly client?: PutEventsClient;
  /** How many times a failed entry is sent in all. @default 3 */
  readonly maxAttempts?: number;
  /** The first backoff in milliseconds, doubled each time. @default 100 */
  readonly baseDelayMs?: number;
}

/** The port the record processor publishes through. */
export interface EventPublisher {
  /** Publishes one handled event; throws when it could not. */
  publish(queued: QueuedEvent, signal?: AbortSignal): Promise<void>;
}

/** Publishes processed events to one bus. */
export class EventBusPublisher implements EventPublisher {
  readonly eventBusName: string;
  readonly #client: PutEventsClient;
  readonly #maxAttempts: number;
  readonly #baseDelayMs: number;

  constructor(options: EventBusPublisherOptions) {
    if (!options.eventBusName?.trim()) {
      throw new TypeError(`eventBusName must be a non-empty string, got "${options.eventBusName}"`);
    }
    this.eventBusName = options.eventBusName;
    this.#client = options.client ?? new SdkPutEventsClient();
    this.#maxAttempts = options.maxAttempts ?? 3;
    this.#baseDelayMs = options.baseDelayMs ?? 100;
  }

  /**
   * Publishes one event; resolves once EventBridge took it.
   *
   * @throws {EventNotPublishedError} when the entry failed every attempt, or is too large
   */
  async publish(queued: QueuedEvent, signal?: AbortSignal): Promise<void> {
    const entry = publishedEntry(queued, this.eventBusName);
    const bytes = Buffer.byteLength(JSON.stringify(entry));
    if (bytes > MAX_ENTRY_BYTES) {
      throw new EventNotPublishedError(
        `entry of ${bytes} bytes exceeds the ${MAX_ENTRY_BYTES}-byte PutEvents limit`,
      );
    }
    let lastFailure = { code: 'unknown', message: 'no answer' };
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt += 1) {
      if (attempt > 1) await sleep(this.#baseDelayMs * 2 ** (attempt - 2), undefined, { signal });
      let response: PutEventsResponse;
      try {
        response = await this.#client.putEvents([entry], signal);
      } catch (error) {
        // The deadline's abort ends the attempts; a failed call (5xx, network) is tried again.
        if (signal?.aborted) throw error;
        lastFailure = { code: (error as Error).name, message: (error as Error).message };
        continue;
      }
      const result = response.Entries?.[0];
      if (!response.FailedEntryCount && result?.EventId) return;
      lastFailure = { code: result?.ErrorCode ?? 'unknown', message: result?.ErrorMessage ?? 'no event id' };
    }
    throw new EventNotPublishedError(
      `PutEvents failed ${this.#maxAttempts} times: ${lastFailure.code}: ${lastFailure.message}`,
      lastFailure.code,
    );
  }
}

/** The publisher of the environment's bus (`EVENT_BUS_NAME`), or `undefined` when unset. */
export function publisherFromEnvironment(
  env: Readonly<Record<string, string | undefined>> = process.env,
): EventBusPublisher | undefined {
  const eventBusName = env[EVENT_BUS_ENV]?.trim();
  return eventBusName ? new EventBusPublisher({ eventBusName }) : undefined;
}

/** The EventBridge client's module, loaded on the first publish (`eventbridge-put-events.ts`). */
const loadEventBridge = () => import('./eventbridge-put-events.ts');

/**
 * `PutEvents` through the AWS SDK's EventBridge client, created on first use (the default
 * credential chain and region; `AWS_ENDPOINT_URL_EVENTBRIDGE` points it elsewhere, as the local
 * pipeline does). The SDK makes one attempt per call: {@link EventBusPublisher} retries both
 * failed calls and failed entries itself, within the deadline.
 */
export class SdkPutEventsClient implements PutEventsClient {
  #client: EventBridgeClient | undefined;

  constructor(client?: EventBridgeClient) {
    this.#client = client;
  }

  async putEvents(entries: readonly PutEventsEntry[], signal?: AbortSignal): Promise<PutEventsResponse> {
    const { EventBridgeClient, PutEventsCommand } = await loadEventBridge();
    this.#client ??= new EventBridgeClient({ maxAttempts: 1 });
    const output = await this.#client.send(
      new PutEventsCommand({ Entries: entries.map((entry) => ({ ...entry, Time: new Date(entry.Time) })) }),
      signal ? { abortSignal: signal } : {},
    );
    return {
      ...(output.FailedEntryCount !== undefined && { FailedEntryCount: output.FailedEntryCount }),
      ...(output.Entries && { Entries: output.Entries }),
    };
  }
}
