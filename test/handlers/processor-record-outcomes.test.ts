import type { SQSEvent } from 'aws-lambda';
import type { ProcessorHandlerOptions } from '../../lambda/processor/handler.ts';
import { PoisonEventError } from '../../lambda/processor/kit.ts';
import { EVENT_TYPE_DIMENSION, PROCESSOR_METRICS } from '../../lambda/shared/metrics.ts';
import { MESSAGE_ATTRIBUTES } from '../../lambda/shared/queue-message.ts';
import { connectionEvent } from '../fixtures/events.ts';
import { RecordingDeadLetterQueue } from '../fixtures/handler-context.ts';
import { type CapturedOutput, captureStdout } from '../fixtures/output.ts';
import { fakeStoreProcessor, metricTotal } from '../fixtures/processor.ts';
import { lambdaContext, sqsEvent, sqsRecord } from '../fixtures/sqs-events.ts';

let output: CapturedOutput;
beforeEach(() => {
  output = captureStdout();
});
afterEach(() => output.restore());

function processorUnderTest(options: ProcessorHandlerOptions = {}) {
  const handle = fakeStoreProcessor(options);
  return (event: SQSEvent) => handle(event, lambdaContext());
}

describe('the outcome of a record', () => {
  it('takes the event type of a body that is not JSON from its eventType attribute', async () => {
    // GIVEN a message whose body is not JSON but whose attributes name its type
    const deadLetterQueue = new RecordingDeadLetterQueue();
    const run = processorUnderTest({ deadLetterQueue });
    const record = sqsRecord({ body: '{"type":"connection.updated"', groupId: 'A', messageId: 'bad' });
    record.messageAttributes[MESSAGE_ATTRIBUTES.eventType] = {
      dataType: 'String',
      stringValue: 'connection.updated',
    };
    // WHEN it is processed
    await run(sqsEvent(record));
    // THEN its rejection is logged under that type
    expect(output.logs('message moved to the dead-letter queue')).toEqual([
      expect.objectContaining({ messageId: 'bad', eventType: 'connection.updated', reason: 'invalid_json' }),
    ]);
  });

  it('names no dead-letter error when there is no dead-letter queue to send to', async () => {
    // GIVEN no dead-letter queue
    const run = processorUnderTest();
    // WHEN a body that is not JSON is processed
    const response = await run(sqsEvent({ body: 'not json', groupId: 'A', messageId: 'bad' }));
    // THEN it fails, and its line says why without blaming a send that never happened
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'bad' }]);
    const [line] = output.logs('message not processable');
    expect(line).toMatchObject({ messageId: 'bad', reason: 'invalid_json', error: 'body is not valid JSON' });
    expect(line).not.toHaveProperty('deadLetterError');
  });

  it('counts a message whose dead-letter send failed as a failed event, for the alarm', async () => {
    // GIVEN a dead-letter queue that cannot be reached
    const run = processorUnderTest({ deadLetterQueue: new RecordingDeadLetterQueue(new Error('sqs down')) });
    // WHEN a known type with invalid data is processed
    await run(sqsEvent({ body: '{"type":"connection.updated","data":{"connection":{}}}', messageId: 'bad' }));
    // THEN it is counted as failed (by type and in the alarm's total), not as rejected
    const line = output.metrics().find((entry) => entry[EVENT_TYPE_DIMENSION] === 'connection.updated');
    expect(line).toMatchObject({ [PROCESSOR_METRICS.failed]: 1 });
    expect(line).not.toHaveProperty(PROCESSOR_METRICS.rejected);
    expect(metricTotal(output, PROCESSOR_METRICS.failures)).toBe(1);
    expect(output.logs('batch processed')).toEqual([expect.objectContaining({ failed: 1, rejected: 0 })]);
  });

  it("leaves no record's keys on the lines logged after it", async () => {
    // GIVEN a batch of one connection event
    const run = processorUnderTest();
    const record = sqsRecord({
      body: connectionEvent('connection.updated', { connectionId: 'A' }),
      eventKey: 'key-A',
    });
    // WHEN it is processed
    await run(sqsEvent(record));
    // THEN its line carries its keys, and the batch's line after it none of them
    expect(output.logs('event processed')).toEqual([
      expect.objectContaining({ eventId: 'key-A', eventType: 'connection.updated', connectionId: 'A' }),
    ]);
    const [batch] = output.logs('batch processed');
    expect(batch).toBeDefined();
    expect(batch).not.toHaveProperty('eventId');
    expect(batch).not.toHaveProperty('eventType');
    expect(batch).not.toHaveProperty('connectionId');
  });

  it('fails a poison event, to be retried, when there is no dead-letter queue to put it on', async () => {
    // GIVEN no dead-letter queue, and a handler that marks its event as poison
    const run = processorUnderTest({
      handlers: {
        'connection.updated': () => {
          throw new PoisonEventError('never', { reason: 'unknown_tenant' });
        },
      },
    });
    // WHEN the event is processed
    const record = sqsRecord({
      body: connectionEvent('connection.updated', { connectionId: 'A' }),
      messageId: 'p',
    });
    const response = await run(sqsEvent(record));
    // THEN it fails as a handler error would (SQS moves it after maxReceiveCount), saying why
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'p' }]);
    expect(output.logs('message not processable')).toEqual([
      expect.objectContaining({ messageId: 'p', reason: 'unknown_tenant', level: 'ERROR' }),
    ]);
    expect(metricTotal(output, PROCESSOR_METRICS.failures)).toBe(1);
  });

  it('fails a poison event, to be retried, when the dead-letter send fails', async () => {
    const deadLetterQueue = new RecordingDeadLetterQueue(new Error('sqs down'));
    const run = processorUnderTest({
      deadLetterQueue,
      handlers: {
        'connection.updated': () => {
          throw new PoisonEventError('never');
        },
      },
    });
    const record = sqsRecord({
      body: connectionEvent('connection.updated', { connectionId: 'A' }),
      messageId: 'p',
    });
    const response = await run(sqsEvent(record));
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'p' }]);
    expect(output.logs('message not processable')).toEqual([
      expect.objectContaining({ reason: 'rejected_by_handler', deadLetterError: 'sqs down' }),
    ]);
  });
});
