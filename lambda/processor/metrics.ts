/**
 * The processor's metrics for one batch: `EventsProcessed`, `EventsFailed`, `EventsRejected` and
 * `ProcessingLag` (milliseconds from the event's time to the end of its processing), each with an
 * `eventType` dimension, gathered per batch and published as one EMF line per event type; and,
 * only when they happened, `ProcessingFailures`, `ArchiveFailures`, `DuplicateEventsSkipped`,
 * `ProcessedRecordWriteFailures` and `EventsDeferredByDeadline` without it.
 */
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { isKnownEventType, isTranslatedEventType } from '../shared/event-model.ts';
import { EVENT_TYPE_DIMENSION, PROCESSOR_METRICS } from '../shared/metrics.ts';

/** The `eventType` dimension of a type nobody registered a schema for. */
export const UNKNOWN_EVENT_TYPE_DIMENSION = 'unknown';
/** The `eventType` dimension of a message whose body has no usable type. */
export const UNPARSEABLE_EVENT_TYPE_DIMENSION = 'unparseable';

/** What a translated type must look like to keep its own dimension value. */
const TRANSLATED_TYPE_PATTERN = /^realtime\.[a-z0-9_]+(\.[a-z0-9_]+){0,3}$/;
const MAX_DIMENSION_LENGTH = 64;

/**
 * The `eventType` dimension value of an event type. Each distinct value is a separate CloudWatch
 * metric (billed), so only the documented types and well-formed `realtime.*` families keep their
 * names; anything else is counted as `unknown`, and a body without a type as `unparseable`.
 */
export function eventTypeDimension(type: string | undefined): string {
  if (type === undefined) return UNPARSEABLE_EVENT_TYPE_DIMENSION;
  if (isKnownEventType(type)) return type;
  if (
    isTranslatedEventType(type) &&
    type.length <= MAX_DIMENSION_LENGTH &&
    TRANSLATED_TYPE_PATTERN.test(type)
  ) {
    return type;
  }
  return UNKNOWN_EVENT_TYPE_DIMENSION;
}

interface TypeTally {
  processed: number;
  failed: number;
  rejected: number;
  readonly lagsMs: number[];
}

/** Outcomes of one batch, by event type. Create one per invocation. */
export class BatchMetrics {
  readonly #byType = new Map<string, TypeTally>();
  #failed = 0;
  #rejected = 0;
  #archiveFailed = 0;
  #duplicatesSkipped = 0;
  #processedRecordWriteFailures = 0;
  #deferredByDeadline = 0;
  #notPublished = 0;

  /** How many events of this batch failed in a handler or in parsing. */
  get failedCount(): number {
    return this.#failed;
  }

  /** How many messages of this batch went to the dead-letter queue at once. */
  get rejectedCount(): number {
    return this.#rejected;
  }

  /** Counts a processed event and its lag. */
  processed(type: string | undefined, lagMs: number): void {
    const tally = this.#tally(type);
    tally.processed += 1;
    tally.lagsMs.push(Math.max(0, lagMs));
  }

  /** Counts a failed event. */
  failed(type: string | undefined): void {
    this.#tally(type).failed += 1;
    this.#failed += 1;
  }

  /** Counts a message put on the dead-letter queue because its body can never become an event. */
  rejected(type: string | undefined): void {
    this.#tally(type).rejected += 1;
    this.#rejected += 1;
  }

  /** How many events of this batch were handed back because their archive write failed. */
  get archiveFailedCount(): number {
    return this.#archiveFailed;
  }

  /** Counts an event handed back to the queue because its archive write failed. */
  archiveFailed(): void {
    this.#archiveFailed += 1;
  }

  /** Counts a delivery skipped because its event key was already processed. */
  duplicateSkipped(): void {
    this.#duplicatesSkipped += 1;
  }

  /** How many messages of this batch were handed back unstarted because of the deadline. */
  get deferredCount(): number {
    return this.#deferredByDeadline;
  }

  /** Counts messages handed back unstarted because the invocation was near its deadline. */
  deferredByDeadline(count: number): void {
    this.#deferredByDeadline += count;
  }

  /** Counts a handled event that could not be published to the event bus (it is retried). */
  notPublished(): void {
    this.#notPublished += 1;
  }

  /** Counts a handled event whose key could not be written to the processed-events record. */
  processedRecordWriteFailed(): void {
    this.#processedRecordWriteFailures += 1;
  }

  /**
   * Publishes one EMF line per event type seen, and the batch's totals of failures, archive
   * failures, skipped duplicates, failed processed-event writes and deferrals (each only when not zero) on lines without the `eventType`
   * dimension, for the alarms; then forgets them.
   */
  publish(metrics: Metrics): void {
    const totals = [
      [PROCESSOR_METRICS.failures, this.#failed],
      [PROCESSOR_METRICS.archiveFailures, this.#archiveFailed],
      [PROCESSOR_METRICS.duplicatesSkipped, this.#duplicatesSkipped],
      [PROCESSOR_METRICS.processedRecordWriteFailures, this.#processedRecordWriteFailures],
      [PROCESSOR_METRICS.deferredByDeadline, this.#deferredByDeadline],
      [PROCESSOR_METRICS.notPublished, this.#notPublished],
    ] as const;
    for (const [name, count] of totals) {
      if (count > 0) metrics.singleMetric().addMetric(name, MetricUnit.Count, count);
    }
    this.#failed = 0;
    this.#archiveFailed = 0;
    this.#duplicatesSkipped = 0;
    this.#processedRecordWriteFailures = 0;
    this.#deferredByDeadline = 0;
    this.#notPublished = 0;
    for (const [type, tally] of this.#byType) {
      metrics.addDimension(EVENT_TYPE_DIMENSION, type);
      metrics.addMetric(PROCESSOR_METRICS.processed, MetricUnit.Count, tally.processed);
      metrics.addMetric(PROCESSOR_METRICS.failed, MetricUnit.Count, tally.failed);
      if (tally.rejected > 0) metrics.addMetric(PROCESSOR_METRICS.rejected, MetricUnit.Count, tally.rejected);
      for (const lag of tally.lagsMs) metrics.addMetric(PROCESSOR_METRICS.lag, MetricUnit.Milliseconds, lag);
      metrics.publishStoredMetrics();
    }
    this.#byType.clear();
    this.#rejected = 0;
  }

  #tally(type: string | undefined): TypeTally {
    const dimension = eventTypeDimension(type);
    let tally = this.#byType.get(dimension);
    if (!tally) {
      tally = { processed: 0, failed: 0, rejected: 0, lagsMs: [] };
      this.#byType.set(dimension, tally);
    }
    return tally;
  }
}
