/**
 * The processor's publisher (`lambda/processor/event-bus.ts`) against a fake `PutEvents` port:
 * the limits and retries that the recording bus of the integration tests does not reach.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import {
  EventBusPublisher,
  EventNotPublishedError,
  MAX_ENTRY_BYTES,
  type PutEventsClient,
  type PutEventsEntry,
  type PutEventsResponse,
  publishedEntry,
  publisherFromEnvironment,
  SdkPutEventsClient,
} from '../../lambda/processor/event-bus.ts';
import { readQueuedEvent } from '../../lambda/processor/queued-event.ts';
import { connectionEvent } from '../fixtures/events.ts';
import { sqsRecord } from '../fixtures/sqs-events.ts';

/** A PutEvents port that answers from a script and keeps the entries it was sent, and when. */
class ScriptedClient implements PutEventsClient {
  readonly sent: PutEventsEntry[][] = [];
  readonly at: number[] = [];
  constructor(private readonly answers: Array<PutEventsResponse | Error>) {}
  async putEvents(entries: readonly PutEventsEntry[]): Promise<PutEventsResponse> {
    this.sent.push([...entries]);
    this.at.push(performance.now());
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

  it('names its error and carries the last error code', async () => {
    const client = new ScriptedClient([throttled]);
    const publisher = new EventBusPublisher({ eventBusName: 'b', client, maxAttempts: 1 });
    await expect(publisher.publish(queued())).rejects.toMatchObject({
      name: 'EventNotPublishedError',
      errorCode: 'ThrottlingException',
    });
  });

  it('waits before each retry, doubling from baseDelayMs', async () => {
    // GIVEN a bus that throttles three times and a first backoff of 40 ms
    const client = new ScriptedClient([throttled, throttled, throttled]);
    const publisher = new EventBusPublisher({ eventBusName: 'b', client, baseDelayMs: 40 });
    // WHEN an event is published
    await expect(publisher.publish(queued())).rejects.toThrow(EventNotPublishedError);
    // THEN the second call came at least 40 ms after the first, the third at least 80 ms after it
    // (lower bounds only: a timer never fires early, a busy machine makes it late)
    const [first, second, third] = client.at as [number, number, number];
    expect(second - first).toBeGreaterThanOrEqual(39);
    expect(third - second).toBeGreaterThanOrEqual(79);
  });

  it('stops waiting for a retry when the deadline aborts the backoff', async () => {
    // GIVEN a first answer that fails in part and a backoff of a minute
    const deadline = new AbortController();
    const client = new ScriptedClient([throttled]);
    const publisher = new EventBusPublisher({ eventBusName: 'b', client, baseDelayMs: 60_000 });
    // WHEN the deadline aborts while the publisher waits
    const publishing = publisher.publish(queued(), deadline.signal);
    setTimeout(() => deadline.abort(), 20);
    // THEN it fails at once with the abort, after the one call
    await expect(publishing).rejects.toMatchObject({ name: 'AbortError' });
    expect(client.sent).toHaveLength(1);
  });

  it('tries a failed call again, and names the call error when every call failed', async () => {
    const timeout = Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    const recovering = new ScriptedClient([timeout]);
    await new EventBusPublisher({ eventBusName: 'b', client: recovering, baseDelayMs: 1 }).publish(queued());
    expect(recovering.sent).toHaveLength(2);
    const failing = new ScriptedClient([timeout, timeout, timeout]);
    const publisher = new EventBusPublisher({ eventBusName: 'b', client: failing, baseDelayMs: 1 });
    await expect(publisher.publish(queued())).rejects.toThrow(
      'PutEvents failed 3 times: TimeoutError: socket hang up',
    );
  });

  it('counts an answer without an event id as failed, with or without entries', async () => {
    // GIVEN answers that report no failure but give no event id, or no entries at all
    const client = new ScriptedClient([{ FailedEntryCount: 0, Entries: [{}] }, {}, {}]);
    const publisher = new EventBusPublisher({ eventBusName: 'b', client, baseDelayMs: 1 });
    // WHEN it publishes THEN each is tried again, and the error says no event id came back
    await expect(publisher.publish(queued())).rejects.toThrow(
      'PutEvents failed 3 times: unknown: no event id',
    );
    expect(client.sent).toHaveLength(3);
  });

  it('says no answer came when it made no attempt (maxAttempts 0)', async () => {
    const client = new ScriptedClient([]);
    const publisher = new EventBusPublisher({ eventBusName: 'b', client, maxAttempts: 0 });
    await expect(publisher.publish(queued())).rejects.toThrow('PutEvents failed 0 times: unknown: no answer');
    expect(client.sent).toHaveLength(0);
  });

  it('publishes an entry of exactly the 256 KB limit, and rejects one byte more', async () => {
    // GIVEN events whose entries are exactly MAX_ENTRY_BYTES and one byte more
    const base = Buffer.byteLength(JSON.stringify(publishedEntry(queued(['']), 'b')));
    const sized = (bytes: number) => queued(['x'.repeat(bytes - base)]);
    expect(Buffer.byteLength(JSON.stringify(publishedEntry(sized(MAX_ENTRY_BYTES), 'b')))).toBe(
      MAX_ENTRY_BYTES,
    );
    const client = new ScriptedClient([]);
    const publisher = new EventBusPublisher({ eventBusName: 'b', client });
    // WHEN both are published THEN the first goes to the bus, the second does not
    await publisher.publish(sized(MAX_ENTRY_BYTES));
    await expect(publisher.publish(sized(MAX_ENTRY_BYTES + 1))).rejects.toThrow(EventNotPublishedError);
    expect(client.sent).toHaveLength(1);
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
    const aborted = Object.assign(new Error('aborted'), { name: 'AbortError' });
    const client = new ScriptedClient([aborted]);
    const publisher = new EventBusPublisher({ eventBusName: 'b', client, baseDelayMs: 1 });
    // WHEN it publishes THEN the call's own abort error ends it after one call
    await expect(publisher.publish(queued(), deadline.signal)).rejects.toBe(aborted);
    expect(client.sent).toHaveLength(1);
  });

  it('rejects an empty or missing bus name', () => {
    expect(() => new EventBusPublisher({ eventBusName: ' ' })).toThrow(
      /eventBusName must be a non-empty string/,
    );
    expect(() => new EventBusPublisher({ eventBusName: undefined as unknown as string })).toThrow(
      'eventBusName must be a non-empty string, got "undefined"',
    );
  });

  it('is off when EVENT_BUS_NAME is unset or blank', () => {
    expect(publisherFromEnvironment({})).toBeUndefined();
    expect(publisherFromEnvironment({ EVENT_BUS_NAME: ' ' })).toBeUndefined();
    expect(publisherFromEnvironment({ EVENT_BUS_NAME: 'orders' })?.eventBusName).toBe('orders');
  });
});

describe('SdkPutEventsClient', () => {
  const entry = publishedEntry(queued(), 'b');

  it('sends through the client it is given, with the entry time as a date and the deadline signal', async () => {
    // GIVEN an SDK client of ours whose PutEvents answers one failed entry
    const client = new EventBridgeClient({});
    const mock = mockClient(client);
    mock.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'X' }] });
    const deadline = new AbortController();
    // WHEN an entry is put
    const answer = await new SdkPutEventsClient(client).putEvents([entry], deadline.signal);
    // THEN the answer keeps the count, and the command carried the time as a Date and the signal
    expect(answer).toEqual({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'X' }] });
    const [call] = mock.commandCalls(PutEventsCommand);
    expect(call?.args[0].input.Entries?.[0]?.Time).toEqual(new Date(entry.Time));
    // The stub records every argument of send, the options beside the command too.
    expect((call?.args as unknown[] | undefined)?.[1]).toEqual({ abortSignal: deadline.signal });
    mock.restore();
  });

  it('leaves out a failed-entry count the answer did not have', async () => {
    const client = new EventBridgeClient({});
    const mock = mockClient(client);
    mock.on(PutEventsCommand).resolves({ Entries: [{ EventId: 'e1' }] });
    const answer = await new SdkPutEventsClient(client).putEvents([entry]);
    expect(answer).not.toHaveProperty('FailedEntryCount');
    expect(answer.Entries).toEqual([{ EventId: 'e1' }]);
    mock.restore();
  });

  it('makes one attempt per call with the client it creates (the publisher retries itself)', async () => {
    // GIVEN an EventBridge endpoint that answers every request with a server error
    let requests = 0;
    const server = createServer((_request, response) => {
      requests += 1;
      response.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ __type: 'InternalException', message: 'down' }));
    });
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = endpoint;
    try {
      // WHEN the client it creates puts an entry
      await expect(new SdkPutEventsClient().putEvents([entry])).rejects.toThrow();
      // THEN the SDK sent one request, not its default three
      expect(requests).toBe(1);
    } finally {
      delete process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;
      await new Promise((closed) => server.close(closed));
    }
  });
});
