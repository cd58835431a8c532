/**
 * `connection.updated`: a connection's details changed, e.g. its permissions after a reconnection.
 */
import type { RealtimeEvent } from '../../shared/event-model.ts';
import { skippedWriteMessage } from '../connections-table.ts';
import type { EventHandler } from '../router.ts';

/** Updates the connection in the registry unless a newer event or a tombstone is stored. */
export const connectionUpdated: EventHandler<RealtimeEvent<'connection.updated'>> = async (
  event,
  context,
) => {
  const outcome = await context.connections.apply(event, context);
  if (!outcome.applied) context.logger.info(skippedWriteMessage(outcome.reason), { reason: outcome.reason });
};
