/**
 * Beta translated `realtime.*` events (e.g. `realtime.chat_typing.updated`) without a handler of
 * their own. To handle one type, register a handler of your own under its exact type in your
 * handler file (e.g. `bin/handlers/index.ts`).
 */
import type { RealtimeEvent, TranslatedEventType } from '../../shared/event-model.ts';
import type { EventHandler } from '../router.ts';

/** Logs the translated event at `DEBUG`; replace with your own handling. */
export const realtimeEvent: EventHandler<RealtimeEvent<TranslatedEventType>> = (event, context) => {
  context.logger.debug('translated event received', { environment: event.data.environment });
};
