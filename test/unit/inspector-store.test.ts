import type { SQSRecord } from 'aws-lambda';
import { REPLAY_ATTRIBUTES } from '../../lambda/shared/queue-message.ts';
import type { TimelineEntry } from '../../local/inspector/api-types.ts';
import type { DeliveryRecord } from '../../local/inspector/delivery.ts';
import { InspectorStore } from '../../local/inspector/store.ts';
import { connectionEvent } from '../fixtures/events.ts';
import { sqsRecord } from '../fixtures/sqs-events.ts';

const KEY = 'evt-key-1';

function delivery(overrides: Partial<DeliveryRecord> = {}): DeliveryRecord {
  return {
    id: `req-${Math.random()}`,
    receivedAt: new Date().toISOString(),
    method: 'POST',
    path: '/webhooks/ofauth',
    headers: [],
    body: '{}',
    bodyEncoding: 'utf8',
    status: 202,
    answerHeaders: [],
    answerBody: '{}',
    latencyMs: 3,
    scheme: 'ofauth',
    eventKey: KEY,
    eventType: 'connection.updated',
    connectionId: 'conn_1',
    duplicate: false,
    ...overrides,
  };
}

/** The message of the event as the poller hands it on, received `receiveCount` times. */
function received(receiveCount: number, extra: Partial<SQSRecord> = {}): SQSRecord {
  const record = sqsRecord({
    body: connectionEvent('connection.updated', { connectionId: 'conn_1' }),
    eventKey: KEY,
  });
  return {
    ...record,
    ...extra,
    attributes: { ...record.attributes, ApproximateReceiveCount: String(receiveCount) },
  };
}

const kinds = (timeline: readonly TimelineEntry[]) =>
  timeline.map((entry) => (entry.kind === 'attempt' ? `attempt:${entry.attempt.outcome}` : entry.kind));

describe('InspectorStore', () => {
  let store: InspectorStore;
  beforeEach(() => {
    store = new InspectorStore();
    store.maxReceiveCount = 2;
  });

  it('follows an event from enqueued to processed, with the handler’s log lines on its attempt', () => {
    // GIVEN an accepted delivery
    const sent = delivery();
    store.addDelivery(sent);
    expect(store.detail(sent.id)?.summary.fate).toBe('queued');
    // WHEN the processor handles it, logging two lines for its event id and one for another event
    const record = received(1);
    store.attemptStarted(record);
    store.addLogLine({
      level: 'INFO',
      message: 'applied',
      eventId: KEY,
      timestamp: 't1',
      service: 's',
      extra: 1,
    });
    store.addLogLine({ level: 'INFO', message: 'other event', eventId: 'someone-else' });
    store.addLogLine({ level: 'INFO', message: 'event processed', eventId: KEY, lagMs: 5 });
    store.attemptFinished(record, true);
    // THEN the timeline reads received → enqueued → processed, with the event's own lines only
    const detail = store.detail(sent.id)!;
    expect(detail.summary).toMatchObject({ fate: 'processed', attempts: 1 });
    expect(kinds(detail.timeline)).toEqual(['received', 'enqueued', 'attempt:processed']);
    const attempt = detail.timeline.find((entry) => entry.kind === 'attempt')!;
    expect(attempt.kind === 'attempt' && attempt.attempt.logs).toEqual([
      { at: 't1', level: 'INFO', message: 'applied', fields: { extra: 1 } },
      expect.objectContaining({ message: 'event processed', fields: { lagMs: 5 } }),
    ]);
    expect(JSON.stringify(detail)).not.toContain('startedMs');
  });

  it('keeps the receipt first when the processor picked the message up before the gateway answered', () => {
    // GIVEN a fast processor: its attempt is recorded before the delivery is
    const record = received(1);
    store.attemptStarted(record);
    store.attemptFinished(record, true);
    // WHEN the delivery, stamped when it arrived, is recorded
    const sent = delivery({ receivedAt: new Date(Date.now() - 1000).toISOString() });
    store.addDelivery(sent);
    // THEN the event stays processed and its timeline is in the order things happened
    const detail = store.detail(sent.id)!;
    expect(detail.summary.fate).toBe('processed');
    expect(kinds(detail.timeline)).toEqual(['received', 'enqueued', 'attempt:processed']);
  });

  it('fails an attempt with the error its ERROR line reports, then retries, then dead-letters at maxReceiveCount', () => {
    // GIVEN an accepted delivery whose handler fails on each receive
    const sent = delivery();
    store.addDelivery(sent);
    const failOnce = (receiveCount: number) => {
      const record = received(receiveCount);
      store.attemptStarted(record);
      store.addLogLine({ level: 'ERROR', message: 'event failed', eventId: KEY, error: { message: 'boom' } });
      return store.attemptFinished(record, false);
    };
    // WHEN it fails on its first receive
    // THEN it will be retried
    expect(failOnce(1)).toBe('retry');
    expect(store.detail(sent.id)?.summary.fate).toBe('retrying');
    // WHEN it fails on its last receive
    // THEN it goes to the dead-letter queue, and the error is the event's last error
    expect(failOnce(2)).toBe('dead-letter');
    expect(store.detail(sent.id)?.summary.fate).toBe('dead-letter');
    expect(store.lastError(KEY)).toBe('event failed: boom');
    // WHEN the dead-letter queue is seen holding it, twice
    store.seenOnDeadLetterQueue([KEY]);
    store.seenOnDeadLetterQueue([KEY]);
    // THEN the timeline shows one dead-letter step after the two failed attempts
    expect(kinds(store.detail(sent.id)!.timeline)).toEqual([
      'received',
      'enqueued',
      'attempt:failed',
      'attempt:failed',
      'dead-letter',
    ]);
  });

  it('shows a message the processor put on the dead-letter queue at once as rejected and dead-lettered, not processed', () => {
    // GIVEN an accepted delivery whose queued body fails its schema
    const sent = delivery();
    store.addDelivery(sent);
    const record = received(1);
    store.attemptStarted(record);
    store.addLogLine({ level: 'ERROR', message: 'message moved to the dead-letter queue', eventId: KEY });
    // WHEN the processor puts it on the dead-letter queue and acknowledges it (the batch succeeds)
    store.rejectedByProcessor(KEY, { reason: 'invalid_data', detail: 'connection.status: expected string' });
    const next = store.attemptFinished(record, true);
    // THEN it is on the dead-letter queue now, its one attempt rejected with the processor's reason
    expect(next).toBe('rejected');
    const detail = store.detail(sent.id)!;
    expect(detail.summary.fate).toBe('dead-letter');
    expect(kinds(detail.timeline)).toEqual(['received', 'enqueued', 'attempt:rejected', 'dead-letter']);
    expect(detail.timeline[2]).toMatchObject({
      attempt: {
        next: 'dead-letter',
        error: 'rejected by the processor: invalid_data: connection.status: expected string',
      },
    });
    expect(store.lastError(KEY)).toBe(
      'rejected by the processor: invalid_data: connection.status: expected string',
    );
    // AND a later sighting on the dead-letter queue adds no second step
    store.seenOnDeadLetterQueue([KEY]);
    expect(kinds(store.detail(sent.id)!.timeline)).toHaveLength(4);
  });

  it('marks a failure without an error line of its own as skipped behind its group, and a crash as failed', () => {
    store.addDelivery(delivery());
    const skipped = received(1);
    store.attemptStarted(skipped);
    store.attemptFinished(skipped, false);
    const crashed = received(2);
    store.attemptStarted(crashed);
    store.attemptFinished(crashed, false, new Error('Task timed out'));
    const attempts = store
      .detail(store.summaries()[0]!.id)!
      .timeline.flatMap((entry) => (entry.kind === 'attempt' ? [entry.attempt] : []));
    expect(attempts.map((attempt) => [attempt.outcome, attempt.error])).toEqual([
      ['skipped', undefined],
      ['failed', 'Error: Task timed out'],
    ]);
  });

  it('records a redrive and a replay, keeping the verifier’s original attributes for replays', () => {
    // GIVEN an event received once as queued by the verifier, then as a replay
    const sent = delivery();
    store.addDelivery(sent);
    const original = received(1);
    store.attemptStarted(original);
    store.attemptFinished(original, true);
    const replay = received(1, {
      messageId: 'replayed-message',
      messageAttributes: {
        ...original.messageAttributes,
        [REPLAY_ATTRIBUTES.replay]: { dataType: 'String', stringValue: 'true' },
      },
    });
    // WHEN it is redriven and replayed
    store.redriven([KEY, KEY], new Date());
    store.replayed(KEY, new Date());
    store.attemptStarted(replay);
    store.attemptFinished(replay, true);
    // THEN both show once, the replay attempt is marked, and the attributes are the first message's
    const detail = store.detail(sent.id)!;
    expect(kinds(detail.timeline)).toEqual([
      'received',
      'enqueued',
      'attempt:processed',
      'redriven',
      'replayed',
      'attempt:processed',
    ]);
    expect(detail.summary).toMatchObject({ replays: 1, attempts: 2, fate: 'processed' });
    expect(detail.timeline.at(-1)).toMatchObject({ attempt: { replay: true } });
    expect(store.queueAttributes(KEY)).toEqual({
      eventKey: KEY,
      eventType: 'connection.updated',
      signatureScheme: 'ofauth',
      receivedAt: original.messageAttributes.receivedAt!.stringValue,
    });
  });

  it('keeps the fate of an attempt that started while a redrive was still moving messages', async () => {
    // GIVEN a dead-lettered event
    const sent = delivery();
    store.addDelivery(sent);
    const last = received(2);
    store.attemptStarted(last);
    store.attemptFinished(last, false, new Error('boom'));
    // WHEN a redrive starts, the processor handles the moved message, and then the redrive returns
    const moveStarted = new Date();
    await new Promise((wake) => setTimeout(wake, 5));
    const again = received(1, { messageId: 'moved' });
    store.attemptStarted(again);
    store.attemptFinished(again, true);
    store.redriven([KEY], moveStarted);
    // THEN the event stays processed, and the redrive shows before the attempt it caused
    const detail = store.detail(sent.id)!;
    expect(detail.summary.fate).toBe('processed');
    expect(kinds(detail.timeline).slice(-2)).toEqual(['redriven', 'attempt:processed']);
  });

  it('tells each listener about every delivery of an event that changes, duplicates included', () => {
    const first = delivery();
    const duplicate = delivery({ status: 200, duplicate: true });
    store.addDelivery(first);
    store.addDelivery(duplicate);
    const seen: string[] = [];
    store.subscribe((summary) => seen.push(`${summary.id}:${summary.fate}`));
    store.attemptStarted(received(1));
    expect(seen).toEqual([`${first.id}:processing`, `${duplicate.id}:processing`]);
  });

  it('lists newest first and forgets the oldest deliveries beyond its limit', () => {
    const small = new InspectorStore({ maxDeliveries: 2 });
    const ids = ['a', 'b', 'c'].map((id) => {
      small.addDelivery(delivery({ id, eventKey: `key-${id}` }));
      return id;
    });
    expect(small.summaries().map((summary) => summary.id)).toEqual(['c', 'b']);
    expect(small.detail(ids[0]!)).toBeUndefined();
    expect(small.latestDeliveryId('key-a')).toBeUndefined();
  });

  it('finds the delivery whose signed body the verifier kept, by its event key, until it is evicted', () => {
    // GIVEN a small store and a 422 whose body the verifier kept on the dead-letter queue
    const small = new InspectorStore({ maxDeliveries: 1 });
    const kept = delivery({ status: 422, eventKey: undefined, keptEventKey: 'kept-key' });
    small.addDelivery(kept);
    // THEN the dead-letter message's key leads to it, and it has no fate
    expect(small.latestDeliveryId('kept-key')).toBe(kept.id);
    expect(small.detail(kept.id)?.summary.fate).toBeUndefined();
    // WHEN it is evicted THEN the key leads nowhere
    small.addDelivery(delivery({ id: 'newer', eventKey: 'other' }));
    expect(small.latestDeliveryId('kept-key')).toBeUndefined();
  });

  it('shows a rejected delivery with its receipt only, and offers no replay', () => {
    const rejected = delivery({ status: 401, errorCode: 'invalid_signature', eventKey: undefined });
    store.addDelivery(rejected);
    const detail = store.detail(rejected.id)!;
    expect(detail.replayable).toBe(false);
    expect(detail.summary.fate).toBeUndefined();
    expect(kinds(detail.timeline)).toEqual(['received']);
  });
});
