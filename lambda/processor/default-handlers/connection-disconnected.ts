/**
 * `connection.disconnected`: the connection was permanently removed through the delete API and
 * cannot be reconnected. Stop using it in a handler of your own that calls this one first (e.g.
 * cancel your scheduled jobs for it).
 */
import type { RealtimeEvent } from '../../shared/event-model.ts';
import { skippedWriteMessage } from '../connections-table.ts';
import type { EventHandler } from '../router.ts';

/** Leaves a tombstone in the registry that no later event of this connection revives. */
export const connectionDisconnected: EventHandler<RealtimeEvent<'connection.disconnected'>> = async (
  event,
  context,
) => {
  const outcome = await context.connections.apply(event, context);
  if (!outcome.applied) context.logger.info(skippedWriteMessage(outcome.reason), { reason: outcome.reason });
};
