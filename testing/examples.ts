/**
 * The documented example payload of each event type OFAuth sends, in the documented envelope
 * (`type`, `timestamp`, `data`). The JSON files are the repository's fixtures
 * (`examples/events/`, where each comes from: `PROVENANCE.md` there), compiled into the
 * package so that a consumer's tests send exactly what the receiver's own tests send.
 */

import connectionCreated from '../examples/events/connection.created.json' with { type: 'json' };
import connectionDisconnected from '../examples/events/connection.disconnected.json' with { type: 'json' };
import connectionExpired from '../examples/events/connection.expired.json' with { type: 'json' };
import connectionUpdated from '../examples/events/connection.updated.json' with { type: 'json' };
import websocketEvent from '../examples/events/of.websocket.event.received.json' with { type: 'json' };
import chatTyping from '../examples/events/realtime.chat_typing.updated.json' with { type: 'json' };
import rulesUpdated from '../examples/events/rules.updated.json' with { type: 'json' };
import type {
  ConnectionEventData,
  RulesUpdatedData,
  TranslatedEventData,
  WebsocketEventData,
} from '../lambda/shared/event-model.ts';

/** The `data` type of each example. */
export interface ExampleEventData {
  readonly 'connection.created': ConnectionEventData;
  readonly 'connection.updated': ConnectionEventData;
  readonly 'connection.expired': ConnectionEventData;
  readonly 'connection.disconnected': ConnectionEventData;
  readonly 'rules.updated': RulesUpdatedData;
  readonly 'of.websocket.event.received': WebsocketEventData;
  readonly 'realtime.chat_typing.updated': TranslatedEventData;
}

/** The event types that have an example. */
export type ExampleEventType = keyof ExampleEventData;

/** An example event: the documented envelope of one type. */
export interface ExampleEvent<T extends ExampleEventType = ExampleEventType> {
  readonly type: T;
  readonly timestamp: string;
  readonly data: ExampleEventData[T];
}

const EXAMPLES: Readonly<Record<ExampleEventType, unknown>> = {
  'connection.created': connectionCreated,
  'connection.updated': connectionUpdated,
  'connection.expired': connectionExpired,
  'connection.disconnected': connectionDisconnected,
  'rules.updated': rulesUpdated,
  'of.websocket.event.received': websocketEvent,
  'realtime.chat_typing.updated': chatTyping,
};

/** Every type that has an example. */
export const EXAMPLE_EVENT_TYPES = Object.keys(EXAMPLES) as readonly ExampleEventType[];

/**
 * The example of a type, as a fresh object (change it freely).
 *
 * @example
 * const event = exampleEvent('connection.created');
 * event.data.connection.id; // 'conn_abc123'
 */
export function exampleEvent<T extends ExampleEventType>(type: T): ExampleEvent<T> {
  const example = EXAMPLES[type];
  if (example === undefined) throw new TypeError(`no example event of type ${String(type)}`);
  // The JSON files are typed by their literal contents; the receiver's own tests parse each one
  // with the event model (test/unit/contract.test.ts), which is what makes this the type of the example.
  return structuredClone(example) as ExampleEvent<T>;
}
