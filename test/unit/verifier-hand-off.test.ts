/**
 * The hand-off use case over its ports, with the in-memory adapters: which dependency a failure
 * is blamed on, what a hand-on reports when the ledger could not be marked done, and how a kept
 * rejection reports a repeat.
 */
import { DependencyError } from '../../lambda/verifier/errors.ts';
import {
  HandOff,
  type LeaseClock,
  type Ledger,
  type LedgerOutcome,
  type QueuedEvent,
  type RejectedDelivery,
} from '../../lambda/verifier/hand-off.ts';
import { InMemoryEventQueue, InMemoryLedger } from '../../lambda/verifier/in-memory.ts';

const lease: LeaseClock = { getRemainingTimeInMillis: () => 5_000 };

const event: QueuedEvent = {
  body: '{"type":"connection.created","data":{"connection":{"id":"conn_1"}}}',
  messageGroupId: 'conn_1',
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

/** A ledger that runs the work, then reports that marking it done failed. */
class UnrecordedLedger implements Ledger {
  readonly recordError = new Error('the ledger update failed');
  async once(_key: string, _lease: LeaseClock, work: () => Promise<void>): Promise<LedgerOutcome> {
    await work();
    return { status: 'fresh', recorded: false, recordError: this.recordError };
  }
}

function handOff(ports: { ledger?: Ledger; rejectionLedger?: Ledger; queue?: InMemoryEventQueue } = {}) {
  const queue = ports.queue ?? new InMemoryEventQueue();
  return {
    queue,
    handOff: new HandOff({
      ledger: ports.ledger ?? new InMemoryLedger(),
      rejectionLedger: ports.rejectionLedger ?? new InMemoryLedger(),
      queue,
    }),
  };
}

describe('HandOff', () => {
  it('hands an event on once, then answers duplicate', async () => {
    const { handOff: subject, queue } = handOff();
    // (strictly: a recorded hand-on carries no recordError field at all)
    expect(await subject.handOn(event, lease)).toStrictEqual({ status: 'enqueued', recorded: true });
    expect(await subject.handOn(event, lease)).toStrictEqual({ status: 'duplicate' });
    expect(queue.events).toEqual([event]);
  });

  it('reports an event handed on whose ledger record could not be marked done, with the error', async () => {
    const ledger = new UnrecordedLedger();
    const { handOff: subject, queue } = handOff({ ledger });
    expect(await subject.handOn(event, lease)).toEqual({
      status: 'enqueued',
      recorded: false,
      recordError: ledger.recordError,
    });
    expect(queue.events).toHaveLength(1);
  });

  it('fails with a DependencyError naming the queue when the send fails', async () => {
    const queue = new BrokenQueue();
    const { handOff: subject } = handOff({ queue });
    const failure = await subject.handOn(event, lease).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DependencyError);
    expect(failure).toMatchObject({ dependency: 'queue', cause: queue.failure });
  });

  it('keeps a rejected delivery once, then answers already-kept', async () => {
    const { handOff: subject, queue } = handOff();
    expect(await subject.keepRejected(rejected, lease)).toBe('kept');
    expect(await subject.keepRejected(rejected, lease)).toBe('already-kept');
    expect(queue.rejected).toEqual([rejected]);
  });

  it('fails with a DependencyError naming the dead-letter queue when keeping fails', async () => {
    const queue = new BrokenQueue();
    const { handOff: subject } = handOff({ queue });
    const failure = await subject.keepRejected(rejected, lease).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DependencyError);
    expect(failure).toMatchObject({ dependency: 'dead-letter-queue', cause: queue.failure });
  });

  it('keeps a rejection apart from a hand-on of the same key', async () => {
    // GIVEN an event key whose body was kept as rejected
    const { handOff: subject } = handOff();
    await subject.keepRejected({ ...rejected, eventKey: 'msg_1' }, lease);
    // THEN a hand-on of the same key is not taken for a duplicate
    expect(await subject.handOn(event, lease)).toEqual({ status: 'enqueued', recorded: true });
  });
});
