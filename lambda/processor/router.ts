/**
 * The typed router: one handler per event type, checked by the compiler.
 *
 * {@link EventHandlers} has one required key per documented type (`EVENT_DATA_SCHEMAS` in the
 * shared event model) plus `realtime.*` for every translated event; a handler for one specific
 * `realtime.<name>` type may be added beside them and wins over `realtime.*`. Each handler
 * receives the event typed for its key. Anything else goes to the `onUnknownEvent` handler.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import {
  isKnownEventType,
  isTranslatedEventType,
  type KnownEventType,
  type RealtimeEvent,
  type TranslatedEventType,
} from '../shared/event-model.ts';
import type { QueueMessageAttributes } from '../shared/queue-message.ts';
import type { ConnectionRegistry } from './connections.ts';
import type { EventTimeSource } from './queued-event.ts';
import type { RulesStore } from './rules.ts';

/** What a handler gets beside the event: small on purpose. */
export interface HandlerContext {
  /** The event key: stable across redeliveries of the same event; use it for idempotency. */
  readonly eventId: string;
  /** The event's time: see {@link HandlerContext.eventTimeSource} for where it came from. */
  readonly eventTime: Date;
  /**
   * Where {@link HandlerContext.eventTime} came from: the envelope's `timestamp`, the creation time
   * carried by a Svix message id (`msg_` + KSUID), or the time the verifier received the delivery.
   */
  readonly eventTimeSource: EventTimeSource;
  /**
   * When the verifier first received the delivery, if known. Set once at ingest and kept by a
   * redrive and a replay, so the stores order events of the same second by it.
   */
  readonly receivedAt?: Date;
  /** `true` when the event was put back on the queue by a replay from the archive. */
  readonly replay: boolean;
  /**
   * The SQS FIFO sequence number of the message: queue order within the connection's message
   * group, unchanged on redelivery. It is not the order OFAuth sent events in, and a message
   * moved back from the dead-letter queue gets a new, larger one; the stores do not use it. A
   * replayed event carries its original message's number (absent when it was not archived).
   */
  readonly sequenceNumber?: string;
  /** The delivery body exactly as OFAuth sent it. */
  readonly rawBody: string;
  /** The verifier's SQS message attributes. */
  readonly attributes: Partial<QueueMessageAttributes>;
  /** A logger whose lines carry `eventId`, `eventType` and `connectionId`. */
  readonly logger: Logger;
  /** The connection registry (the default connection handlers write it; yours may read it). */
  readonly connections: ConnectionRegistry;
  /** The latest Dynamic Rules store. */
  readonly rules: RulesStore;
  /** The shared DynamoDB document client, for your own tables. */
  readonly dynamodb: DynamoDBDocumentClient;
  /**
   * Aborts when the invocation reaches its deadline (`deadlineMarginMs` before the function's
   * timeout). The kit's own AWS calls use it; pass it to yours (`client.send(command, { abortSignal:
   * context.signal })`, `fetch(url, { signal: context.signal })`) so that they stop in time and the
   * event comes back to be retried. A handler that ignores it is still awaited.
   */
  readonly signal: AbortSignal;
  /** The Lambda context of the invocation, when there is one. */
  readonly lambdaContext?: Context;
}

/** A handler of one event type. Throwing fails the event and the rest of its connection's batch. */
export type EventHandler<E extends RealtimeEvent = RealtimeEvent> = (
  event: E,
  context: HandlerContext,
) => Promise<void> | void;

/** The key under which the handler of every translated `realtime.*` event is registered. */
export const TRANSLATED_EVENTS_KEY = 'realtime.*';

/** The one typed map of handlers. */
export type EventHandlers = {
  readonly [T in KnownEventType]: EventHandler<RealtimeEvent<T>>;
} & {
  /** Every translated event without a handler of its own. */
  readonly [TRANSLATED_EVENTS_KEY]: EventHandler<RealtimeEvent<TranslatedEventType>>;
} & {
  /** Optional handlers of one specific translated type, e.g. `realtime.chat_typing.updated`. */
  readonly [T in TranslatedEventType]?: EventHandler<RealtimeEvent<TranslatedEventType>>;
};

/** The handler of types the map does not know (`data` is unchecked). */
export type UnknownEventHandler = EventHandler<RealtimeEvent<string>>;

/** Dispatches an event to its handler. */
export type Router = (event: RealtimeEvent, context: HandlerContext) => Promise<void>;

/**
 * Builds the router over a handler map.
 *
 * @example
 * const route = createRouter(defaultHandlers, defaultOnUnknownEvent);
 * await route(event, context);
 */
export function createRouter(handlers: EventHandlers, onUnknownEvent: UnknownEventHandler): Router {
  return async (event, context) => {
    await resolveHandler(handlers, onUnknownEvent, event.type)(event, context);
  };
}

/** The handler an event type is dispatched to. */
export function resolveHandler(
  handlers: EventHandlers,
  onUnknownEvent: UnknownEventHandler,
  type: string,
): EventHandler {
  // Narrowing by type is the job of parseEvent, which checked `data` against the schema of `type`.
  if (isKnownEventType(type)) return handlers[type] as EventHandler;
  if (isTranslatedEventType(type)) {
    const own = Object.hasOwn(handlers, type) ? handlers[type] : undefined;
    return (own ?? handlers[TRANSLATED_EVENTS_KEY]) as EventHandler;
  }
  return onUnknownEvent;
}
