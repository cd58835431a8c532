/**
 * The event record's shared helpers (lambda/shared/event-record.ts): the fate a record shows, and
 * when an item counts as expired although TTL has not deleted it yet.
 */
import { EVENT_RECORD_ATTRIBUTES, fateOf, isExpired } from '../../lambda/shared/event-record.ts';

describe('the fate of an event record', () => {
  it.each([
    ['received', { eventKey: 'k', receivedAt: '2026-12-07T00:00:00.000Z' }],
    ['retrying', { eventKey: 'k', attempts: 1, lastError: 'boom' }],
    ['dead-lettered', { eventKey: 'k', attempts: 5, deadLetteredAt: '2026-12-07T00:01:00.000Z' }],
    ['processed', { eventKey: 'k', attempts: 2, processedAt: '2026-12-07T00:02:00.000Z' }],
    // A redriven event that succeeded after it was dead-lettered is processed.
    ['processed', { eventKey: 'k', deadLetteredAt: 'x', processedAt: '2026-12-07T00:03:00.000Z' }],
  ] as const)('is %s for %j', (fate, record) => {
    expect(fateOf(record)).toBe(fate);
  });

  it('reads an item of the earlier processed-events table as processed', () => {
    // GIVEN an item as the processed-events record of earlier releases wrote it
    const item = {
      eventKey: 'msg_1',
      expiresAt: 1_800_000_000,
      eventType: 'connection.updated',
      processedAt: 'x',
    };
    // THEN its attributes are the record's and it reads as processed
    expect(
      Object.keys(item).every((name) => Object.values(EVENT_RECORD_ATTRIBUTES).includes(name as never)),
    ).toBe(true);
    expect(fateOf(item)).toBe('processed');
  });
});

describe('the expiry of an event record', () => {
  it('counts an item as live until the second its TTL names, and expired from then on', () => {
    expect(isExpired({ expiresAt: 100 }, 99_999)).toBe(false);
    expect(isExpired({ expiresAt: 100 }, 100_000)).toBe(true);
  });

  it('counts an item without a TTL as expired', () => {
    expect(isExpired({}, 0)).toBe(true);
  });
});
