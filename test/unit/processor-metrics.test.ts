import { Metrics } from '@aws-lambda-powertools/metrics';
import { BatchMetrics, eventTypeDimension } from '../../lambda/processor/metrics.ts';
import { EVENT_TYPE_DIMENSION, PROCESSOR_METRICS } from '../../lambda/shared/metrics.ts';
import { type CapturedOutput, captureStdout } from '../fixtures/output.ts';

describe('the eventType dimension', () => {
  it.each([
    ['connection.created', 'connection.created'],
    ['of.websocket.event.received', 'of.websocket.event.received'],
    ['realtime.chat_typing.updated', 'realtime.chat_typing.updated'],
    ['realtime.Chat Typing!', 'unknown'],
    [`realtime.${'x'.repeat(80)}`, 'unknown'],
    // At most 64 characters keep their name: each distinct value is a billed CloudWatch metric.
    [`realtime.${'x'.repeat(55)}`, `realtime.${'x'.repeat(55)}`],
    [`realtime.${'x'.repeat(56)}`, 'unknown'],
    // A family and up to three more dot-separated parts, each of lower-case letters, digits, `_`.
    ['realtime.messages', 'realtime.messages'],
    ['realtime.a.b.c.d', 'realtime.a.b.c.d'],
    ['realtime.a.b.c.d.e', 'unknown'],
    ['realtime.Bad.realtime.ok', 'unknown'],
    ['realtime.ok.Bad', 'unknown'],
    ['payout.created', 'unknown'],
    ['anything-at-all', 'unknown'],
    [undefined, 'unparseable'],
  ])('of %s is %s', (type, dimension) => {
    expect(eventTypeDimension(type)).toBe(dimension);
  });
});

describe('batch metrics', () => {
  let output: CapturedOutput;
  beforeEach(() => {
    output = captureStdout();
  });
  afterEach(() => output.restore());

  it('publishes processed, failed and lag with one eventType dimension per line', () => {
    // GIVEN a batch with outcomes of two types and an unknown one
    const batch = new BatchMetrics();
    batch.processed('connection.created', 1500);
    batch.processed('connection.created', 250);
    batch.failed('connection.created');
    batch.failed('rules.updated');
    batch.processed('brand.new.type', 10);
    expect(batch.failedCount).toBe(2);
    // WHEN it is published
    batch.publish(new Metrics({ namespace: 'OFAuthWebhooks', serviceName: 'ofauth-processor' }));
    // THEN each type is one EMF line in the namespace with its counts and lags
    const lines = output.metrics();
    expect(lines).toHaveLength(4);
    const byType = Object.fromEntries(
      lines.filter((line) => EVENT_TYPE_DIMENSION in line).map((line) => [line[EVENT_TYPE_DIMENSION], line]),
    );
    // AND the batch's failures are one more line without the eventType dimension, for the alarm
    const total = lines.find((line) => !(EVENT_TYPE_DIMENSION in line));
    expect(total).toMatchObject({ service: 'ofauth-processor', [PROCESSOR_METRICS.failures]: 2 });
    expect(
      (total?._aws as { CloudWatchMetrics: { Dimensions: unknown }[] } | undefined)?.CloudWatchMetrics[0]
        ?.Dimensions,
    ).toEqual([['service']]);
    expect(byType['connection.created']).toMatchObject({
      service: 'ofauth-processor',
      [PROCESSOR_METRICS.processed]: 2,
      [PROCESSOR_METRICS.failed]: 1,
      [PROCESSOR_METRICS.lag]: [1500, 250],
    });
    expect(byType['rules.updated']).toMatchObject({
      [PROCESSOR_METRICS.processed]: 0,
      [PROCESSOR_METRICS.failed]: 1,
    });
    expect(byType['rules.updated']).not.toHaveProperty(PROCESSOR_METRICS.lag);
    expect(byType.unknown).toMatchObject({ [PROCESSOR_METRICS.processed]: 1, [PROCESSOR_METRICS.lag]: 10 });
    const emf = byType['connection.created']?._aws as { CloudWatchMetrics: unknown[] } | undefined;
    const definition = emf?.CloudWatchMetrics[0];
    expect(definition).toEqual({
      Namespace: 'OFAuthWebhooks',
      Dimensions: [['service', EVENT_TYPE_DIMENSION]],
      Metrics: expect.arrayContaining([
        { Name: PROCESSOR_METRICS.processed, Unit: 'Count' },
        { Name: PROCESSOR_METRICS.failed, Unit: 'Count' },
        { Name: PROCESSOR_METRICS.lag, Unit: 'Milliseconds' },
      ]),
    });
  });

  it('publishes nothing for an empty batch, and nothing twice', () => {
    const metrics = new Metrics({ namespace: 'OFAuthWebhooks', serviceName: 'ofauth-processor' });
    const batch = new BatchMetrics();
    batch.publish(metrics);
    batch.processed('rules.updated', 1);
    batch.publish(metrics);
    batch.publish(metrics);
    expect(output.metrics()).toHaveLength(1);
  });
});
