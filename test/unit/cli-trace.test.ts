/**
 * `trace`'s parts that need no emulator: the record as text (the
 * commands themselves run against the emulators in test/integration/cli-trace.test.ts).
 */
import { describeRecord } from '../../cli/trace.ts';

describe('trace', () => {
  it('describes a record of an earlier release (processedAt only) as processed, without a claim', () => {
    // GIVEN an item an earlier processor wrote WHEN it is described
    const text = describeRecord(
      {
        eventKey: 'msg_1',
        eventType: 'connection.updated',
        processedAt: '2026-01-05T10:00:00.000Z',
        expiresAt: 1_800_000_000,
      },
      new Date('2026-01-05T10:00:00.000Z'),
    );
    // THEN it reads as processed, with no verifier claim and no attempts
    expect(text).toContain('fate           processed');
    expect(text).toContain('received       no verifier claim (queued by an earlier release)');
    expect(text).toContain('enqueued       yes, seen by the processor');
    expect(text).not.toContain('attempts');
  });
});

describe('trace and the event bus', () => {
  const now = new Date('2026-01-05T10:00:00.000Z');

  it('shows when a processed event was published', () => {
    // GIVEN a record the processor marked processed and published in one update
    const text = describeRecord(
      {
        eventKey: 'msg_1',
        attempts: 1,
        processedAt: '2026-01-05T10:00:01.000Z',
        publishedAt: '2026-01-05T10:00:01.000Z',
      },
      now,
    );
    // THEN a "published" row carries its time, and no "handled" row
    expect(text).toContain('  published      2026-01-05T10:00:01.000Z\n');
    expect(text).not.toContain('handled');
  });

  it('shows a handled event whose publish failed as handled, not published, with why and what comes next', () => {
    // GIVEN a record whose handler succeeded but whose publish failed
    const text = describeRecord(
      {
        eventKey: 'msg_1',
        attempts: 1,
        handledAt: '2026-01-05T10:00:01.000Z',
        lastError: 'ThrottlingException: Rate exceeded',
      },
      now,
    );
    // THEN it says so, with the bus's error and that the retry only publishes
    expect(text).toContain(
      '  handled        2026-01-05T10:00:01.000Z, not published (ThrottlingException: Rate exceeded; the next receive publishes it without running the handler again)\n',
    );
    expect(text).not.toContain('published      ');
  });

  it('says a redrive publishes a handled event that was dead-lettered', () => {
    // GIVEN a handled, unpublished event whose last attempt failed
    const text = describeRecord(
      {
        eventKey: 'msg_1',
        attempts: 3,
        handledAt: '2026-01-05T10:00:01.000Z',
        deadLetteredAt: '2026-01-05T10:05:00.000Z',
      },
      now,
    );
    // THEN the row names no error it does not have, and the redrive
    expect(text).toContain(
      'not published (publishing failed; a redrive publishes it without running the handler again)',
    );
  });

  it('shows no event-bus row for a processed event of a pipeline without a bus', () => {
    const text = describeRecord({ eventKey: 'msg_1', processedAt: '2026-01-05T10:00:01.000Z' }, now);
    expect(text).not.toMatch(/published|handled/);
  });
});
