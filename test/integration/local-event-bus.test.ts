/**
 * The recording bus (`local/event-bus.ts`) against EventBridge's published `PutEvents` shapes, as
 * the real AWS SDK client sends and reads them: an `EventId` per accepted entry, in request order,
 * `FailedEntryCount` with an `ErrorCode` per failed entry, and a malformed request refused the way
 * EventBridge documents it (the whole request for a bad `Entries`, the entry alone for a bad
 * `Detail` or a missing `Source`/`DetailType`). What is not shown: the exact message texts, which
 * EventBridge does not publish, and anything about rules or targets, which the stand-in lacks.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { type LocalEventBus, startLocalEventBus } from '../../local/event-bus.ts';
import { LOCAL_CREDENTIALS } from '../../local/state.ts';

let bus: LocalEventBus;
let client: EventBridgeClient;

beforeAll(async () => {
  bus = await startLocalEventBus();
  client = new EventBridgeClient({
    region: 'us-east-1',
    endpoint: bus.endpoint,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client.destroy();
  await bus.stop();
});

const entry = (detail: string, overrides: Record<string, unknown> = {}) => ({
  Source: 'ofauth.realtime',
  DetailType: 'connection.created',
  Detail: detail,
  EventBusName: 'orders-bus',
  ...overrides,
});

/** POSTs a raw PutEvents request, as the JSON protocol frames it. */
async function rawPutEvents(body: string) {
  const response = await fetch(bus.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
    body,
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('the recording bus, as the AWS SDK sees it', () => {
  it('answers an EventId per entry, in request order, and FailedEntryCount 0', async () => {
    // GIVEN two valid entries WHEN the SDK sends them in one PutEvents
    const answer = await client.send(
      new PutEventsCommand({
        Entries: [entry('{"n":1}'), entry('{"n":2}', { DetailType: 'connection.updated' })],
      }),
    );
    // THEN the SDK reads the documented response: no failure, one id each
    expect(answer.FailedEntryCount).toBe(0);
    expect(answer.Entries).toEqual([{ EventId: expect.any(String) }, { EventId: expect.any(String) }]);
    // AND the ids are those of the recorded events, in the order sent
    expect(bus.events.slice(-2).map((event) => [event.id, event.detailType, event.detail])).toEqual([
      [answer.Entries![0]!.EventId, 'connection.created', { n: 1 }],
      [answer.Entries![1]!.EventId, 'connection.updated', { n: 2 }],
    ]);
  });

  it('fails an entry whose Detail is not a JSON object with MalformedDetail, and keeps the others', async () => {
    // GIVEN an entry with broken JSON, one with a JSON array, and a valid one
    const before = bus.events.length;
    const answer = await client.send(
      new PutEventsCommand({ Entries: [entry('{not json'), entry('[1,2]'), entry('{"ok":true}')] }),
    );
    // THEN the two bad ones fail alone, as EventBridge's documented MalformedDetail
    expect(answer.FailedEntryCount).toBe(2);
    expect(answer.Entries).toEqual([
      { ErrorCode: 'MalformedDetail', ErrorMessage: expect.any(String) },
      { ErrorCode: 'MalformedDetail', ErrorMessage: expect.any(String) },
      { EventId: expect.any(String) },
    ]);
    // AND only the valid one was recorded
    expect(bus.events.slice(before).map((event) => event.detail)).toEqual([{ ok: true }]);
  });

  it('fails an entry without Source or DetailType with InvalidArgument', async () => {
    const answer = await client.send(
      new PutEventsCommand({
        Entries: [entry('{}', { Source: undefined }), entry('{}', { DetailType: undefined })],
      }),
    );
    expect(answer.FailedEntryCount).toBe(2);
    expect(answer.Entries?.map((result) => result.ErrorCode)).toEqual(['InvalidArgument', 'InvalidArgument']);
  });

  it('rejects a request with no entries or more than 10 with a ValidationException', async () => {
    // WHEN the SDK sends 0 and 11 entries THEN the request fails as a whole, nothing recorded
    const before = bus.events.length;
    for (const count of [0, 11]) {
      const entries = Array.from({ length: count }, (_, index) => entry(`{"n":${index}}`));
      await expect(client.send(new PutEventsCommand({ Entries: entries }))).rejects.toMatchObject({
        name: 'ValidationException',
        $metadata: { httpStatusCode: 400 },
      });
    }
    expect(bus.events.length).toBe(before);
  });

  it('rejects a body that is not JSON with a SerializationException, and stays up', async () => {
    // GIVEN a request whose body cannot be read WHEN it is sent
    const answer = await rawPutEvents('{"Entries": [');
    // THEN a 400 names the protocol's error, and the bus still answers the next request
    expect(answer).toEqual({
      status: 400,
      json: expect.objectContaining({ __type: 'SerializationException' }),
    });
    const next = await client.send(new PutEventsCommand({ Entries: [entry('{}')] }));
    expect(next.FailedEntryCount).toBe(0);
  });
});
