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
