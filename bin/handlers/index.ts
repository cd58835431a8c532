/**
 * This app's processor: the handler file the repository's own stack deploys (`bin/` passes it as
 * `processor.entry`). It is written exactly as a team that installed the package writes its own:
 * it imports only from `ofauth-webhook-receiver/processor`, registers its handlers over the
 * defaults, and exports the Lambda handler.
 *
 * To add business logic: change the file of a type registered below, or add a file for another
 * type (one per event type) and one line here. The map is typed: a handler registered under a key
 * receives the event typed for that key, and the compiler rejects a handler of another type. The
 * guide, with ordering, retries and making side effects happen once, is the repository README's
 * "Extend: add business logic" section.
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
