/**
 * The default handler map: what the processor does for each event type unless a consumer's
 * handler file registers its own (`createProcessorHandler({ handlers })` merges key by key).
 *
 * The connection and rules handlers keep the connection registry and the latest Dynamic Rules
 * through conditional writes, so re-processing an event changes nothing; the beta handlers log;
 * unknown types are logged and acknowledged. How to write your own handlers, with idempotent side
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
import { connectionCreated } from './connection-created.ts';
import { connectionDisconnected } from './connection-disconnected.ts';
import { connectionExpired } from './connection-expired.ts';
import { connectionUpdated } from './connection-updated.ts';
import { onUnknownEvent } from './on-unknown-event.ts';
import { realtimeEvent } from './realtime-event.ts';
import { rulesUpdated } from './rules-updated.ts';
import { websocketEventReceived } from './websocket-event-received.ts';

/** The handlers the processor runs unless told otherwise. */
export const defaultHandlers: EventHandlers = {
  'connection.created': connectionCreated,
  'connection.updated': connectionUpdated,
  'connection.expired': connectionExpired,
  'connection.disconnected': connectionDisconnected,
  'rules.updated': rulesUpdated,
  'of.websocket.event.received': websocketEventReceived,
  'realtime.*': realtimeEvent,
};

/** The handler of event types the map does not know. */
export const defaultOnUnknownEvent: UnknownEventHandler = onUnknownEvent;
