import { defaultHandlers, defaultOnUnknownEvent } from '../../lambda/processor/default-handlers/index.ts';
import {
  createRouter,
  type EventHandler,
  type EventHandlers,
  resolveHandler,
} from '../../lambda/processor/router.ts';
import {
  EVENT_DATA_SCHEMAS,
  type KnownEventType,
  type RealtimeEvent,
} from '../../lambda/shared/event-model.ts';
import { exampleEvent, translatedEvent, typedEvent, unknownEvent } from '../fixtures/events.ts';
import { fakeHandlerContext } from '../fixtures/handler-context.ts';

/** A handler map whose every handler records the type it was called for. */
function recordingHandlers(calls: string[]): { handlers: EventHandlers; onUnknown: EventHandler } {
  const recorder =
    <E extends RealtimeEvent>(name: string): EventHandler<E> =>
    () => {
      calls.push(name);
    };
  return {
    handlers: {
      'connection.created': recorder('connection.created'),
      'connection.updated': recorder('connection.updated'),
      'connection.expired': recorder('connection.expired'),
      'connection.disconnected': recorder('connection.disconnected'),
      'rules.updated': recorder('rules.updated'),
      'of.websocket.event.received': recorder('of.websocket.event.received'),
      'realtime.*': recorder('realtime.*'),
      'realtime.chat_typing.updated': recorder('own:realtime.chat_typing.updated'),
    },
    onUnknown: recorder('unknown'),
  };
}

describe('the router', () => {
  it.each(Object.keys(EVENT_DATA_SCHEMAS) as KnownEventType[])(
    'dispatches %s to its own handler',
    async (type) => {
      // GIVEN a map of recording handlers
      const calls: string[] = [];
      const { handlers, onUnknown } = recordingHandlers(calls);
      // WHEN an event of a documented type is routed
      await createRouter(handlers, onUnknown)(typedEvent(exampleEvent(type)), fakeHandlerContext());
      // THEN exactly its handler ran
      expect(calls).toEqual([type]);
    },
  );

  it('dispatches a translated type with a handler of its own to that handler', async () => {
    const calls: string[] = [];
    const { handlers, onUnknown } = recordingHandlers(calls);
    await createRouter(handlers, onUnknown)(
      typedEvent(exampleEvent('realtime.chat_typing.updated')),
      fakeHandlerContext(),
    );
    expect(calls).toEqual(['own:realtime.chat_typing.updated']);
  });

  it('dispatches any other translated type to realtime.*', async () => {
    const calls: string[] = [];
    const { handlers, onUnknown } = recordingHandlers(calls);
    await createRouter(handlers, onUnknown)(
      typedEvent(translatedEvent('realtime.post_published.created')),
      fakeHandlerContext(),
    );
    expect(calls).toEqual(['realtime.*']);
  });

  it.each(['payout.created', 'realtime.', 'constructor', 'toString'])(
    'dispatches the unknown type "%s" to onUnknownEvent',
    async (type) => {
      const calls: string[] = [];
      const { handlers, onUnknown } = recordingHandlers(calls);
      await createRouter(handlers, onUnknown)(typedEvent(unknownEvent(type)), fakeHandlerContext());
      expect(calls).toEqual(['unknown']);
    },
  );

  it('fails when the handler fails, with the handler error', async () => {
    const failing: EventHandlers = {
      ...defaultHandlers,
      'rules.updated': () => {
        throw new Error('downstream unavailable');
      },
    };
    await expect(
      createRouter(failing, defaultOnUnknownEvent)(
        typedEvent(exampleEvent('rules.updated')),
        fakeHandlerContext(),
      ),
    ).rejects.toThrow('downstream unavailable');
  });

  it('resolves every documented type of the default map to a handler', () => {
    for (const type of Object.keys(defaultHandlers)) {
      expect(resolveHandler(defaultHandlers, defaultOnUnknownEvent, type)).toBe(
        defaultHandlers[type as keyof EventHandlers],
      );
    }
  });

  it('types each handler with its event (checked by tsc --noEmit)', () => {
    const onCreated: EventHandler<RealtimeEvent<'connection.created'>> = (event) => {
      // The compiler knows the shape of a connection event's data.
      event.data.connection.permissions?.includes('profile:read');
    };
    const onRules: EventHandler<RealtimeEvent<'rules.updated'>> = (event) => {
      event.data.revision?.toString();
    };
    const handlers: EventHandlers = { ...defaultHandlers, 'connection.created': onCreated };
    // @ts-expect-error a rules.updated handler cannot be registered for connection.created
    const wrong: EventHandlers = { ...defaultHandlers, 'connection.created': onRules };
    // @ts-expect-error every documented type needs a handler
    const missing: EventHandlers = { 'connection.created': onCreated };
    expect([handlers, wrong, missing]).toHaveLength(3);
  });
});
