/**
 * The processor's publisher (`lambda/processor/event-bus.ts`) against a fake `PutEvents` port:
 * the limits and retries that the recording bus of the integration tests does not reach.
 */
import {
  EventBusPublisher,
  EventNotPublishedError,
  type PutEventsClient,
  type PutEventsEntry,
  type PutEventsResponse,
  publisherFromEnvironment,
} from '../../lambda/processor/event-bus.ts';
import { readQueuedEvent } from '../../lambda/processor/queued-event.ts';
import { connectionEvent } from '../fixtures/events.ts';
import { sqsRecord } from '../fixtures/sqs-events.ts';

/** A PutEvents port that answers from a script and keeps the entries it was sent. */
class ScriptedClient implements PutEventsClient {
  readonly sent: PutEventsEntry[][] = [];
  constructor(private readonly answers: Array<PutEventsResponse | Error>) {}
  async putEvents(entries: readonly PutEventsEntry[]): Promise<PutEventsResponse> {
    this.sent.push([...entries]);
    const answer = this.answers.shift() ?? { FailedEntryCount: 0, Entries: [{ EventId: 'ok' }] };
    if (answer instanceof Error) throw answer;
    return answer;
  }
}

const throttled: PutEventsResponse = {
  FailedEntryCount: 1,
  Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }],
};

function queued(permissions: string[] = ['p1']) {
  return readQueuedEvent(
    sqsRecord({
      body: connectionEvent('connection.updated', { connectionId: 'conn_1', permissions }),
      eventKey: 'k1',
    }),
  );
}

describe('EventBusPublisher', () => {
  it('fails with the last error code after every attempt failed in part', async () => {
    // GIVEN a bus that throttles the entry every time
    const client = new ScriptedClient([throttled, throttled, throttled]);
    const publisher = new EventBusPublisher({ eventBusName: 'b', client, baseDelayMs: 1 });
    // WHEN an event is published THEN three attempts were made and the error names the code
    await expect(publisher.publish(queued())).rejects.toThrow(
      new EventNotPublishedError('PutEvents failed 3 times: ThrottlingException: Rate exceeded'),
    );
    expect(client.sent).toHaveLength(3);
  });

  it('rejects an entry over the 256 KB PutEvents limit without calling the bus', async () => {
    const client = new ScriptedClient([]);
    const publisher = new EventBusPublisher({ eventBusName: 'b', client });
    const large = queued(Array.from({ length: 30_000 }, (_, i) => `permission_${i}`));
    await expect(publisher.publish(large)).rejects.toThrow(/exceeds the 262144-byte PutEvents limit/);
    expect(client.sent).toHaveLength(0);
  });

  it('fails at once when the deadline aborted a call, without another attempt', async () => {
    // GIVEN an aborted deadline and a call that fails with the abort
    const deadline = new AbortController();
    deadline.abort();
    const client = new ScriptedClient([Object.assign(new Error('aborted'), { name: 'AbortError' })]);
    const publisher = new EventBusPublisher({ eventBusName: 'b', client, baseDelayMs: 1 });
    // WHEN it publishes THEN the abort ends it after one call
    await expect(publisher.publish(queued(), deadline.signal)).rejects.toThrow('aborted');
    expect(client.sent).toHaveLength(1);
  });

  it('rejects an empty bus name', () => {
    expect(() => new EventBusPublisher({ eventBusName: ' ' })).toThrow(
      /eventBusName must be a non-empty string/,
    );
  });

  it('is off when EVENT_BUS_NAME is unset or blank', () => {
    expect(publisherFromEnvironment({})).toBeUndefined();
    expect(publisherFromEnvironment({ EVENT_BUS_NAME: ' ' })).toBeUndefined();
    expect(publisherFromEnvironment({ EVENT_BUS_NAME: 'orders' })?.eventBusName).toBe('orders');
  });
});
