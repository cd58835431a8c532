/**
 * Beta `of.websocket.event.received`: an upstream OnlyFans websocket message, relayed. Its nested
 * shapes still evolve: branch on `payloadKey` and parse `data.json` defensively (`rawText` or
 * `rawBase64` keeps the original frame).
 */
import type { RealtimeEvent } from '../../shared/event-model.ts';
import type { EventHandler } from '../router.ts';

/** Logs the message's shape keys at `DEBUG`; replace with your own handling. */
export const websocketEventReceived: EventHandler<RealtimeEvent<'of.websocket.event.received'>> = (
  event,
  context,
) => {
  const { payloadKey, shapeSubtype, messageType, environment, truncated } = event.data;
  context.logger.debug('websocket event received', {
    payloadKey,
    shapeSubtype,
    messageType,
    environment,
    truncated,
  });
};
