/**
 * The inspector's fate from the event record: which fate the detail view shows once it has read
 * the record (the read itself runs against the local pipeline in test/e2e/inspector-api.test.ts).
 */
import type { DeliveryDetail, Fate } from '../../local/inspector/api-types.ts';
import { withRecord } from '../../local/inspector/event-record.ts';

function detail(fate?: Fate): DeliveryDetail {
  return {
    summary: {
      id: 'd1',
      receivedAt: '2026-01-05T10:00:00.000Z',
      status: 202,
      scheme: 'svix',
      eventKey: 'msg_1',
      latencyMs: 5,
      duplicate: false,
      ...(fate && { fate }),
      attempts: 0,
      replays: 0,
    },
    method: 'POST',
    path: '/webhooks/ofauth',
    headers: [],
    body: '{}',
    bodyEncoding: 'utf8',
    answer: { status: 202, headers: [], body: '' },
    timeline: [],
    replayable: true,
  };
}

describe("the inspector's fate from the event record", () => {
  it('takes the fate the record says over the side channel', () => {
    // GIVEN the side channel still thinks the event is retrying WHEN the record says dead-lettered
    const shown = withRecord(detail('retrying'), {
      eventKey: 'msg_1',
      attempts: 5,
      deadLetteredAt: '2026-01-05T10:05:00.000Z',
      deadLetterReason: 'max_receive_count',
    });
    // THEN the detail shows dead-letter, and carries the record
    expect(shown.summary.fate).toBe('dead-letter');
    expect(shown.record?.deadLetterReason).toBe('max_receive_count');
    expect(withRecord(detail('queued'), { eventKey: 'msg_1', processedAt: 'x' }).summary.fate).toBe(
      'processed',
    );
  });

  it('keeps processing, which no record holds, and the side channel without a record', () => {
    expect(withRecord(detail('processing'), { eventKey: 'msg_1', processedAt: 'x' }).summary.fate).toBe(
      'processing',
    );
    expect(withRecord(detail('retrying'), undefined)).toEqual(detail('retrying'));
    expect(withRecord(detail(), { eventKey: 'msg_1', receivedAt: 'x' }).summary.fate).toBe('queued');
  });
});

describe("the inspector's event-bus line from the event record", () => {
  it('says when a processed event was published', () => {
    // GIVEN a record with publishedAt WHEN the detail takes it
    const shown = withRecord(detail('processing'), {
      eventKey: 'msg_1',
      processedAt: '2026-01-05T10:00:01.000Z',
      publishedAt: '2026-01-05T10:00:01.000Z',
    });
    // THEN the detail carries the line the page shows
    expect(shown.publication).toEqual({ label: 'published', text: '2026-01-05T10:00:01.000Z' });
  });

  it('says a handled event was not published, with the error, as trace does', () => {
    // GIVEN a record whose publish failed after the handler succeeded
    const shown = withRecord(detail('retrying'), {
      eventKey: 'msg_1',
      attempts: 1,
      handledAt: '2026-01-05T10:00:01.000Z',
      lastError: 'InternalException: injected failure',
    });
    // THEN the line says handled, not published, and why
    expect(shown.publication).toEqual({
      label: 'handled',
      text: '2026-01-05T10:00:01.000Z, not published (InternalException: injected failure; the next receive publishes it without running the handler again)',
    });
  });

  it('has no event-bus line without a bus or a record', () => {
    expect(withRecord(detail('queued'), { eventKey: 'msg_1', processedAt: 'x' }).publication).toBeUndefined();
    expect(withRecord(detail('queued'), undefined).publication).toBeUndefined();
  });
});
