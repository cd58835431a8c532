import { defaultHandlers } from '../../lambda/processor/default-handlers/index.ts';
import type { EventHandler } from '../../lambda/processor/router.ts';
import type { LocalPipeline } from '../../local/pipeline.ts';
import { connectionEvent } from '../fixtures/events.ts';
import {
  connectionItem,
  deliver,
  eventually,
  receiveDeadLetters,
  startTestPipeline,
  uniqueConnectionId,
} from './pipeline-support.ts';

const MAX_RECEIVE_COUNT = 2;

describe('the local pipeline when a handler fails', () => {
  let pipeline: LocalPipeline;
  /** Attempts per connection id. */
  const attempts = new Map<string, number>();
  let flaky = '';
  let poison = '';

  beforeAll(async () => {
    // GIVEN a `connection.updated` handler that fails once for one connection and always for
    // another, a 1-second visibility timeout and a small maxReceiveCount
    flaky = uniqueConnectionId('flaky');
    poison = uniqueConnectionId('poison');
    const updated: EventHandler = async (event, context) => {
      const id = event.connectionId ?? '';
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      if (id === poison) throw new Error('this handler always fails');
      if (id === flaky && attempt === 1) throw new Error('this handler fails once');
      await (defaultHandlers['connection.updated'] as EventHandler)(event, context);
    };
    pipeline = await startTestPipeline({
      maxReceiveCount: MAX_RECEIVE_COUNT,
      visibilityTimeoutSeconds: 1,
      processor: (module) => module.createProcessorHandler({ handlers: { 'connection.updated': updated } }),
    });
  });

  afterAll(async () => {
    await pipeline?.stop();
  });

  it('retries a message whose handler failed once, after the visibility timeout', async () => {
    // WHEN an event arrives for the flaky connection
    const event = connectionEvent('connection.updated', {
      connectionId: flaky,
      timestamp: new Date().toISOString(),
      permissions: ['profile:read'],
    });
    expect((await deliver(pipeline, event)).status).toBe(202);
    // THEN the second attempt processes it
    const item = await eventually(
      () => connectionItem(pipeline, flaky),
      15_000,
      'the retried event processed',
    );
    expect(item).toMatchObject({ connectionId: flaky, permissions: ['profile:read'] });
    expect(attempts.get(flaky)).toBe(2);
  }, 30_000);

  it('fails a poison message over to the dead-letter queue after maxReceiveCount receives', async () => {
    // WHEN an event arrives for the connection whose handler always fails
    const event = connectionEvent('connection.updated', {
      connectionId: poison,
      timestamp: new Date().toISOString(),
      permissions: ['profile:read'],
    });
    const sent = await deliver(pipeline, event);
    expect(sent.status).toBe(202);
    // THEN after maxReceiveCount attempts the exact delivery body is on the dead-letter queue
    const dead = await eventually(
      async () => {
        const received = await receiveDeadLetters(pipeline);
        return received.length ? received : undefined;
      },
      20_000,
      'the poison message on the dead-letter queue',
    );
    expect(dead.map((message) => message.Body)).toEqual([sent.body]);
    expect(dead[0]?.MessageAttributes?.eventType?.StringValue).toBe('connection.updated');
    expect(attempts.get(poison)).toBe(MAX_RECEIVE_COUNT);
    expect(await connectionItem(pipeline, poison)).toBeUndefined();
  }, 30_000);
});
