/**
 * The hand-off use case over its ports, with the in-memory adapters: one claim per event, a
 * released claim after a failed send, which dependency a failure is blamed on, and how a kept
 * rejection reports a repeat.
 */
import { DependencyError } from '../../lambda/verifier/errors.ts';
import {
  HandOff,
  type LeaseClock,
  type QueuedEvent,
  type RejectedDelivery,
} from '../../lambda/verifier/hand-off.ts';
import { InMemoryEventQueue, InMemoryEventRecords } from '../support/in-memory-verifier.ts';

const lease: LeaseClock = { getRemainingTimeInMillis: () => 5_000 };

const event: QueuedEvent = {
  body: '{"type":"connection.created","data":{"connection":{"id":"conn_1"}}}',
  messageGroupId: 'conn_1',
  connectionId: 'conn_1',
  attributes: {
    eventType: 'connection.created',
    eventKey: 'msg_1',
    signatureScheme: 'svix',
    receivedAt: '2024-01-15T10:30:00.000Z',
  },
};

const rejected: RejectedDelivery = {
  body: Buffer.from('not json'),
  eventKey: 'msg_bad',
  signatureScheme: 'svix',
  receivedAt: '2024-01-15T10:30:00.000Z',
  reason: 'invalid_json',
};

/** A queue whose sends fail with an error of the SDK's own kind, not a DependencyError. */
class BrokenQueue extends InMemoryEventQueue {
  readonly failure = new Error('SQS is down');
  override async enqueue(): Promise<void> {
    throw this.failure;
  }
  override async keepRejected(): Promise<void> {
    throw this.failure;
  }
}

function handOff(ports: { queue?: InMemoryEventQueue; clock?: () => number } = {}) {
  const queue = ports.queue ?? new InMemoryEventQueue();
  const records = new InMemoryEventRecords(ports.clock);
  return { queue, records, handOff: new HandOff({ records, queue }) };
}

describe('HandOff', () => {
  it('hands an event on with one claim of its record, then answers duplicate once it is processed', async () => {
    const { handOff: subject, queue, records } = handOff();
    expect(await subject.handOn(event, lease)).toStrictEqual({
      status: 'enqueued',
      eventKey: 'msg_1',
      deliveries: 1,
    });
    expect(records.calls).toEqual(['claim']);
    expect(records.records.get('msg_1')).toMatchObject({
      connectionId: 'conn_1',
      eventType: 'connection.created',
    });
    records.markProcessed('msg_1');
    expect(await subject.handOn(event, lease)).toStrictEqual({ status: 'duplicate', eventKey: 'msg_1' });
    expect(queue.events).toEqual([event]);
  });

  it('fails with a DependencyError naming the queue when the send fails, and releases the claim', async () => {
    // GIVEN a queue that refuses the send
    const queue = new BrokenQueue();
    const { handOff: subject, records } = handOff({ queue, clock: () => 1000 });
    // WHEN an event is handed on
    const failure = await subject.handOn(event, lease).catch((error: unknown) => error);
    // THEN the failure names the queue, and the claim is released so a retry may claim at once
    expect(failure).toBeInstanceOf(DependencyError);
    expect(failure).toMatchObject({ dependency: 'queue', cause: queue.failure });
    expect(records.calls).toEqual(['claim', 'release']);
    expect(records.records.get('msg_1')?.leaseUntil).toBeUndefined();
  });

  it('sends a re-claimed event with the first delivery’s receipt time', async () => {
    // GIVEN an event whose first send failed at 10:30
    const { handOff: subject, records } = handOff({ queue: new BrokenQueue() });
    await subject.handOn(event, lease).catch(() => undefined);
    // WHEN its retry arrives at 10:31 on a working queue
    const queue = new InMemoryEventQueue();
    const retry = new HandOff({ records, queue });
    const later = { ...event, attributes: { ...event.attributes, receivedAt: '2024-01-15T10:31:00.000Z' } };
    expect(await retry.handOn(later, lease)).toMatchObject({ status: 'enqueued', deliveries: 2 });
    // THEN the queued message carries 10:30, the receipt the record keeps
    expect(queue.events[0]?.attributes.receivedAt).toBe('2024-01-15T10:30:00.000Z');
  });

  it('keeps a rejected delivery once, then answers already-kept', async () => {
    const { handOff: subject, queue } = handOff();
    expect(await subject.keepRejected(rejected)).toBe('kept');
    expect(await subject.keepRejected(rejected)).toBe('already-kept');
    expect(queue.rejected).toEqual([rejected]);
  });

  it('fails with a DependencyError naming the dead-letter queue when keeping fails, and keeps it on a retry', async () => {
    const queue = new BrokenQueue();
    const { handOff: subject, records } = handOff({ queue });
    const failure = await subject.keepRejected(rejected).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DependencyError);
    expect(failure).toMatchObject({ dependency: 'dead-letter-queue', cause: queue.failure });
    const working = new InMemoryEventQueue();
    expect(await new HandOff({ records, queue: working }).keepRejected(rejected)).toBe('kept');
  });

  it('keeps a rejection apart from a hand-on of the same key', async () => {
    // GIVEN an event key whose body was kept as rejected
    const { handOff: subject } = handOff();
    await subject.keepRejected({ ...rejected, eventKey: 'msg_1' });
    // THEN a hand-on of the same key is not taken for a duplicate
    expect(await subject.handOn(event, lease)).toMatchObject({ status: 'enqueued' });
  });
});
