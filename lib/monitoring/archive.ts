/**
 * The archive's alarms and dashboard row. The archive hands over its Firehose metrics
 * (`ReceiverArchive.metricDeliveryFreshness()`, `metricIncomingRecords()`); the processor's
 * `ArchiveFailures` is one of the receiver's own metrics. The alarms are created in the archive's
 * scope, so their logical IDs are those they had when the archive built them.
 */
import { Duration } from 'aws-cdk-lib';
import { type Alarm, GraphWidget } from 'aws-cdk-lib/aws-cloudwatch';
import { PROCESSOR_METRICS } from '../../lambda/shared/metrics.ts';
import type { ReceiverArchive } from '../receiver-archive.ts';
import { alarm } from './alarms.ts';
import type { ReceiverMetrics } from './receiver-metrics.ts';

/** Undelivered for this long (`DeliveryToS3.DataFreshness`, 3 × 5 minutes): the first alarm. */
export const STALE_DELIVERY_SECONDS = Duration.minutes(15).toSeconds();
/**
 * Undelivered for this long: the second alarm, at half the 24 hours after which Firehose drops a
 * record it could not deliver to S3. The first is in ALARM since then and notifies no more.
 */
export const DROP_WARNING_SECONDS = Duration.hours(12).toSeconds();

/**
 * Three alarms: the processor could not archive events; Firehose has not delivered to S3 for 15
 * minutes; Firehose has held records for 12 hours, half the 24 after which it drops them.
 */
export function archiveAlarms(archive: ReceiverArchive, metrics: ReceiverMetrics): Alarm[] {
  const freshness = archive.metricDeliveryFreshness();
  return [
    alarm(
      archive,
      'ArchiveFailures',
      metrics.metric('processor', PROCESSOR_METRICS.archiveFailures),
      1,
      'The processor could not archive events (Firehose or S3 failing or throttled): they wait on the queue, unprocessed, and are retried; after maxReceiveCount attempts they move to the dead-letter queue. Read the "archive write failed" lines in the processor log group; check the Firehose stream and its quotas (docs/runbook.md "Archive failing").',
    ),
    alarm(
      archive,
      'ArchiveDeliveryStale',
      freshness,
      STALE_DELIVERY_SECONDS,
      'Firehose has held archived events for over 15 minutes without delivering them to S3: they cannot be replayed yet, and Firehose drops them after 24 hours of retries (nothing goes to errors/). Read the stream\'s S3Delivery log and fix the bucket or the role (docs/runbook.md "Archive failing").',
      3,
    ),
    alarm(
      archive,
      'ArchiveRecordsAboutToBeDropped',
      freshness,
      DROP_WARNING_SECONDS,
      'Firehose has held archived events for 12 hours without delivering them to S3, and drops them at 24 hours: fix the delivery now (S3Delivery log, bucket, role), or the undelivered events are lost to replay (docs/runbook.md "Archive failing").',
    ),
  ];
}

/** The dashboard row: records archived and failures on the left, the oldest undelivered on the right. */
export function archiveRow(archive: ReceiverArchive, metrics: ReceiverMetrics): GraphWidget {
  return new GraphWidget({
    title: 'Archive',
    left: [
      archive.metricIncomingRecords().with({ label: 'archived (Firehose records in)' }),
      metrics.metric('processor', PROCESSOR_METRICS.archiveFailures, 'archive failures (retried)'),
    ],
    right: [archive.metricDeliveryFreshness().with({ label: 'oldest record not in S3 yet (s)' })],
    rightAnnotations: [{ value: DROP_WARNING_SECONDS, label: 'dropped at twice this' }],
    width: 24,
    height: 6,
  });
}
