/**
 * Beta translated `realtime.*` events (e.g. `realtime.chat_typing.updated`) without a handler of
 * their own. To handle one type, add a file beside this one and register it under its exact type
 * in `index.ts`.
 */
import type { RealtimeEvent, TranslatedEventType } from '../../shared/event-model.ts';
import type { EventHandler } from '../router.ts';

/** Logs the translated event; replace with your own handling. */
export const realtimeEvent: EventHandler<RealtimeEvent<TranslatedEventType>> = (event, context) => {
  context.logger.info('translated event received', { environment: event.data.environment });
};
