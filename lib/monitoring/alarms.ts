/**
 * The receiver's eight alarms, each with a description that tells the operator what to do. They
 * read this receiver's queues, functions and API, and its own metrics only.
 */
import { Tokenization } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, type IMetric, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { PROCESSOR_METRICS, VERIFIER_METRICS } from '../../lambda/shared/metrics.ts';
import { FIVE_MINUTES, ONE_MINUTE, type ReceiverMetrics } from './receiver-metrics.ts';

/** What the alarms watch, and their thresholds. */
export interface AlarmInputs {
  readonly httpApi: IHttpApi;
  readonly verifier: IFunction;
  readonly processor: IFunction;
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly oldestMessageAgeSeconds: number;
  readonly signatureRejectionThreshold: number;
  readonly serverErrorThreshold: number;
}

/** The alarms, by what they watch. */
export interface ReceiverAlarms {
  readonly deadLetterQueueAlarm: Alarm;
  readonly oldestMessageAgeAlarm: Alarm;
  readonly serverErrorAlarm: Alarm;
  readonly verifierErrorAlarm: Alarm;
  readonly signatureRejectionAlarm: Alarm;
  readonly processorErrorAlarm: Alarm;
  readonly processorFailureAlarm: Alarm;
  readonly processorThrottleAlarm: Alarm;
}

/** A number for a description, also when it is a token. */
const n = (value: number) => Tokenization.stringifyNumber(value);

/** Fires at or above the threshold, in `evaluationPeriods` periods out of as many; no data is fine. */
function alarm(
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
    serverErrorAlarm: alarm(
      scope,
      'ApiServerErrors',
      httpApi.metricServerError({ period: FIVE_MINUTES, statistic: Stats.SUM }),
      serverErrorThreshold,
      `The webhook endpoint answered 5xx ${n(serverErrorThreshold)}+ times in 5 minutes: OFAuth retries, but find the failing dependency (DependencyFailures, verifier logs) before its retries run out (docs/runbook.md "Verifier failing").`,
    ),
  };
}

/** The verifier alarms: crashes, and a spike of signature rejections in its own metric. */
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
    signatureRejectionAlarm: alarm(
      scope,
      'SignatureRejectionSpike',
      metrics.metric('verifier', VERIFIER_METRICS.signatureRejected),
      threshold,
      `${n(threshold)}+ signature rejections in 5 minutes: the signing secret was rotated in OFAuth but not added to Secrets Manager, or someone is probing the URL; compare with the OFAuth Dashboard's delivery history (docs/runbook.md "Signature rejections").`,
    ),
  };
}

/** The processor alarms: failed batches, failed events (which Lambda's Errors never sees), throttles. */
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
