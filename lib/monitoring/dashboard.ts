/**
 * The receiver's dashboard: the flow at a glance, row by row from the API to the processor, and
 * the state of every alarm. Each row is one function below.
 */
import { Duration } from 'aws-cdk-lib';
import {
  type Alarm,
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  GraphWidgetView,
  type IMetric,
  type IWidget,
  PeriodOverride,
  Stats,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import {
  EVENT_TYPE_DIMENSION,
  PROCESSOR_METRICS,
  REASON_DIMENSION,
  VERIFIER_METRICS,
} from '../../lambda/shared/metrics.ts';
import { FIVE_MINUTES, ONE_MINUTE, type ReceiverMetrics, type WatchedResources } from './receiver-metrics.ts';

/** What the dashboard shows. */
export interface DashboardInputs extends WatchedResources {
  readonly receiverName: string;
  /** The live list: an alarm added to it after the dashboard is built (the archive's) shows too. */
  readonly alarms: Alarm[];
}

function graph(title: string, left: IMetric[], options: { right?: IMetric[]; width?: number } = {}) {
  return new GraphWidget({
    title,
    left,
    right: options.right ?? [],
    width: options.width ?? 8,
    height: 6,
    view: GraphWidgetView.TIME_SERIES,
  });
}

const percentiles = [Stats.p(50), Stats.p(90), Stats.p(99)];

function headerRow(inputs: DashboardInputs): IWidget[] {
  return [
    new TextWidget({
      markdown: `## OFAuth webhook receiver (${inputs.receiverName})\nOFAuth → API → verifier → FIFO queue → processor. What each alarm means and what to do: \`docs/runbook.md\`.`,
      width: 24,
      height: 2,
    }),
  ];
}

function ingestRow({ httpApi }: DashboardInputs, metrics: ReceiverMetrics): IWidget[] {
  const sum = (label: string) => ({ period: FIVE_MINUTES, statistic: Stats.SUM, label });
  const verifier = (name: string, label: string) => metrics.metric('verifier', name, label);
  return [
    graph('Requests (API)', [
      httpApi.metricCount(sum('requests')),
      httpApi.metricClientError(sum('4xx')),
      httpApi.metricServerError(sum('5xx')),
    ]),
    graph('Deliveries (verifier)', [
      verifier(VERIFIER_METRICS.received, 'received'),
      verifier(VERIFIER_METRICS.enqueued, 'enqueued'),
      verifier(VERIFIER_METRICS.duplicates, 'duplicates'),
      verifier(VERIFIER_METRICS.tooLarge, 'too large'),
      verifier(VERIFIER_METRICS.dependencyFailures, 'dependency failures'),
      verifier(VERIFIER_METRICS.timeouts, 'timeouts'),
      verifier(VERIFIER_METRICS.rejectedNotKept, 'rejected bodies not kept'),
    ]),
    graph('Rejections by reason', [
      metrics.search('verifier', VERIFIER_METRICS.rejected, REASON_DIMENSION, 'Sum'),
      verifier(VERIFIER_METRICS.signatureRejected, 'signature rejections (all)'),
    ]),
  ];
}

function processingRow(metrics: ReceiverMetrics): IWidget[] {
  const byType = (name: string, statistic: string) =>
    metrics.search('processor', name, EVENT_TYPE_DIMENSION, statistic);
  return [
    graph('Processed by event type', [byType(PROCESSOR_METRICS.processed, 'Sum')]),
    graph('Failed by event type', [
      byType(PROCESSOR_METRICS.failed, 'Sum'),
      metrics.metric(
        'processor',
        PROCESSOR_METRICS.processedRecordWriteFailures,
        'processed-record write failures',
      ),
    ]),
    graph('Processing lag p99 (ms) by event type', [byType(PROCESSOR_METRICS.lag, 'p99')]),
  ];
}

function queueRow({ queue, deadLetterQueue, oldestMessageAgeSeconds }: DashboardInputs): IWidget[] {
  const max = (label: string) => ({ period: ONE_MINUTE, statistic: Stats.MAXIMUM, label });
  return [
    graph('Queue depth', [
      queue.metricApproximateNumberOfMessagesVisible(max('waiting')),
      queue.metricApproximateNumberOfMessagesNotVisible(max('in flight')),
    ]),
    new GraphWidget({
      title: 'Oldest queued message (s)',
      left: [queue.metricApproximateAgeOfOldestMessage(max('age'))],
      leftAnnotations: [{ value: oldestMessageAgeSeconds, label: 'alarm' }],
      width: 8,
      height: 6,
    }),
    graph(
      'Dead-letter queue depth',
      [deadLetterQueue.metricApproximateNumberOfMessagesVisible(max('messages'))],
      {
        // Its messages are deleted at the end of the retention: the age says how close that is.
        right: [deadLetterQueue.metricApproximateAgeOfOldestMessage(max('oldest dead-letter message (s)'))],
      },
    ),
  ];
}

function latencyRow({ httpApi, verifier, processor }: DashboardInputs): IWidget[] {
  const durations = (fn: IFunction, name: string) =>
    percentiles.map((statistic) =>
      fn.metricDuration({ statistic, period: FIVE_MINUTES, label: `${name} ${statistic}` }),
    );
  return [
    graph(
      'API latency (ms)',
      percentiles.map((statistic) =>
        httpApi.metricLatency({ statistic, period: FIVE_MINUTES, label: `latency ${statistic}` }),
      ),
      {
        right: [
          httpApi.metricIntegrationLatency({
            statistic: Stats.p(99),
            period: FIVE_MINUTES,
            label: 'integration p99',
          }),
        ],
      },
    ),
    graph('Verifier duration (ms)', durations(verifier, 'verifier')),
    graph('Processor duration (ms)', durations(processor, 'processor')),
  ];
}

function lambdaRow({ verifier, processor }: DashboardInputs): IWidget[] {
  const sum = (label: string) => ({ period: FIVE_MINUTES, statistic: Stats.SUM, label });
  const concurrency = (fn: IFunction, label: string) =>
    fn.metric('ConcurrentExecutions', { period: ONE_MINUTE, statistic: Stats.MAXIMUM, label });
  return [
    graph(
      'Lambda errors and throttles',
      [
        verifier.metricErrors(sum('verifier errors')),
        processor.metricErrors(sum('processor errors')),
        verifier.metricThrottles(sum('verifier throttles')),
        processor.metricThrottles(sum('processor throttles')),
      ],
      { width: 12 },
    ),
    graph('Lambda concurrency', [concurrency(verifier, 'verifier'), concurrency(processor, 'processor')], {
      width: 12,
    }),
  ];
}

/** The dashboard, unnamed (CloudFormation names it, so copies never collide). */
export function buildDashboard(
  scope: Construct,
  inputs: DashboardInputs,
  metrics: ReceiverMetrics,
): Dashboard {
  const dashboard = new Dashboard(scope, 'Dashboard', {
    defaultInterval: Duration.hours(3),
    periodOverride: PeriodOverride.AUTO,
  });
  dashboard.addWidgets(...headerRow(inputs));
  dashboard.addWidgets(
    new AlarmStatusWidget({ title: 'Alarms', alarms: inputs.alarms, width: 24, height: 3 }),
  );
  dashboard.addWidgets(...ingestRow(inputs, metrics));
  dashboard.addWidgets(...processingRow(metrics));
  dashboard.addWidgets(...queueRow(inputs));
  dashboard.addWidgets(...latencyRow(inputs));
  dashboard.addWidgets(...lambdaRow(inputs));
  return dashboard;
}
