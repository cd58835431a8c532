/**
 * Types this receiver does not know yet. OFAuth adds types over time; the default acknowledges
 * them (so they never block their connection's queue) and logs them for a later look.
 */
import type { UnknownEventHandler } from '../router.ts';

/** Logs the unknown type and acknowledges the event. */
export const onUnknownEvent: UnknownEventHandler = (event, context) => {
  context.logger.warn('unknown event type acknowledged', { unknownEventType: event.type });
};
