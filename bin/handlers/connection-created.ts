/**
 * `connection.created`: a user connected an OnlyFans account through OFAuth Link. The registry
 * write is what the default handler does (`recordConnection`); your onboarding goes after it.
 */
import { type EventHandler, type RealtimeEvent, recordConnection } from 'ofauth-webhook-receiver/processor';

/** Records the connection, then runs this app's onboarding for it. */
export const connectionCreated: EventHandler<RealtimeEvent<'connection.created'>> = async (
  event,
  context,
) => {
  const outcome = await recordConnection(event, context);
  // Skip only events that newer state overtook. 'same-event' is a retry of this very event: its
  // registry write succeeded before your code below threw, so your code must run again now.
  if (!outcome.applied && outcome.reason !== 'same-event') return;
  // Your onboarding goes here, idempotent on context.eventId, e.g.
  // await onboardUser({ eventId: context.eventId, user: event.data.clientReferenceId });
};
