/**
 * The processor kit: everything a handler file of your own needs, and nothing it should not
 * depend on. It is the package's `ofauth-webhook-receiver/processor` entry point; a consumer's
 * handler file imports only from here (the repository's own, `bin/handlers/`, does).
 *
 * - the typed event model (`RealtimeEvent<'connection.created'>`, …) and its guards;
 * - the handler types (`EventHandler`, the typed map `EventHandlers`, `HandlerContext`);
 * - the default handlers, to keep or wrap;
 * - {@link createProcessorHandler}, which turns a handler map into the processor Lambda handler;
 * - the connection registry and the Dynamic Rules store, and lookups for code outside a handler;
 * - {@link PoisonEventError}, to send an event that can never succeed to the dead-letter queue at once.
 *
 * @example
 * // processor.ts, passed to the construct as `processorProps: { entry: 'processor.ts' }`
 * import { createProcessorHandler, defaultHandlers, type EventHandler, type RealtimeEvent } from 'ofauth-webhook-receiver/processor';
 *
 * const connectionCreated: EventHandler<RealtimeEvent<'connection.created'>> = async (event, context) => {
 *   await defaultHandlers['connection.created'](event, context); // keep the registry
 *   await onboard({ eventId: context.eventId, user: event.data.clientReferenceId }); // idempotent on eventId
 * };
 *
 * export const handler = createProcessorHandler({ handlers: { 'connection.created': connectionCreated } });
 */

export type {
  ConnectionEventData,
  ConnectionEventType,
  EnvelopeProblem,
  EnvelopeResult,
  EnvelopeShape,
  EventDataOf,
  KnownEventType,
  RealtimeEnvelope,
  RealtimeEvent,
  RulesUpdatedData,
  TranslatedEventData,
  TranslatedEventType,
  WebsocketEventData,
} from '../shared/event-model.ts';
export {
  CONNECTION_EVENT_TYPES,
  EventDataError,
  isEventOfType,
  isKnownEventType,
  isTranslatedEventType,
  parseEnvelope,
  parseEvent,
  TRANSLATED_EVENT_PREFIX,
} from '../shared/event-model.ts';
export type { QueueMessageAttributes, SignatureScheme } from '../shared/queue-message.ts';
export {
  type ConnectionRecord,
  ConnectionRegistry,
  type ConnectionUserData,
  DISCONNECTED_STATUS,
  type FindConnectionsOptions,
  findConnectionsByClientReferenceId,
  getConnection,
  getDefaultConnectionRegistry,
} from './connections.ts';
export {
  type ConnectionsTableOptions,
  type EventPosition,
  type SkippedWriteReason,
  skippedWriteMessage,
  type WriteOutcome,
} from './connections-table.ts';
export {
  createProcessorHandler,
  type ProcessorHandler,
  type ProcessorHandlerOptions,
} from './create-handler.ts';
export { recordConnection } from './default-handlers/connection-events.ts';
export { defaultHandlers, defaultOnUnknownEvent } from './default-handlers/index.ts';
export {
  EVENT_SOURCE,
  EventBusPublisher,
  type EventBusPublisherOptions,
  EventNotPublishedError,
  type EventPublisher,
  type PublishedEventDetail,
} from './event-bus.ts';
export { PoisonEventError, type PoisonEventErrorOptions } from './poison.ts';
export type { EventTimeSource } from './queued-event.ts';
export {
  type EventHandler,
  type EventHandlers,
  type HandlerContext,
  TRANSLATED_EVENTS_KEY,
  type UnknownEventHandler,
} from './router.ts';
export {
  type DynamicRules,
  getDefaultRulesStore,
  getLatestRules,
  type RulesRecord,
  RulesStore,
} from './rules.ts';
