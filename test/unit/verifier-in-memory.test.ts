/**
 * The in-memory ledger (lambda/verifier/in-memory.ts), the fake the handler tests and the local
 * tools run the verifier on: it must keep the lease of the DynamoDB ledger, or those tests would
 * pass where the deployed verifier hands an event on twice.
 */
import { DeliveryInFlightError } from '../../lambda/verifier/errors.ts';
import { InMemoryLedger } from '../../lambda/verifier/in-memory.ts';

/** A lease of `ms` milliseconds, as the Lambda context gives it. */
const lease = (ms: number) => ({ getRemainingTimeInMillis: () => ms });

describe('the in-memory ledger', () => {
  it('answers a claim of a key whose work is running with 409 until its lease ends, then lets it be taken over', async () => {
    // GIVEN a key claimed at t=1000 for a 5 s lease, whose work never ends (a crashed invocation)
    let now = 1000;
    const ledger = new InMemoryLedger(() => now);
    void ledger.once('k', lease(5000), () => new Promise<void>(() => undefined));
    // WHEN another request claims it within the lease THEN it is told the event is in flight
    now = 5999;
    await expect(ledger.once('k', lease(5000), async () => undefined)).rejects.toBeInstanceOf(
      DeliveryInFlightError,
    );
    // WHEN it claims it once the lease has ended THEN its work runs, as a fresh hand-off
    now = 6000;
    let ran = false;
    expect(
      await ledger.once('k', lease(5000), async () => {
        ran = true;
      }),
    ).toEqual({ status: 'fresh', recorded: true });
    expect(ran).toBe(true);
    // AND a later claim is a duplicate
    expect(await ledger.once('k', lease(5000), async () => undefined)).toEqual({ status: 'duplicate' });
  });

  it('frees a key whose work failed, so that a retry runs it', async () => {
    const ledger = new InMemoryLedger(() => 1000);
    await expect(
      ledger.once('k', lease(5000), async () => {
        throw new Error('queue down');
      }),
    ).rejects.toThrow('queue down');
    expect(await ledger.once('k', lease(5000), async () => undefined)).toEqual({
      status: 'fresh',
      recorded: true,
    });
  });
});
