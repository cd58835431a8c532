/**
 * `connection.created`: a user connected an OnlyFans account through OFAuth Link. By default the
 * connection is recorded in the registry. Your onboarding goes in a handler of your own that calls
 * this one first (see `bin/handlers/connection-created.ts`).
 */
import type { RealtimeEvent } from '../../shared/event-model.ts';
import { skippedWriteMessage } from '../connections-table.ts';
import type { EventHandler } from '../router.ts';

/** Records the new connection (status, clientReferenceId, permissions, userData…). */
export const connectionCreated: EventHandler<RealtimeEvent<'connection.created'>> = async (
  event,
  context,
) => {
  const outcome = await context.connections.apply(event, context);
  if (!outcome.applied) context.logger.info(skippedWriteMessage(outcome.reason), { reason: outcome.reason });
};
