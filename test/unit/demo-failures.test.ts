import { defaultHandlers } from '../../lambda/processor/default-handlers/index.ts';
import type { EventHandler, EventHandlers, HandlerContext } from '../../lambda/processor/router.ts';
import type { RealtimeEvent } from '../../lambda/shared/event-model.ts';
import { DEMO_FAILURE_PREFIX, DemoFailureError, withDemoFailures } from '../../local/demo-failures.ts';

/** A handler map whose every handler records the event ids it ran for. */
function recordingHandlers(ran: string[]): EventHandlers {
  const record: EventHandler = async (_event, context) => {
    ran.push(context.eventId);
  };
  return Object.fromEntries(
    Object.keys(defaultHandlers).map((type) => [type, record]),
  ) as unknown as EventHandlers;
}

const context = (eventId: string) => ({ eventId }) as HandlerContext;
const event = (type: string, connectionId?: string) =>
  ({ type, ...(connectionId && { connectionId }), data: {} }) as unknown as RealtimeEvent;

describe('withDemoFailures (the local pipeline’s failures on purpose)', () => {
  it('fails a demo connection’s event on its first runs, then runs its handler', async () => {
    // GIVEN the handlers wrapped for 2 failures
    const ran: string[] = [];
    const handlers = withDemoFailures(recordingHandlers(ran), { failures: 2 });
    const handle = handlers['connection.updated'] as EventHandler;
    const demo = event('connection.updated', `${DEMO_FAILURE_PREFIX}1`);
    // WHEN the same event runs three times
    // THEN the first two fail, saying why, and the third reaches the handler
    await expect(handle(demo, context('e1'))).rejects.toThrow(DemoFailureError);
    await expect(handle(demo, context('e1'))).rejects.toThrow(
      `failing on purpose (local pipeline only): a connection id starting with ${DEMO_FAILURE_PREFIX} fails its first 2 runs; this was run 2`,
    );
    await handle(demo, context('e1'));
    expect(ran).toEqual(['e1']);
    // AND another event of the same connection has failures of its own
    await expect(handle(demo, context('e2'))).rejects.toThrow(DemoFailureError);
  });

  it('leaves every other connection, and events without one, alone', async () => {
    const ran: string[] = [];
    const handlers = withDemoFailures(recordingHandlers(ran), { failures: 5 });
    await (handlers['connection.created'] as EventHandler)(
      event('connection.created', 'conn_demo_fail_not_a_prefix'),
      context('e1'),
    );
    await (handlers['rules.updated'] as EventHandler)(event('rules.updated'), context('e2'));
    expect(ran).toEqual(['e1', 'e2']);
  });
});
