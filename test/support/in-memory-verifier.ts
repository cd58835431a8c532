/**
 * In-memory adapters of the hand-off ports, with the same contract as the AWS ones: fakes for
 * handler tests and for tools that run the verifier without emulators. Not for production: the
 * state lives in one process.
 */
import { type EventRecord, isExpired } from '../../lambda/shared/event-record.ts';
import { DeliveryInFlightError } from '../../lambda/verifier/errors.ts';
import type {
  EventRecords,
  GrantedClaim,
  RecordClaim,
  RejectionClaim,
} from '../../lambda/verifier/event-records.ts';
import type { EventQueue, QueuedEvent, RejectedDelivery } from '../../lambda/verifier/hand-off.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Event records in a Map, with the claim rules of the DynamoDB ones. */
export class InMemoryEventRecords implements EventRecords {
  readonly records = new Map<string, Mutable<EventRecord>>();
  /** Calls made, by name: a fresh event is one `claim`, as on DynamoDB it is one write. */
  readonly calls: string[] = [];

  constructor(
    private readonly clock: () => number = Date.now,
    private readonly ttlSeconds = 72 * 3600,
  ) {}

  async claim(claim: RecordClaim): Promise<GrantedClaim | { readonly status: 'duplicate' }> {
    this.calls.push('claim');
    const now = this.clock();
    const stored = this.records.get(claim.eventKey);
    const live = stored && !isExpired(stored, now) ? stored : undefined;
    if (live?.processedAt || live?.deadLetteredAt) return { status: 'duplicate' };
    if (live?.leaseUntil !== undefined && live.leaseUntil >= now) {
      throw new DeliveryInFlightError(Math.max(1, Math.ceil((live.leaseUntil - now) / 1000)));
    }
    const record: Mutable<EventRecord> = {
      ...live,
      eventKey: claim.eventKey,
      eventType: claim.eventType,
      signatureScheme: claim.signatureScheme,
      receivedAt: live?.receivedAt ?? claim.receivedAt,
      leaseUntil: now + claim.leaseMs,
      deliveries: (live?.deliveries ?? 0) + 1,
      expiresAt: Math.floor(now / 1000) + this.ttlSeconds,
      ...(claim.connectionId !== undefined && { connectionId: claim.connectionId }),
    };
    this.records.set(claim.eventKey, record);
    return {
      status: 'claimed',
      receivedAt: record.receivedAt!,
      leaseUntil: record.leaseUntil!,
      deliveries: record.deliveries!,
    };
  }

  async release(eventKey: string, leaseUntil: number): Promise<void> {
    this.calls.push('release');
    const stored = this.records.get(eventKey);
    if (stored?.leaseUntil === leaseUntil) delete stored.leaseUntil;
  }

  async claimRejection(claim: RejectionClaim): Promise<string | undefined> {
    this.calls.push('claimRejection');
    const now = this.clock();
    const stored = this.records.get(claim.eventKey);
    const live = stored && !isExpired(stored, now) ? stored : undefined;
    if (live?.rejectedAt) return undefined;
    const token = new Date(now).toISOString();
    this.records.set(claim.eventKey, {
      ...live,
      eventKey: claim.eventKey,
      signatureScheme: live?.signatureScheme ?? claim.signatureScheme,
      receivedAt: live?.receivedAt ?? claim.receivedAt,
      rejectedAt: token,
      rejectReason: claim.reason,
      expiresAt: Math.floor(now / 1000) + this.ttlSeconds,
    });
    return token;
  }

  async releaseRejection(eventKey: string, token: string): Promise<void> {
    this.calls.push('releaseRejection');
    const stored = this.records.get(eventKey);
    if (stored?.rejectedAt !== token) return;
    delete stored.rejectedAt;
    delete stored.rejectReason;
  }

  /** Marks a key processed, as the processor would. */
  markProcessed(eventKey: string): void {
    const stored = this.records.get(eventKey) ?? { eventKey };
    this.records.set(eventKey, { ...stored, processedAt: new Date(this.clock()).toISOString() });
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
