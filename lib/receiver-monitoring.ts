/**
 * Alarms and a dashboard for the receiver: what an operator needs to notice a receiver that drops
 * or stalls, and to see the whole flow at a glance.
 *
 * Hand-written CloudWatch widgets and alarms rather than cdk-monitoring-constructs: that library
 * gives every alarm and dashboard a physical name (so two copies of the stack in one account
 * collide and renaming replaces resources) and cannot express the SEARCH expressions that split
 * rejections, processed events and lag by their `reason` / `eventType` dimensions.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  GraphWidgetView,
  type IMetric,
  MathExpression,
  Metric,
  PeriodOverride,
  Stats,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  EVENT_TYPE_DIMENSION,
  METRICS_NAMESPACE,
  PROCESSOR_METRICS,
  REASON_DIMENSION,
  SERVICE_NAMES,
  VERIFIER_METRICS,
} from '../lambda/shared/metrics.ts';

/** Powertools Metrics' default dimension, set from POWERTOOLS_SERVICE_NAME. */
const SERVICE_DIMENSION = 'service';
const FIVE_MINUTES = Duration.minutes(5);
const ONE_MINUTE = Duration.minutes(1);

/** Properties of {@link ReceiverMonitoring}. */
export interface ReceiverMonitoringProps {
  /** The webhook API. */
  readonly httpApi: IHttpApi;
  /** The verifier function. */
  readonly verifier: IFunction;
  /** The processor function. */
  readonly processor: IFunction;
  /** The event queue. */
  readonly queue: IQueue;
  /** The dead-letter queue. */
  readonly deadLetterQueue: IQueue;
  /**
   * Age of the oldest queued message above which the backlog alarm fires.
   *
   * @default Duration.minutes(5)
   */
  readonly oldestMessageAgeThreshold?: Duration;
  /**
   * Signature rejections within five minutes at which the rejection-spike alarm fires.
   *
   * @default 10
   */
  readonly signatureRejectionThreshold?: number;
  /**
   * API Gateway 5xx answers within five minutes at which the server-error alarm fires.
   *
   * @default 5
   */
  readonly serverErrorThreshold?: number;
  /**
   * An e-mail address subscribed to a topic that every alarm notifies (on alarm and on recovery).
   *
   * @default - no topic
   */
  readonly alarmEmail?: string;
  /**
   * Removal policy of the alarm topic's KMS key.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The receiver's alarms (each telling the operator what to do), its dashboard, and an optional
 * encrypted SNS topic with an e-mail subscription.
 *
 * @example
 * new ReceiverMonitoring(this, 'Monitoring', { httpApi, verifier, processor, queue, deadLetterQueue });
 */
export class ReceiverMonitoring extends Construct {
  /** Messages are on the dead-letter queue. */
  public readonly deadLetterQueueAlarm: Alarm;
  /** The oldest queued message is older than the threshold. */
  public readonly oldestMessageAgeAlarm: Alarm;
  /** The API answered 5xx. */
  public readonly serverErrorAlarm: Alarm;
  /** The verifier threw, timed out or ran out of memory. */
  public readonly verifierErrorAlarm: Alarm;
  /** Signature rejections spiked. */
  public readonly signatureRejectionAlarm: Alarm;
  /** The processor threw, timed out or ran out of memory. */
  public readonly processorErrorAlarm: Alarm;
  /** Events whose handler (or parsing) failed: the processor reports them as batch item failures. */
  public readonly processorFailureAlarm: Alarm;
  /** The processor was throttled. */
  public readonly processorThrottleAlarm: Alarm;
  /** Every alarm above. */
  public readonly alarms: readonly Alarm[];
  /** The flow at a glance. */
  public readonly dashboard: Dashboard;
  /** The topic every alarm notifies, when an e-mail address was given. */
  public readonly alarmTopic?: Topic;

  constructor(scope: Construct, id: string, props: ReceiverMonitoringProps) {
    super(scope, id);
    const oldestAge = props.oldestMessageAgeThreshold ?? Duration.minutes(5);
    const rejectionThreshold = props.signatureRejectionThreshold ?? 10;
    const serverErrorThreshold = props.serverErrorThreshold ?? 5;
    const { httpApi, verifier, processor, queue, deadLetterQueue } = props;

    /** One of our EMF metrics that carries only the `service` dimension, summed over 5 minutes. */
    const serviceMetric = (service: string, metricName: string) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { [SERVICE_DIMENSION]: service },
        statistic: Stats.SUM,
        period: FIVE_MINUTES,
      });
    const verifierMetric = (metricName: string) => serviceMetric(SERVICE_NAMES.verifier, metricName);

    const alarm = (
      alarmId: string,
      metric: IMetric,
      threshold: number,
      description: string,
      evaluationPeriods = 1,
    ) =>
      new Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods,
        datapointsToAlarm: evaluationPeriods,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });

    this.deadLetterQueueAlarm = alarm(
      'DeadLetterQueueNotEmpty',
      deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: ONE_MINUTE,
        statistic: Stats.MAXIMUM,
      }),
      1,
      'Events are waiting on the dead-letter queue: inspect them (npm run cli -- status, docs/runbook.md "Dead-letter queue"), fix the cause, then move them back with npm run cli -- redrive.',
    );
    this.oldestMessageAgeAlarm = alarm(
      'OldestMessageTooOld',
      queue.metricApproximateAgeOfOldestMessage({ period: ONE_MINUTE, statistic: Stats.MAXIMUM }),
      oldestAge.toSeconds(),
      `Events have waited over ${oldestAge.toSeconds()} s on the queue: the processor is failing, throttled or stuck on one connection's message group; check the processor alarms and logs (docs/runbook.md "Queue backlog").`,
      3,
    );
    this.serverErrorAlarm = alarm(
      'ApiServerErrors',
      httpApi.metricServerError({ period: FIVE_MINUTES, statistic: Stats.SUM }),
      serverErrorThreshold,
      `The webhook endpoint answered 5xx ${serverErrorThreshold}+ times in 5 minutes: OFAuth retries, but find the failing dependency (DependencyFailures, verifier logs) before its retries run out (docs/runbook.md "Verifier failing").`,
    );
    this.verifierErrorAlarm = alarm(
      'VerifierErrors',
      verifier.metricErrors({ period: FIVE_MINUTES, statistic: Stats.SUM }),
      1,
      'The verifier crashed or timed out: read the error in its log group, fix and deploy; OFAuth retries the affected deliveries (docs/runbook.md "Verifier failing").',
    );
    this.signatureRejectionAlarm = alarm(
      'SignatureRejectionSpike',
      verifierMetric(VERIFIER_METRICS.signatureRejected),
      rejectionThreshold,
      `${rejectionThreshold}+ signature rejections in 5 minutes: the signing secret was rotated in OFAuth but not added to Secrets Manager, or someone is probing the URL; compare with the OFAuth Dashboard's delivery history (docs/runbook.md "Signature rejections").`,
    );
    this.processorErrorAlarm = alarm(
      'ProcessorErrors',
      processor.metricErrors({ period: FIVE_MINUTES, statistic: Stats.SUM }),
      1,
      'The processor failed whole batches: the events are retried and end on the dead-letter queue after maxReceiveCount; read the processor log group, fix the handler and deploy (docs/runbook.md "Processor failing").',
    );
    this.processorFailureAlarm = alarm(
      'ProcessorEventFailures',
      serviceMetric(SERVICE_NAMES.processor, PROCESSOR_METRICS.failures),
      1,
      'A processor handler failed events: they and the later events of their connections are retried, then moved to the dead-letter queue after maxReceiveCount; read the "event failed" lines in the processor log group, fix the handler and deploy (docs/runbook.md "Processor failing").',
    );
    this.processorThrottleAlarm = alarm(
      'ProcessorThrottles',
      processor.metricThrottles({ period: FIVE_MINUTES, statistic: Stats.SUM }),
      1,
      'The processor is throttled by Lambda\'s concurrency limit: the queue backs up until it recovers; raise the account\'s concurrency quota or find the function using it (docs/runbook.md "Processor failing").',
    );
    this.alarms = [
      this.deadLetterQueueAlarm,
      this.oldestMessageAgeAlarm,
      this.serverErrorAlarm,
      this.verifierErrorAlarm,
      this.signatureRejectionAlarm,
      this.processorErrorAlarm,
      this.processorFailureAlarm,
      this.processorThrottleAlarm,
    ];

    if (props.alarmEmail !== undefined) {
      this.alarmTopic = this.createAlarmTopic(props.alarmEmail, props.removalPolicy ?? RemovalPolicy.RETAIN);
      const action = new SnsAction(this.alarmTopic);
      for (const each of this.alarms) {
        each.addAlarmAction(action);
        each.addOkAction(action);
      }
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      periodOverride: PeriodOverride.AUTO,
    });
    const search = (
      metricName: string,
      dimension: string,
      service: string,
      statistic: string,
      label: string,
    ) =>
      new MathExpression({
        expression: `SEARCH('{${METRICS_NAMESPACE},${dimension},${SERVICE_DIMENSION}} MetricName="${metricName}" ${SERVICE_DIMENSION}="${service}"', '${statistic}', 300)`,
        usingMetrics: {},
        label,
        period: FIVE_MINUTES,
      });
    const graph = (title: string, left: IMetric[], options: { right?: IMetric[]; width?: number } = {}) =>
      new GraphWidget({
        title,
        left,
        right: options.right ?? [],
        width: options.width ?? 8,
        height: 6,
        view: GraphWidgetView.TIME_SERIES,
      });
    const lambdaPercentiles = (fn: IFunction, name: string) =>
      [Stats.p(50), Stats.p(90), Stats.p(99)].map((statistic) =>
        fn.metricDuration({ statistic, period: FIVE_MINUTES, label: `${name} ${statistic}` }),
      );

    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `## OFAuth webhook receiver (${Stack.of(this).stackName})\nOFAuth → API → verifier → FIFO queue → processor. What each alarm means and what to do: \`docs/runbook.md\`.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Alarms', alarms: [...this.alarms], width: 24, height: 3 }),
    );
    this.dashboard.addWidgets(
      graph('Requests (API)', [
        httpApi.metricCount({ period: FIVE_MINUTES, statistic: Stats.SUM, label: 'requests' }),
        httpApi.metricClientError({ period: FIVE_MINUTES, statistic: Stats.SUM, label: '4xx' }),
        httpApi.metricServerError({ period: FIVE_MINUTES, statistic: Stats.SUM, label: '5xx' }),
      ]),
      graph('Deliveries (verifier)', [
        verifierMetric(VERIFIER_METRICS.received).with({ label: 'received' }),
        verifierMetric(VERIFIER_METRICS.enqueued).with({ label: 'enqueued' }),
        verifierMetric(VERIFIER_METRICS.duplicates).with({ label: 'duplicates' }),
        verifierMetric(VERIFIER_METRICS.tooLarge).with({ label: 'too large' }),
        verifierMetric(VERIFIER_METRICS.dependencyFailures).with({ label: 'dependency failures' }),
      ]),
      graph('Rejections by reason', [
        search(VERIFIER_METRICS.rejected, REASON_DIMENSION, SERVICE_NAMES.verifier, 'Sum', ''),
        verifierMetric(VERIFIER_METRICS.signatureRejected).with({ label: 'signature rejections (all)' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Processed by event type', [
        search(PROCESSOR_METRICS.processed, EVENT_TYPE_DIMENSION, SERVICE_NAMES.processor, 'Sum', ''),
      ]),
      graph('Failed by event type', [
        search(PROCESSOR_METRICS.failed, EVENT_TYPE_DIMENSION, SERVICE_NAMES.processor, 'Sum', ''),
      ]),
      graph('Processing lag p99 (ms) by event type', [
        search(PROCESSOR_METRICS.lag, EVENT_TYPE_DIMENSION, SERVICE_NAMES.processor, 'p99', ''),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Queue depth', [
        queue.metricApproximateNumberOfMessagesVisible({
          period: ONE_MINUTE,
          statistic: Stats.MAXIMUM,
          label: 'waiting',
        }),
        queue.metricApproximateNumberOfMessagesNotVisible({
          period: ONE_MINUTE,
          statistic: Stats.MAXIMUM,
          label: 'in flight',
        }),
      ]),
      new GraphWidget({
        title: 'Oldest queued message (s)',
        left: [
          queue.metricApproximateAgeOfOldestMessage({
            period: ONE_MINUTE,
            statistic: Stats.MAXIMUM,
            label: 'age',
          }),
        ],
        leftAnnotations: [{ value: oldestAge.toSeconds(), label: 'alarm' }],
        width: 8,
        height: 6,
      }),
      graph('Dead-letter queue depth', [
        deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: ONE_MINUTE,
          statistic: Stats.MAXIMUM,
          label: 'messages',
        }),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'API latency (ms)',
        [Stats.p(50), Stats.p(90), Stats.p(99)].map((statistic) =>
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
      graph('Verifier duration (ms)', lambdaPercentiles(verifier, 'verifier')),
      graph('Processor duration (ms)', lambdaPercentiles(processor, 'processor')),
    );
    this.dashboard.addWidgets(
      graph(
        'Lambda errors and throttles',
        [
          verifier.metricErrors({ period: FIVE_MINUTES, statistic: Stats.SUM, label: 'verifier errors' }),
          processor.metricErrors({ period: FIVE_MINUTES, statistic: Stats.SUM, label: 'processor errors' }),
          verifier.metricThrottles({
            period: FIVE_MINUTES,
            statistic: Stats.SUM,
            label: 'verifier throttles',
          }),
          processor.metricThrottles({
            period: FIVE_MINUTES,
            statistic: Stats.SUM,
            label: 'processor throttles',
          }),
        ],
        { width: 12 },
      ),
      graph(
        'Lambda concurrency',
        [
          verifier.metric('ConcurrentExecutions', {
            period: ONE_MINUTE,
            statistic: Stats.MAXIMUM,
            label: 'verifier',
          }),
          processor.metric('ConcurrentExecutions', {
            period: ONE_MINUTE,
            statistic: Stats.MAXIMUM,
            label: 'processor',
          }),
        ],
        { width: 12 },
      ),
    );
  }

  /**
   * An SNS topic encrypted with its own key (CloudWatch cannot publish to a topic encrypted with
   * the AWS-managed SNS key), TLS-only, with one e-mail subscription.
   */
  private createAlarmTopic(email: string, removalPolicy: RemovalPolicy): Topic {
    const key = new Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the webhook receiver alarm topic.',
      enableKeyRotation: true,
      removalPolicy,
    });
    key.addToResourcePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    const topic = new Topic(this, 'AlarmTopic', {
      displayName: 'OFAuth webhook receiver alarms',
      masterKey: key,
      enforceSSL: true,
    });
    topic.addSubscription(new EmailSubscription(email));
    return topic;
  }
}
