/**
 * The handler map: one file per event type in this folder, registered here.
 *
 * Adding business logic means editing one of these files, or adding a file and one line below.
 * The map is typed ({@link EventHandlers}): every documented type must have a handler, and each
 * handler receives the event typed for its key, so the compiler checks what you read. The guide,
 * with ordering, retries and making side effects happen once, is the repository README's
 * "Extend: add business logic" section.
 *
 * @example
 * // A handler of its own for one translated type: add handlers/realtime-chat-typing-updated.ts,
 * // then register it here:
 * //   'realtime.chat_typing.updated': realtimeChatTypingUpdated,
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
