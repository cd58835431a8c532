/**
 * The default handler map: what the processor does for each event type unless a consumer's
 * handler file registers its own (`createProcessorHandler({ handlers })` merges key by key).
 *
 * The connection handler (one for the four types, `connection-events.ts`) and the rules handler
 * keep the connection registry and the latest Dynamic Rules through conditional writes, so
 * re-processing an event changes nothing; the beta handlers log; unknown types are logged and
 * acknowledged. How to write your own handlers, with idempotent side
 * effects, is shown by the worked example in `bin/handlers/` and its README.
 *
 * @example
 * import { createProcessorHandler, defaultHandlers } from 'ofauth-webhook-receiver/processor';
 * export const handler = createProcessorHandler({
 *   handlers: {
 *     'connection.created': async (event, context) => {
 *       await defaultHandlers['connection.created'](event, context); // keep the registry
 *       // …then your own onboarding, idempotent on context.eventId
 *     },
 *   },
 * });
 */
import type { EventHandlers, UnknownEventHandler } from '../router.ts';
import { connectionEventHandler } from './connection-events.ts';
import { onUnknownEvent } from './on-unknown-event.ts';
import { realtimeEvent } from './realtime-event.ts';
import { rulesUpdated } from './rules-updated.ts';
import { websocketEventReceived } from './websocket-event-received.ts';

/** The handlers the processor runs unless told otherwise. */
export const defaultHandlers: EventHandlers = {
  'connection.created': connectionEventHandler,
  'connection.updated': connectionEventHandler,
  'connection.expired': connectionEventHandler,
  'connection.disconnected': connectionEventHandler,
  'rules.updated': rulesUpdated,
  'of.websocket.event.received': websocketEventReceived,
  'realtime.*': realtimeEvent,
};

/** The handler of event types the map does not know. */
export const defaultOnUnknownEvent: UnknownEventHandler = onUnknownEvent;
