import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { ArchiveFailure, ArchiveWriter } from '../../lambda/processor/archive.ts';
import type { EventRecords, RecordedEvent } from '../../lambda/processor/event-records.ts';
import type { ProcessorHandlerOptions } from '../../lambda/processor/handler.ts';
import type { EventHandler, EventHandlers, HandlerContext } from '../../lambda/processor/router.ts';
import type { RealtimeEvent } from '../../lambda/shared/event-model.ts';
import { PROCESSOR_METRICS } from '../../lambda/shared/metrics.ts';
import type { ArchivedEvent } from '../../lambda/shared/queue-message.ts';
import { connectionEvent } from '../fixtures/events.ts';
import { type CapturedOutput, captureStdout } from '../fixtures/output.ts';
import { fakeStoreProcessor, metricTotal } from '../fixtures/processor.ts';
import {
  connectionUpdatedRecord,
  lambdaContext,
  replayedRecord,
  sqsEvent,
  sqsRecord,
} from '../fixtures/sqs-events.ts';

let output: CapturedOutput;
beforeEach(() => {
  output = captureStdout();
});
afterEach(() => output.restore());

/** An archive that keeps what it was given, failing the event keys in `failing` while it holds them. */
class FakeArchive implements ArchiveWriter {
  readonly archived: ArchivedEvent[] = [];
  readonly failing = new Set<string>();
  constructor(private readonly journal: string[] = []) {}
  async write(events: readonly ArchivedEvent[]): Promise<readonly ArchiveFailure[]> {
    const failures: ArchiveFailure[] = [];
    events.forEach((event, index) => {
      if (this.failing.has(event.eventKey)) failures.push({ index, reason: 'ServiceUnavailableException' });
      else {
        this.archived.push(event);
        this.journal.push(`archived ${event.eventKey}`);
      }
    });
    return failures;
  }
}

/** The event records in memory: processed keys, replays per key, and every write; writes may fail. */
class FakeEventRecords implements EventRecords {
  readonly keys = new Set<string>();
  readonly replays = new Map<string, string[]>();
  readonly writes: string[] = [];
  failWrites = false;
  async read(eventKey: string) {
    const replays = this.replays.get(eventKey);
    if (!(this.keys.has(eventKey) || replays)) return undefined;
    return {
      eventKey,
      ...(this.keys.has(eventKey) && { processedAt: '2026-01-05T10:00:00.000Z' }),
      ...(replays && { replays: Object.fromEntries(replays.map((id) => [id, '2026-01-05T10:00:00.000Z'])) }),
    };
  }
  async markProcessed(event: RecordedEvent): Promise<void> {
    this.#write(`processed ${event.eventKey}`);
    this.keys.add(event.eventKey);
  }
  async markFailed(event: RecordedEvent, error: unknown, lastAttempt: boolean): Promise<void> {
    this.#write(`failed ${event.eventKey}${lastAttempt ? ' (last)' : ''}: ${(error as Error).message}`);
  }
  async markHandled(event: RecordedEvent, error: unknown): Promise<void> {
    this.#write(`handled ${event.eventKey}: ${(error as Error).message}`);
  }
  async markDeadLettered(event: RecordedEvent, reason: string): Promise<void> {
    this.#write(`dead-lettered ${event.eventKey}: ${reason}`);
  }
  async markReplayed(event: RecordedEvent, replayId: string): Promise<void> {
    this.#write(`replayed ${event.eventKey} ${replayId}`);
    this.replays.set(event.eventKey, [...(this.replays.get(event.eventKey) ?? []), replayId]);
  }
  #write(line: string): void {
    if (this.failWrites) throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
    this.writes.push(line);
  }
}

/** A connection.updated of connection `group`, numbered `n`, with event key `key-<group>-<n>`. */
const update = connectionUpdatedRecord;

/** A processor whose connection.updated handler records what it saw (and the context), failing on `fail`. */
function processorUnderTest(
  options: ProcessorHandlerOptions & { fail?: ReadonlySet<string>; journal?: string[] } = {},
) {
  const seen: Array<{ id: string; context: HandlerContext }> = [];
  const journal = options.journal ?? [];
  const onUpdated: EventHandler<RealtimeEvent<'connection.updated'>> = (event, context) => {
    const id = `${event.data.connection.id}-${event.data.connection.permissions?.[0]?.slice(1)}`;
    journal.push(`handled ${context.eventId}`);
    if (options.fail?.has(id)) throw new Error(`handler failed for ${id}`);
    seen.push({ id, context });
  };
  const handle = fakeStoreProcessor({
    handlers: { 'connection.updated': onUpdated } as Partial<EventHandlers>,
    ...options,
  });
  return { seen, journal, run: (event: SQSEvent) => handle(event, lambdaContext()) };
}

describe('the archive step', () => {
  it('archives the whole batch before any handler runs, a failing event included', async () => {
    // GIVEN an archive and a handler that fails on A-2, both writing to one journal
    const journal: string[] = [];
    const archive = new FakeArchive(journal);
    const { run } = processorUnderTest({ archive, journal, fail: new Set(['A-2']) });
    // WHEN a batch of, B-1 is processed
    const response = await run(sqsEvent(update('A', 1), update('A', 2), update('B', 1)));
    // THEN all three were archived first, the failing one included, then the handlers ran (A in
    // order; B's group runs beside A's)
    expect(archive.archived.map((event) => event.eventKey)).toEqual(['key-A-1', 'key-A-2', 'key-B-1']);
    expect(journal.slice(0, 3)).toEqual(['archived key-A-1', 'archived key-A-2', 'archived key-B-1']);
    expect(journal.slice(3).filter((line) => line.includes('key-A'))).toEqual([
      'handled key-A-1',
      'handled key-A-2',
    ]);
    expect(journal.slice(3)).toContain('handled key-B-1');
    expect(journal).toHaveLength(6);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'A-2' }]);
  });

  it('fails an event whose archive write failed, and the rest of its group, without running their handlers', async () => {
    // GIVEN the archive fails A-2 (Firehose throttled it)
    const archive = new FakeArchive();
    archive.failing.add('key-A-2');
    const { run, seen } = processorUnderTest({ archive });
    const batch = sqsEvent(update('A', 1), update('A', 2), update('B', 1), update('A', 3));
    // WHEN the batch is processed
    const first = await run(batch);
    // THEN go back to the queue unhandled, A-1 and B-1 ran, and the failure is counted and logged
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'A-2' }, { itemIdentifier: 'A-3' }]);
    expect(seen.map((entry) => entry.id)).toEqual(['A-1', 'B-1']);
    expect(metricTotal(output, PROCESSOR_METRICS.archiveFailures)).toBe(1);
    expect(metricTotal(output, PROCESSOR_METRICS.failures)).toBe(0);
    expect(
      output.logs('archive write failed; these events will be retried before their handlers run'),
    ).toEqual([
      expect.objectContaining({ failed: [{ eventId: 'key-A-2', reason: 'ServiceUnavailableException' }] }),
    ]);
    expect(output.logs('batch processed')).toEqual([
      expect.objectContaining({ records: 4, failed: 0, notArchived: 1, skippedAfterGroupFailure: 1 }),
    ]);

    // WHEN the archive recovers and the queue delivers the two again
    archive.failing.clear();
    const retry = await run(sqsEvent(update('A', 2), update('A', 3)));
    // THEN each handler has run exactly once, in order, and every event is archived
    expect(retry.batchItemFailures).toEqual([]);
    expect(seen.map((entry) => entry.id)).toEqual(['A-1', 'B-1', 'A-2', 'A-3']);
    expect(new Set(archive.archived.map((event) => event.eventKey))).toEqual(
      new Set(['key-A-1', 'key-A-2', 'key-B-1', 'key-A-3']),
    );
  });

  it('fails every event, running no handler, when the archive is down', async () => {
    const archive: ArchiveWriter = {
      write: async () => {
        throw Object.assign(new Error('unreachable'), { name: 'TimeoutError' });
      },
    };
    const { run, seen } = processorUnderTest({ archive });
    const response = await run(sqsEvent(update('A', 1), update('B', 1)));
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'A-1' }, { itemIdentifier: 'B-1' }]);
    expect(seen).toEqual([]);
    expect(metricTotal(output, PROCESSOR_METRICS.archiveFailures)).toBe(2);
  });
});

describe('the event record', () => {
  it('runs the handler once when the same event key is queued twice (a late duplicate)', async () => {
    // GIVEN the record, and an event queued a second time with another message (and dedup) id,
    // as a sender retry after SQS's 5-minute deduplication window does
    const processedEvents = new FakeEventRecords();
    const { run, seen } = processorUnderTest({ processedEvents });
    const original = update('A', 1);
    const late = sqsRecord({ body: original.body, eventKey: 'key-A-1', messageId: 'A-1-late' });
    // WHEN both are processed, in one batch and again in a later one
    const first = await run(sqsEvent(original, late));
    const second = await run(sqsEvent({ ...late, messageId: 'A-1-later' }));
    // THEN the handler ran once; the duplicates were acknowledged, logged and counted
    expect([...first.batchItemFailures, ...second.batchItemFailures]).toEqual([]);
    expect(seen.map((entry) => entry.id)).toEqual(['A-1']);
    expect(output.logs('duplicate event skipped: its handler already succeeded')).toEqual([
      expect.objectContaining({ eventId: 'key-A-1', messageId: 'A-1-late' }),
      expect.objectContaining({ eventId: 'key-A-1', messageId: 'A-1-later' }),
    ]);
    expect(metricTotal(output, PROCESSOR_METRICS.duplicatesSkipped)).toBe(2);
    expect(output.logs('event processed')).toHaveLength(1);
  });

  it('records an event only once its handler succeeded, so a retry after a failure runs it', async () => {
    const processedEvents = new FakeEventRecords();
    const failing = processorUnderTest({ processedEvents, fail: new Set(['A-1']) });
    expect((await failing.run(sqsEvent(update('A', 1)))).batchItemFailures).toHaveLength(1);
    expect(processedEvents.keys.size).toBe(0);
    const healthy = processorUnderTest({ processedEvents });
    await healthy.run(sqsEvent(update('A', 1)));
    expect(healthy.seen.map((entry) => entry.id)).toEqual(['A-1']);
    expect([...processedEvents.keys]).toEqual(['key-A-1']);
  });

  it('lets each replay run through once, recorded under its replay id', async () => {
    // GIVEN an event that was processed
    const processedEvents = new FakeEventRecords();
    const { run, seen } = processorUnderTest({ processedEvents });
    const original = update('A', 1);
    await run(sqsEvent(original));
    // WHEN it is replayed by r1, the same replayed message comes again, then r2 replays it
    const first = replayedRecord(original, original.attributes.SequenceNumber, 'r1');
    await run(sqsEvent(first));
    await run(sqsEvent({ ...first, messageId: 'A-1-redriven' }));
    await run(sqsEvent(replayedRecord(original, original.attributes.SequenceNumber, 'r2')));
    // THEN the handler ran for the original, r1 and r2 once each, and each replay is recorded
    expect(seen.map((entry) => entry.context.replay)).toEqual([false, true, true]);
    expect(processedEvents.writes).toEqual([
      'processed key-A-1',
      'replayed key-A-1 r1',
      'replayed key-A-1 r2',
    ]);
    expect(output.logs('duplicate event skipped: its handler already succeeded')).toEqual([
      expect.objectContaining({ messageId: 'A-1-redriven', replayId: 'r1' }),
    ]);
  });

  it('records a failed attempt, and the last one before the dead-letter queue as such', async () => {
    // GIVEN a queue whose maxReceiveCount is 3 and a handler failing A-1 and B-1
    const processedEvents = new FakeEventRecords();
    const { run } = processorUnderTest({
      processedEvents,
      maxReceiveCount: 3,
      fail: new Set(['A-1', 'B-1']),
    });
    const atReceive = (record: SQSRecord, count: number) => ({
      ...record,
      attributes: { ...record.attributes, ApproximateReceiveCount: String(count) },
    });
    // WHEN A-1 fails at its second receive and B-1 at its third
    await run(sqsEvent(atReceive(update('A', 1), 2), atReceive(update('B', 1), 3)));
    // THEN both attempts are recorded; only B-1's as the last
    expect(processedEvents.writes.sort()).toEqual([
      'failed key-A-1: handler failed for A-1',
      'failed key-B-1 (last): handler failed for B-1',
    ]);
  });

  it('fails neither the event nor the batch when the record cannot be written, and logs it', async () => {
    const processedEvents = new FakeEventRecords();
    processedEvents.failWrites = true;
    const { run, seen } = processorUnderTest({ processedEvents });
    const response = await run(sqsEvent(update('A', 1)));
    expect(response.batchItemFailures).toEqual([]);
    expect(seen).toHaveLength(1);
    const [line, ...more] = output.logs(
      'could not record the event as processed; a late duplicate of it would run again',
    );
    expect(more).toEqual([]);
    // The operator reading the line learns why: the write's error, by name and message.
    expect(line?.error).toEqual(
      expect.objectContaining({ name: 'ThrottlingException', message: 'throttled' }),
    );
  });

  it('counts each record it could not write as ProcessedRecordWriteFailures, for the alarm', async () => {
    // GIVEN a processed-events record whose writes fail
    const processedEvents = new FakeEventRecords();
    processedEvents.failWrites = true;
    const { run } = processorUnderTest({ processedEvents });
    // WHEN two connections' events are handled
    await run(sqsEvent(update('A', 1), update('B', 1)));
    // THEN both failed writes are counted, on a line without the eventType dimension
    expect(metricTotal(output, 'ProcessedRecordWriteFailures')).toBe(2);
    const line = output.metrics().find((entry) => 'ProcessedRecordWriteFailures' in entry);
    expect(line).not.toHaveProperty('eventType');
  });

  it('fails a failed event as before when its attempt cannot be recorded, and only warns', async () => {
    // GIVEN a record whose writes fail, and a handler that fails
    const processedEvents = new FakeEventRecords();
    processedEvents.failWrites = true;
    const { run } = processorUnderTest({ processedEvents, fail: new Set(['A-1']) });
    // WHEN the event is processed
    const response = await run(sqsEvent(update('A', 1)));
    // THEN it is retried as any failure is; the lost attempt is a warning, not the alarm's metric
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'A-1' }]);
    expect(output.logs('could not write the failed attempt to the event record')).toEqual([
      expect.objectContaining({
        level: 'WARN',
        error: expect.objectContaining({ name: 'ThrottlingException' }),
      }),
    ]);
    expect(output.metrics().filter((entry) => 'ProcessedRecordWriteFailures' in entry)).toEqual([]);
  });

  it('counts no ProcessedRecordWriteFailures when the record was written', async () => {
    const { run } = processorUnderTest({ processedEvents: new FakeEventRecords() });
    await run(sqsEvent(update('A', 1)));
    expect(output.metrics().filter((entry) => 'ProcessedRecordWriteFailures' in entry)).toEqual([]);
  });

  it('fails the event, counted and logged, when the record cannot be read, without running its handler', async () => {
    const processedEvents = new FakeEventRecords();
    processedEvents.read = async () => {
      throw Object.assign(new Error('unreachable'), { name: 'TimeoutError' });
    };
    const { run, seen } = processorUnderTest({ processedEvents });
    const response = await run(sqsEvent(update('A', 1), update('B', 1)));
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'A-1' }, { itemIdentifier: 'B-1' }]);
    expect(seen).toEqual([]);
    expect(output.logs('event failed')).toHaveLength(2);
    expect(metricTotal(output, PROCESSOR_METRICS.failures)).toBe(2);
  });

  it('runs every delivery when it is switched off', async () => {
    const { run, seen } = processorUnderTest({ processedEvents: false });
    const original = update('A', 1);
    await run(sqsEvent(original, sqsRecord({ body: original.body, eventKey: 'key-A-1' })));
    expect(seen.map((entry) => entry.id)).toEqual(['A-1', 'A-1']);
    // AND nothing tried to write a record that is not there
    expect(output.lines().filter((line) => line.level === 'ERROR')).toEqual([]);
  });

  it('does not record a message without an event key under its message id', async () => {
    // GIVEN the record, and a message without the verifier's eventKey attribute
    const processedEvents = new FakeEventRecords();
    const { run, seen } = processorUnderTest({ processedEvents });
    const record = sqsRecord({ body: update('A', 1).body, eventKey: null, messageId: 'no-key' });
    // WHEN it is processed
    const response = await run(sqsEvent(record));
    // THEN its handler ran, under its message id, and nothing was recorded for it
    expect(response.batchItemFailures).toEqual([]);
    expect(seen.map((entry) => entry.context.eventId)).toEqual(['no-key']);
    expect([...processedEvents.keys]).toEqual([]);
  });

  it('does not record a replay of an event as processed, so a late duplicate still runs', async () => {
    // GIVEN an event whose key is not in the record (e.g. remembered past its TTL)
    const processedEvents = new FakeEventRecords();
    const { run, seen } = processorUnderTest({ processedEvents });
    const original = update('A', 1);
    // WHEN a replay of it is processed
    await run(sqsEvent(replayedRecord(original, original.attributes.SequenceNumber)));
    // THEN its handler ran, and the record holds the replay, not the key as processed
    expect(seen.map((entry) => entry.id)).toEqual(['A-1']);
    expect([...processedEvents.keys]).toEqual([]);
    expect(processedEvents.writes).toEqual(['replayed key-A-1 test']);
  });

  it('skips a duplicate that carries no receipt time, logging it without one', async () => {
    // GIVEN a recorded event key, and a delivery of it without the receivedAt attribute
    const processedEvents = new FakeEventRecords();
    processedEvents.keys.add('key-A-1');
    const { run, seen } = processorUnderTest({ processedEvents });
    const record = sqsRecord({ body: update('A', 1).body, eventKey: 'key-A-1', receivedAt: null });
    // WHEN it is processed
    const response = await run(sqsEvent(record));
    // THEN it is acknowledged as a duplicate, without running its handler
    expect(response.batchItemFailures).toEqual([]);
    expect(seen).toEqual([]);
    const [skipped] = output.logs('duplicate event skipped: its handler already succeeded');
    expect(skipped).toMatchObject({ eventId: 'key-A-1', messageId: record.messageId });
    expect(skipped).not.toHaveProperty('receivedAt');
  });
});

describe('a replayed message, as a handler sees it', () => {
  it('is marked replay, keeps the original receipt time and the original sequence number', async () => {
    // GIVEN an event received yesterday with sequence number 42, replayed today
    const original = sqsRecord({
      body: connectionEvent('connection.updated', { connectionId: 'A', permissions: ['p1'] }),
      receivedAt: '2026-01-04T09:00:00.000Z',
      sequenceNumber: '42',
      eventKey: 'key-A-1',
    });
    const replay = replayedRecord(original, '42');
    const { run, seen } = processorUnderTest();
    // WHEN the original and the replay are processed
    await run(sqsEvent(original));
    await run(sqsEvent(replay));
    // THEN the handler saw replay false, then true; the same event id, receipt time and sequence
    expect(seen.map(({ context }) => context.replay)).toEqual([false, true]);
    const replayed = seen[1]!.context;
    expect(replayed.eventId).toBe('key-A-1');
    expect(replayed.receivedAt?.toISOString()).toBe('2026-01-04T09:00:00.000Z');
    expect(replayed.sequenceNumber).toBe('42');
    expect(replay.attributes.SequenceNumber).not.toBe('42');
  });

  it('is logged as a replay on its "event processed" line; an original is not', async () => {
    // GIVEN an event and its replay
    const original = update('A', 1);
    const { run } = processorUnderTest();
    // WHEN both are processed
    await run(sqsEvent(original));
    await run(sqsEvent(replayedRecord(original, original.attributes.SequenceNumber)));
    // THEN only the replay's line says replay
    const [first, second] = output.logs('event processed');
    expect(first).not.toHaveProperty('replay');
    expect(second).toMatchObject({ eventId: 'key-A-1', replay: true });
  });

  it("has no sequence number when the archive had none, rather than the replay message's own", async () => {
    const original = sqsRecord({
      body: connectionEvent('connection.updated', { connectionId: 'A' }),
      sequenceNumber: null,
    });
    const { run, seen } = processorUnderTest();
    await run(sqsEvent(replayedRecord(original)));
    expect(seen[0]!.context.replay).toBe(true);
    expect(seen[0]!.context).not.toHaveProperty('sequenceNumber');
  });
});
