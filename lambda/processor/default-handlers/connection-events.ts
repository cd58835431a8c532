/**
 * The one default of the four connection event types: apply the event to the connection registry,
 * which keeps the newest state of each connection by event time.
 * - `connection.created`: a user connected an OnlyFans account through OFAuth Link; the connection
 *   is recorded (status, clientReferenceId, permissions, userData…).
 * - `connection.updated`: its details changed, e.g. its permissions after a reconnection.
 * - `connection.expired`: it expired or was invalidated through the API; it can be reconnected, and
 *   a later `connection.updated` brings it back to `active`.
 * - `connection.disconnected`: it was permanently removed through the delete API; the registry
 *   keeps a tombstone that no later event of the connection revives.
 *
 * A handler of your own for one of these types calls {@link recordConnection} first and decides on
 * its own side effects by the outcome (the worked example: `bin/handlers/connection-created.ts`).
 */
import type { ConnectionEventType, RealtimeEvent } from '../../shared/event-model.ts';
import { skippedWriteMessage, type WriteOutcome } from '../connections-table.ts';
import type { EventHandler, HandlerContext } from '../router.ts';

/**
 * Applies a connection event to the registry at the event's position, logs a write the registry
 * skipped and returns the registry's outcome.
 *
 * @example
 * const outcome = await recordConnection(event, context);
 * // Skip only what newer state overtook: 'same-event' is a retry after your own code threw.
 * if (!outcome.applied && outcome.reason !== 'same-event') return;
 */
export async function recordConnection(
  event: RealtimeEvent<ConnectionEventType>,
  context: HandlerContext,
): Promise<WriteOutcome> {
  const outcome = await context.connections.apply(event, context);
  // `event already applied` / `stale event ignored`
  if (!outcome.applied) context.logger.info(skippedWriteMessage(outcome.reason), { reason: outcome.reason });
  return outcome;
}

/** The default handler of every connection event type: {@link recordConnection}, nothing more. */
export const connectionEventHandler: EventHandler<RealtimeEvent<ConnectionEventType>> = async (
  event,
  context,
) => {
  await recordConnection(event, context);
};
