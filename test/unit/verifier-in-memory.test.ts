/**
 * The in-memory event records (test/support/in-memory-verifier.ts), the fake the handler tests and the
 * local tools run the verifier on: it must keep the claim rules of the DynamoDB records, or those
 * tests would pass where the deployed verifier hands an event on twice.
 */
import { DeliveryInFlightError } from '../../lambda/verifier/errors.ts';
import type { RecordClaim } from '../../lambda/verifier/event-records.ts';
import { InMemoryEventRecords } from '../support/in-memory-verifier.ts';

const claimOf = (overrides: Partial<RecordClaim> = {}): RecordClaim => ({
  eventKey: 'k',
  eventType: 'connection.created',
  signatureScheme: 'svix',
  receivedAt: '2024-01-15T10:30:00.000Z',
  leaseMs: 5000,
  ...overrides,
});

describe('the in-memory event records', () => {
  it('rejects a claim of a key whose lease is live with 409, then lets it be taken over once the lease ends', async () => {
    // GIVEN a key claimed at t=1000 for a 5 s lease by an invocation that never finishes
    let now = 1000;
    const records = new InMemoryEventRecords(() => now);
    await records.claim(claimOf());
    // WHEN another request claims it within the lease THEN it is told the event is in flight
    now = 6000;
    await expect(records.claim(claimOf())).rejects.toBeInstanceOf(DeliveryInFlightError);
    // WHEN it claims it once the lease has ended THEN the claim is granted, a second delivery,
    // carrying the first delivery's receipt time
    now = 6001;
    expect(await records.claim(claimOf({ receivedAt: '2024-01-15T10:31:00.000Z' }))).toEqual({
      status: 'claimed',
      receivedAt: '2024-01-15T10:30:00.000Z',
      leaseUntil: 11_001,
      deliveries: 2,
    });
  });

  it('frees a key whose claim was released, so that a retry claims it at once', async () => {
    const records = new InMemoryEventRecords(() => 1000);
    const first = await records.claim(claimOf());
    if (first.status !== 'claimed') throw new Error('expected a claim');
    await records.release('k', first.leaseUntil);
    expect(await records.claim(claimOf())).toMatchObject({ status: 'claimed', deliveries: 2 });
  });

  it('answers duplicate for a processed key, and grants a claim again once its record expired', async () => {
    let now = 1000;
    const records = new InMemoryEventRecords(() => now, 60);
    await records.claim(claimOf());
    records.markProcessed('k');
    now = 10_000;
    expect(await records.claim(claimOf())).toEqual({ status: 'duplicate' });
    now = 61_000;
    expect(await records.claim(claimOf())).toMatchObject({ status: 'claimed', deliveries: 1 });
  });
});
