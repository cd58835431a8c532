/**
 * `connection.expired`: the connection expired or was invalidated through the API. It can be
 * reconnected; a later `connection.updated` brings it back to `active`.
 */
import type { RealtimeEvent } from '../../shared/event-model.ts';
import { skippedWriteMessage } from '../connections-table.ts';
import type { EventHandler } from '../router.ts';

/** Marks the connection `expired` in the registry unless a newer event or a tombstone is stored. */
export const connectionExpired: EventHandler<RealtimeEvent<'connection.expired'>> = async (
  event,
  context,
) => {
  const outcome = await context.connections.apply(event, context);
  if (!outcome.applied) context.logger.info(skippedWriteMessage(outcome.reason), { reason: outcome.reason });
};
