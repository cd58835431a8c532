/**
 * The handler map: one file per event type in this folder, registered here.
 *
 * Adding business logic means editing one of these files, or adding a file and one line below.
 * The map is typed ({@link EventHandlers}): every documented type must have a handler, and each
 * handler receives the event typed for its key, so the compiler checks what you read.
 *
 * ## Ordering and retries
 * Events of one connection arrive in order (SQS FIFO, group = connection id). When a handler
 * throws, that event and the later events of the same connection in the batch are retried, in
 * order; other connections go on. After the queue's `maxReceiveCount` the event moves to the
 * dead-letter queue, and an alarm fires.
 *
 * ## Idempotency
 * SQS delivers at least once, and a retry after a partial failure re-runs a handler. The default
 * handlers are idempotent through conditional writes: an event that is not newer than the stored
 * state changes nothing, and a redelivery of the stored event answers `reason: 'same-event'`. Do
 * not skip your own side effects on `!outcome.applied`: when your code throws after the registry
 * write, the retry finds the write done and would skip them for good. A handler with another side
 * effect (an email, a payment, a call to your API) gets exactly-once in effect from Powertools
 * Idempotency keyed on `context.eventId`, which is stable across redeliveries. It needs a DynamoDB
 * table of its own (partition key `id`, TTL attribute `expiration`), which you add to the stack and
 * pass as `IDEMPOTENCY_TABLE_NAME`:
 *
 * ```ts
 * import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
 * import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
 *
 * const persistenceStore = new DynamoDBPersistenceLayer({ tableName: process.env.IDEMPOTENCY_TABLE_NAME! });
 * const idempotency = new IdempotencyConfig({ eventKeyJmesPath: 'eventId' });
 * const sendWelcomeEmail = makeIdempotent(
 *   async (input: { eventId: string; email: string }) => mailer.send(input.email, 'Welcome!'),
 *   { persistenceStore, config: idempotency },
 * );
 *
 * export const connectionCreated: EventHandler<RealtimeEvent<'connection.created'>> = async (event, context) => {
 *   await context.connections.apply(event, context); // not a gate: a retry must still send
 *   // Lets an in-progress record expire with the invocation if it times out mid-send.
 *   if (context.lambdaContext) idempotency.registerLambdaContext(context.lambdaContext);
 *   await sendWelcomeEmail({ eventId: context.eventId, email: await emailOf(event.data.clientReferenceId) });
 * };
 * ```
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
