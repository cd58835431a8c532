/**
 * The receiver's own alarms (fourteen, thirteen without the processed-events record), each with a
 * description that tells the operator what to do. They read this receiver's queues, functions and
 * API, and its own metrics only. The archive's are in `archive.ts`; the event bus's in
 * `../receiver/event-bus.ts`; both reach the topic and the dashboard through `ReceiverMonitoring`.
 */
import { Tokenization } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  MathExpression,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { PROCESSOR_METRICS, VERIFIER_METRICS } from '../../lambda/shared/metrics.ts';
import { FIVE_MINUTES, ONE_MINUTE, type ReceiverMetrics, type WatchedResources } from './receiver-metrics.ts';

/** What the alarms watch, and their thresholds. */
export interface AlarmInputs extends WatchedResources {
  readonly signatureRejectionThreshold: number;
  readonly serverErrorThreshold: number;
  /** The dead-letter queue's retention; its age alarm fires at half of it. */
  readonly deadLetterRetentionSeconds: number;
  /** Whether the processor keeps the processed-events record (and so can fail to write it). */
  readonly processedEventRecord: boolean;
}

/** The alarms, by what they watch. */
export interface ReceiverAlarms {
  readonly deadLetterQueueAlarm: Alarm;
  readonly deadLetterAgeAlarm: Alarm;
  readonly oldestMessageAgeAlarm: Alarm;
  readonly serverErrorAlarm: Alarm;
  readonly clientErrorRateAlarm: Alarm;
  readonly verifierErrorAlarm: Alarm;
  readonly verifierTimeoutAlarm: Alarm;
  readonly verifierThrottleAlarm: Alarm;
  readonly signatureRejectionAlarm: Alarm;
  readonly rejectedNotKeptAlarm: Alarm;
  readonly processorErrorAlarm: Alarm;
  readonly processorFailureAlarm: Alarm;
  readonly processorThrottleAlarm: Alarm;
  /** Absent when the processed-events record is off. */
  readonly processedRecordAlarm?: Alarm;
}

/**
 * The 4xx-rate alarm: the share of answers (percent) at which it fires, and the requests a
 * 5-minute period must hold for the share to count (a few probes at night are no rate).
 */
export const CLIENT_ERROR_RATE = { percent: 20, minimumRequests: 20 } as const;

const SECONDS_PER_DAY = 86_400;

/** A number for a description, also when it is a token. */
const n = (value: number) => Tokenization.stringifyNumber(value);

/** Fires at or above the threshold, in `evaluationPeriods` periods out of as many; no data is fine. */
export function alarm(
  scope: Construct,
  id: string,
  metric: IMetric,
  threshold: number,
  description: string,
  periods = 1,
) {
  return new Alarm(scope, id, {
    metric,
    threshold,
    evaluationPeriods: periods,
    datapointsToAlarm: periods,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
    alarmDescription: description,
  });
}

/** The queue and API alarms: events parked, events waiting, the endpoint failing. */
function ingestAlarms(scope: Construct, inputs: AlarmInputs) {
  const { queue, deadLetterQueue, httpApi, oldestMessageAgeSeconds: age, serverErrorThreshold } = inputs;
  return {
    deadLetterQueueAlarm: alarm(
      scope,
      'DeadLetterQueueNotEmpty',
      deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: ONE_MINUTE,
        statistic: Stats.MAXIMUM,
      }),
      1,
      'Events are waiting on the dead-letter queue: inspect them (npm run cli -- status, docs/runbook.md "Dead-letter queue"), fix the cause, then move them back with npm run cli -- redrive.',
    ),
    oldestMessageAgeAlarm: alarm(
      scope,
      'OldestMessageTooOld',
      queue.metricApproximateAgeOfOldestMessage({ period: ONE_MINUTE, statistic: Stats.MAXIMUM }),
      age,
      `Events have waited over ${n(age)} s on the queue: the processor is failing, throttled or stuck on one connection's message group; check the processor alarms and logs (docs/runbook.md "Queue backlog").`,
      3,
    ),
    deadLetterAgeAlarm: deadLetterAgeAlarm(scope, inputs),
    clientErrorRateAlarm: clientErrorRateAlarm(scope, httpApi),
    serverErrorAlarm: alarm(
      scope,
      'ApiServerErrors',
      httpApi.metricServerError({ period: FIVE_MINUTES, statistic: Stats.SUM }),
      serverErrorThreshold,
      `The webhook endpoint answered 5xx ${n(serverErrorThreshold)}+ times in 5 minutes: OFAuth retries, but find the failing dependency (DependencyFailures, verifier logs) before its retries run out (docs/runbook.md "Verifier failing").`,
    ),
  };
}

/**
 * A message has sat on the dead-letter queue for half its retention. The not-empty alarm is in
 * ALARM since its first minute and notifies no more: this one tells again, while half the time is
 * left. On a FIFO queue the age counts from the move to the dead-letter queue, as the retention does.
 */
function deadLetterAgeAlarm(scope: Construct, inputs: AlarmInputs) {
  const retention = inputs.deadLetterRetentionSeconds;
  const threshold = Math.floor(retention / 2);
  const days = (seconds: number) => `${Number((seconds / SECONDS_PER_DAY).toFixed(1))} days`;
  return alarm(
    scope,
    'DeadLetterMessagesAging',
    inputs.deadLetterQueue.metricApproximateAgeOfOldestMessage({
      period: FIVE_MINUTES,
      statistic: Stats.MAXIMUM,
    }),
    threshold,
    `A message has waited on the dead-letter queue for ${days(threshold)}: SQS deletes it after ${days(retention)}, and it is lost; redrive it (npm run cli -- redrive) once its cause is fixed, or save it before then (docs/runbook.md "Dead-letter queue").`,
  );
}

/**
 * The share of 4xx answers. HTTP APIs publish no metric of their own for 429 (only `4xx`, `5xx`,
 * `Count`, latencies and bytes), so the stage throttle's answers are counted here with the rest.
 */
function clientErrorRateAlarm(scope: Construct, httpApi: IHttpApi) {
  const { percent, minimumRequests } = CLIENT_ERROR_RATE;
  const sum = { period: FIVE_MINUTES, statistic: Stats.SUM };
  return alarm(
    scope,
    'ApiClientErrorRate',
    new MathExpression({
      expression: `IF(requests >= ${minimumRequests}, 100 * clientErrors / requests, 0)`,
      usingMetrics: { requests: httpApi.metricCount(sum), clientErrors: httpApi.metricClientError(sum) },
      period: FIVE_MINUTES,
      label: '4xx share of requests (%)',
    }),
    percent,
    `${percent} %+ of the webhook endpoint's answers in 5 minutes were 4xx (of ${minimumRequests}+ requests): 429 is the stage throttle (raise throttleRateLimit / throttleBurstLimit; OFAuth retries meanwhile), 404 a wrong URL, 413 bodies over the limit, 401 signatures; the access log's status says which (docs/runbook.md "Client errors").`,
  );
}

/**
 * The verifier alarms: crashes, timeouts it answered itself, throttles, a spike of signature
 * rejections, and signed bodies answered 4xx that could not be kept.
 */
function verifierAlarms(scope: Construct, inputs: AlarmInputs, metrics: ReceiverMetrics) {
  const threshold = inputs.signatureRejectionThreshold;
  return {
    verifierErrorAlarm: alarm(
      scope,
      'VerifierErrors',
      inputs.verifier.metricErrors({ period: FIVE_MINUTES, statistic: Stats.SUM }),
      1,
      'The verifier crashed or timed out: read the error in its log group, fix and deploy; OFAuth retries the affected deliveries (docs/runbook.md "Verifier failing").',
    ),
    verifierTimeoutAlarm: alarm(
      scope,
      'VerifierTimeouts',
      metrics.metric('verifier', VERIFIER_METRICS.timeouts),
      1,
      'The verifier ran out of time and answered 503 (Lambda counts no error for it): OFAuth retries, but find the slow dependency in the verifier log group and compare its duration with its timeout (docs/runbook.md "Verifier failing").',
    ),
    verifierThrottleAlarm: alarm(
      scope,
      'VerifierThrottles',
      inputs.verifier.metricThrottles({ period: FIVE_MINUTES, statistic: Stats.SUM }),
      1,
      'The verifier is throttled by Lambda\'s concurrency limit: API Gateway answers those deliveries 5xx and OFAuth retries them; raise the account\'s concurrency quota or find the function using it up (docs/runbook.md "Verifier failing").',
    ),
    signatureRejectionAlarm: alarm(
      scope,
      'SignatureRejectionSpike',
      metrics.metric('verifier', VERIFIER_METRICS.signatureRejected),
      threshold,
      `${n(threshold)}+ signature rejections in 5 minutes: the signing secret was rotated in OFAuth but not added to Secrets Manager, or someone is probing the URL; compare with the OFAuth Dashboard's delivery history (docs/runbook.md "Signature rejections").`,
    ),
    rejectedNotKeptAlarm: alarm(
      scope,
      'RejectedBodiesNotKept',
      metrics.metric('verifier', VERIFIER_METRICS.rejectedNotKept),
      1,
      'A genuinely signed body was answered 4xx but could not be kept on the dead-letter queue: OFAuth will not resend it, and the verifier log line "keeping it on the dead-letter queue failed" is its only trace; fix the queue access, then ask OFAuth to resend the event (docs/runbook.md "Rejected bodies not kept").',
    ),
  };
}

/**
 * The processor alarms: failed batches, failed events (which Lambda's Errors never sees),
 * throttles, and failed writes to the processed-events record.
 */
function processorAlarms(scope: Construct, inputs: AlarmInputs, metrics: ReceiverMetrics) {
  const { processor } = inputs;
  return {
    processorErrorAlarm: alarm(
      scope,
      'ProcessorErrors',
      processor.metricErrors({ period: FIVE_MINUTES, statistic: Stats.SUM }),
      1,
      'The processor failed whole batches: the events are retried and end on the dead-letter queue after maxReceiveCount; read the processor log group, fix the handler and deploy (docs/runbook.md "Processor failing").',
    ),
    processorFailureAlarm: alarm(
      scope,
      'ProcessorEventFailures',
      metrics.metric('processor', PROCESSOR_METRICS.failures),
      1,
      'A processor handler failed events: they and the later events of their connections are retried, then moved to the dead-letter queue after maxReceiveCount; read the "event failed" lines in the processor log group, fix the handler and deploy (docs/runbook.md "Processor failing").',
    ),
    processorThrottleAlarm: alarm(
      scope,
      'ProcessorThrottles',
      processor.metricThrottles({ period: FIVE_MINUTES, statistic: Stats.SUM }),
      1,
      'The processor is throttled by Lambda\'s concurrency limit: the queue backs up until it recovers; raise the account\'s concurrency quota or find the function using it (docs/runbook.md "Processor failing").',
    ),
    ...(inputs.processedEventRecord && {
      processedRecordAlarm: alarm(
        scope,
        'ProcessedRecordWriteFailures',
        metrics.metric('processor', PROCESSOR_METRICS.processedRecordWriteFailures),
        1,
        'Handlers ran for events the processor could not record as processed (DynamoDB failing or throttled): a late duplicate of those events would run its handler again; read the "could not record the event as processed" lines in the processor log group and check the processed-events table (docs/runbook.md "Processed-events record failing").',
      ),
    }),
  };
}

/** Every alarm of the receiver. */
export function buildAlarms(scope: Construct, inputs: AlarmInputs, metrics: ReceiverMetrics): ReceiverAlarms {
  return {
    ...ingestAlarms(scope, inputs),
    ...verifierAlarms(scope, inputs, metrics),
    ...processorAlarms(scope, inputs, metrics),
  };
}
