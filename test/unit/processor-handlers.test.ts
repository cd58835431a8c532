import type { WriteOutcome } from '../../lambda/processor/connections-table.ts';
import { recordConnection } from '../../lambda/processor/default-handlers/connection-events.ts';
import { defaultHandlers } from '../../lambda/processor/default-handlers/index.ts';
import { onUnknownEvent } from '../../lambda/processor/default-handlers/on-unknown-event.ts';
import { realtimeEvent } from '../../lambda/processor/default-handlers/realtime-event.ts';
import { rulesUpdated } from '../../lambda/processor/default-handlers/rules-updated.ts';
import { websocketEventReceived } from '../../lambda/processor/default-handlers/websocket-event-received.ts';
import type { EventHandler } from '../../lambda/processor/router.ts';
import type { RealtimeEvent } from '../../lambda/shared/event-model.ts';
import { type ExampleEventType, exampleEvent, typedEvent, unknownEvent } from '../fixtures/events.ts';
import { FakeStore, fakeHandlerContext } from '../fixtures/handler-context.ts';
import { type CapturedOutput, captureStdout } from '../fixtures/output.ts';

let output: CapturedOutput;
beforeEach(() => {
  output = captureStdout();
});
afterEach(() => output.restore());

const connectionHandlers = [
  ['connection.created', defaultHandlers['connection.created']],
  ['connection.updated', defaultHandlers['connection.updated']],
  ['connection.expired', defaultHandlers['connection.expired']],
  ['connection.disconnected', defaultHandlers['connection.disconnected']],
] as const;

describe('the default connection handlers', () => {
  it.each(connectionHandlers)(
    '%s writes the event to the registry at its position',
    async (type, handler) => {
      // GIVEN a context over a fake registry
      const context = fakeHandlerContext();
      const event = typedEvent(exampleEvent(type));
      // WHEN the handler runs
      await (handler as EventHandler<RealtimeEvent>)(event, context);
      // THEN the registry got the event with the event id, time and receipt time
      expect(context.fakeConnections.writes).toEqual([
        {
          event,
          position: {
            eventId: context.eventId,
            eventTime: context.eventTime,
            receivedAt: context.receivedAt,
          },
        },
      ]);
      expect(context.fakeRules.writes).toEqual([]);
      expect(output.logs('stale event ignored')).toEqual([]);
    },
  );

  it.each(connectionHandlers)(
    '%s logs a redelivery of the stored event as already applied',
    async (type, handler) => {
      // GIVEN a registry whose stored event is this very one (a retry after the write succeeded)
      const context = fakeHandlerContext({
        connections: new FakeStore({ applied: false, reason: 'same-event' }),
      });
      // WHEN the handler runs
      await (handler as EventHandler<RealtimeEvent>)(typedEvent(exampleEvent(type)), context);
      // THEN it says so, and does not call the redelivery stale
      expect(output.logs('event already applied')).toEqual([
        expect.objectContaining({ reason: 'same-event' }),
      ]);
      expect(output.logs('stale event ignored')).toEqual([]);
    },
  );

  it.each(connectionHandlers)('%s logs a stale event and succeeds', async (type, handler) => {
    // GIVEN a registry that holds a newer event
    const context = fakeHandlerContext({
      connections: new FakeStore({ applied: false, reason: 'not-newer' }),
    });
    // WHEN the handler runs
    await (handler as EventHandler<RealtimeEvent>)(typedEvent(exampleEvent(type)), context);
    // THEN it logs why and does not throw
    expect(output.logs('stale event ignored')).toEqual([expect.objectContaining({ reason: 'not-newer' })]);
  });
});

describe('recordConnection, the default of every connection event type', () => {
  it.each<[string, WriteOutcome]>([
    ['applied', { applied: true }],
    ['same-event', { applied: false, reason: 'same-event' }],
    ['not-newer', { applied: false, reason: 'not-newer' }],
    ['tombstone', { applied: false, reason: 'tombstone' }],
  ])(
    'hands a handler of your own the registry outcome (%s), logging a skipped write as the default does',
    async (_, stored) => {
      // GIVEN a registry that answers this outcome
      const context = fakeHandlerContext({ connections: new FakeStore(stored) });
      const event = typedEvent<'connection.created'>(exampleEvent('connection.created'));
      // WHEN a handler of your own records the connection through it
      const outcome = await recordConnection(event, context);
      // THEN it gets the registry's outcome to decide on its own side effect, after the same write
      // and log line as the default handler's
      expect(outcome).toEqual(stored);
      expect(context.fakeConnections.writes).toHaveLength(1);
      const logged = output.lines().filter((line) => line.reason !== undefined);
      expect(logged.map((line) => line.reason)).toEqual(stored.applied ? [] : [stored.reason]);
    },
  );
});

describe('the default rules.updated handler', () => {
  it('records the revision in the rules store', async () => {
    const context = fakeHandlerContext();
    await rulesUpdated(typedEvent(exampleEvent('rules.updated')), context);
    expect(context.fakeRules.writes).toHaveLength(1);
    expect(output.logs('dynamic rules revision recorded')).toEqual([
      expect.objectContaining({ revision: '202401151030-a1b2c3' }),
    ]);
  });

  it('logs a stale revision and succeeds', async () => {
    const context = fakeHandlerContext({ rules: new FakeStore({ applied: false, reason: 'not-newer' }) });
    await rulesUpdated(typedEvent(exampleEvent('rules.updated')), context);
    expect(output.logs('stale event ignored')).toHaveLength(1);
  });
});

describe('the default beta handlers', () => {
  it('logs a websocket event with its payloadKey and shapeSubtype', async () => {
    const context = fakeHandlerContext();
    await websocketEventReceived(typedEvent(exampleEvent('of.websocket.event.received')), context);
    expect(output.logs('websocket event received')).toEqual([
      expect.objectContaining({
        payloadKey: 'of.websocket.event.received|toasts',
        shapeSubtype: 'websocket.structured.toasts',
        messageType: 'text',
        environment: 'live',
      }),
    ]);
    expect(context.fakeConnections.writes).toEqual([]);
  });

  it('logs a translated realtime.* event', async () => {
    const context = fakeHandlerContext();
    await realtimeEvent(
      typedEvent(exampleEvent('realtime.chat_typing.updated' as ExampleEventType)),
      context,
    );
    expect(output.logs('translated event received')).toEqual([
      expect.objectContaining({ environment: 'live' }),
    ]);
    expect(context.fakeConnections.writes).toEqual([]);
  });
});

describe('the default onUnknownEvent handler', () => {
  it('logs the type and acknowledges the event', async () => {
    const context = fakeHandlerContext();
    await onUnknownEvent(typedEvent(unknownEvent('payout.created')), context);
    expect(output.logs('unknown event type acknowledged')).toEqual([
      expect.objectContaining({ unknownEventType: 'payout.created', level: 'WARN' }),
    ]);
  });
});
