/**
 * This app's processor: the handler file the repository's own stack deploys (`bin/` passes it as
 * `processor.entry`). It is written exactly as a team that installed the package writes its own:
 * it imports only from `ofauth-webhook-receiver/processor`, registers its handlers over the
 * defaults, and exports the Lambda handler.
 *
 * To add business logic: change the file of a type registered below, or add a file for another
 * type (one per event type) and one line here. The map is typed: a handler registered under a key
 * receives the event typed for that key, and the compiler rejects a handler of another type.
 *
 * ## Ordering and retries
 * Events of one connection arrive in order (SQS FIFO, group = connection id). When a handler
 * throws, that event and the later events of the same connection in the batch are retried, in
 * order; other connections go on. After the queue's `maxReceiveCount` the event moves to the
 * dead-letter queue, and an alarm fires.
 *
 * ## Idempotency
 * SQS delivers at least once, and a retry after a partial failure re-runs a handler. The default
 * handlers are idempotent through conditional writes. Do not skip your own side effects on
 * `!outcome.applied`: when your code throws after the registry write, the retry finds the write
 * done and would skip them for good. Key a side effect (an email, a payment, a call to your API)
 * on `context.eventId`, stable across redeliveries, with Powertools Idempotency and a table of its
 * own (`lambda/processor/README.md`, "Make a side effect happen once").
 */
import {
  createProcessorHandler,
  defaultHandlers,
  type EventHandlers,
} from 'ofauth-webhook-receiver/processor';
import { connectionCreated } from './connection-created.ts';

/** The defaults, with this app's own handlers over them. */
export const handlers: EventHandlers = {
  ...defaultHandlers,
  'connection.created': connectionCreated,
};

/** The processor Lambda handler (the stores are created on the first invocation). */
export const handler = createProcessorHandler({ handlers });
