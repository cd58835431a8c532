/**
 * The contract end to end, through the local pipeline (HTTP gateway → verifier → fauxqs FIFO →
 * poller → processor → DynamoDB Local): a beta event without a connection is handled once, and a
 * poison event goes to the dead-letter queue on its first receive without holding back the
 * events of its connection sent after it.
 */
import { defaultHandlers } from '../../lambda/processor/default-handlers/index.ts';
import type { EventHandler } from '../../lambda/processor/router.ts';
import type { RealtimeEvent } from '../../lambda/shared/event-model.ts';
import type { LocalPipeline } from '../../local/pipeline.ts';
import { connectionEvent, fixtureEvent } from '../fixtures/events.ts';
import {
  connectionItem,
  deliver,
  eventually,
  receiveDeadLetters,
  startTestPipeline,
  uniqueConnectionId,
} from './pipeline-support.ts';

/**
 * Far longer than the test waits: a message that failed instead of leaving at once would not come
 * back, let alone reach the dead-letter queue, before the test gives up.
 */
const VISIBILITY_TIMEOUT_SECONDS = 60;
const WITHIN_ONE_POLL_MS = 15_000;

describe('the local pipeline and the OFAuth contract', () => {
  let pipeline: LocalPipeline;
  const websocketEvents: RealtimeEvent<'of.websocket.event.received'>[] = [];

  beforeAll(async () => {
    // GIVEN the local pipeline with a long visibility timeout, recording the beta events handled
    const websocket: EventHandler<RealtimeEvent<'of.websocket.event.received'>> = async (event, context) => {
      websocketEvents.push(event);
      await defaultHandlers['of.websocket.event.received'](event, context);
    };
    pipeline = await startTestPipeline({
      visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
      processor: (module) =>
        module.createProcessorHandler({ handlers: { 'of.websocket.event.received': websocket } }),
    });
  });

  afterAll(async () => {
    await pipeline?.stop();
  });

  it('handles a beta websocket event without a connection once: no retry, no dead letter', async () => {
    // WHEN the beta example without data.connection is delivered through Svix
    const example = fixtureEvent('beta/of.websocket.event.received.no-connection.json');
    const sent = await deliver(pipeline, example, { scheme: 'svix' });
    expect(sent.status).toBe(202);
    // THEN its handler runs, without a connection
    const handled = await eventually(
      () => websocketEvents.find((event) => event.data.json !== undefined) ?? undefined,
      WITHIN_ONE_POLL_MS,
      'the beta event handled',
    );
    expect(handled.connectionId).toBeUndefined();
    expect(handled.data.connection).toBeUndefined();
    // AND it is neither retried nor kept on the dead-letter queue
    await new Promise((wake) => setTimeout(wake, 2_000));
    expect(websocketEvents).toHaveLength(1);
    expect(await receiveDeadLetters(pipeline)).toEqual([]);
  }, 60_000);

  it('moves a schema-invalid event to the dead-letter queue at once and processes the next event of its connection', async () => {
    // GIVEN a connection.updated whose data fails its schema, then a valid one of the same
    // connection (the same FIFO message group)
    const connectionId = uniqueConnectionId('poison');
    const poison = {
      type: 'connection.updated',
      timestamp: new Date(Date.now() - 1_000).toISOString(),
      data: { connection: { id: connectionId, permissions: 'all' } },
    };
    const valid = connectionEvent('connection.updated', {
      connectionId,
      timestamp: new Date().toISOString(),
      permissions: ['profile:read'],
    });
    // WHEN both are delivered, in that order
    const poisonSent = await deliver(pipeline, poison);
    const validSent = await deliver(pipeline, valid);
    expect([poisonSent.status, validSent.status]).toEqual([202, 202]);
    // THEN the valid event is processed well before a failed message could even come back
    const item = await eventually(
      () => connectionItem(pipeline, connectionId),
      WITHIN_ONE_POLL_MS,
      'the valid event of the poisoned connection processed',
    );
    expect(item).toMatchObject({ permissions: ['profile:read'], lastEventId: validSent.json.eventId });
    // AND the poison event is on the dead-letter queue, verbatim, with its attributes and reason
    const [dead, ...others] = await eventually(
      async () => {
        const messages = await receiveDeadLetters(pipeline);
        return messages.length ? messages : undefined;
      },
      WITHIN_ONE_POLL_MS,
      'the poison event on the dead-letter queue',
    );
    expect(others).toEqual([]);
    expect(dead?.Body).toBe(poisonSent.body);
    const attribute = (name: string) => dead?.MessageAttributes?.[name]?.StringValue;
    expect(attribute('eventKey')).toBe(poisonSent.json.eventId);
    expect(attribute('eventType')).toBe('connection.updated');
    expect(attribute('rejectionReason')).toBe('invalid_data');
    expect(attribute('rejectionDetail')).toMatch(/connection\.permissions/);
  }, 60_000);
});
