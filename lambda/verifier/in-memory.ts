/**
 * In-memory adapters of the hand-off ports, with the same contract as the AWS ones: fakes for
 * handler tests and for tools that run the verifier without emulators. Not for production: the
 * state lives in one process.
 */
import { DeliveryInFlightError } from './errors.ts';
import type {
  EventQueue,
  LeaseClock,
  Ledger,
  LedgerOutcome,
  QueuedEvent,
  RejectedDelivery,
} from './hand-off.ts';

/** A ledger in a Map, with the in-progress lease of the DynamoDB one. */
export class InMemoryLedger implements Ledger {
  readonly records = new Map<string, { status: 'in_progress' | 'done'; leaseUntil: number }>();

  constructor(private readonly clock: () => number = Date.now) {}

  async once(key: string, lease: LeaseClock, work: () => Promise<void>): Promise<LedgerOutcome> {
    const existing = this.records.get(key);
    if (existing?.status === 'done') return { status: 'duplicate' };
    if (existing && existing.leaseUntil > this.clock()) throw new DeliveryInFlightError(10);
    this.records.set(key, {
      status: 'in_progress',
      leaseUntil: this.clock() + lease.getRemainingTimeInMillis(),
    });
    try {
      await work();
    } catch (error) {
      this.records.delete(key);
      throw error;
    }
    this.records.set(key, { status: 'done', leaseUntil: 0 });
    return { status: 'fresh', recorded: true };
  }
}

/** Queues in arrays. */
export class InMemoryEventQueue implements EventQueue {
  readonly events: QueuedEvent[] = [];
  readonly rejected: RejectedDelivery[] = [];

  async enqueue(event: QueuedEvent): Promise<void> {
    this.events.push(event);
  }

  async keepRejected(delivery: RejectedDelivery): Promise<void> {
    this.rejected.push(delivery);
  }
}
