/**
 * Alarms and a dashboard for the receiver: what an operator needs to notice a receiver that drops
 * or stalls, and to see the whole flow at a glance. The alarms are in `monitoring/alarms.ts`, the
 * dashboard in `monitoring/dashboard.ts`.
 *
 * Hand-written CloudWatch widgets and alarms rather than cdk-monitoring-constructs: that library
 * gives every alarm and dashboard a physical name (so two copies of the stack in one account
 * collide and renaming replaces resources) and cannot express the SEARCH expressions that split
 * rejections, processed events and lag by their `reason` / `eventType` dimensions.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Alarm, Dashboard } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVENT_QUEUE } from '../lambda/shared/resource-definitions.ts';
import { buildAlarms } from './monitoring/alarms.ts';
import { archiveAlarms, archiveRow } from './monitoring/archive.ts';
import { buildDashboard } from './monitoring/dashboard.ts';
import { ReceiverMetrics } from './monitoring/receiver-metrics.ts';
import type { ReceiverMetricsIdentity } from './receiver/identity.ts';
import type { ReceiverArchive } from './receiver-archive.ts';

/** Properties of {@link ReceiverMonitoring}. */
export interface ReceiverMonitoringProps {
  /** The receiver's name, shown on the dashboard. */
  readonly receiverName: string;
  /** Where the receiver's functions publish their metrics; the alarms and graphs read only these. */
  readonly metrics: ReceiverMetricsIdentity;
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
   * The dead-letter queue's message retention: the alarm on its oldest message fires at half of it.
   *
   * @default Duration.days(14)
   */
  readonly deadLetterRetention?: Duration;
  /**
   * Whether the processor keeps the processed-events record; when it does, failed writes to it
   * have an alarm.
   *
   * @default true
   */
  readonly processedEventRecord?: boolean;
  /**
   * A topic that every alarm notifies (on alarm and on recovery).
   *
   * @default - a topic of its own when `alarmEmail` is given, else none
   */
  readonly alarmTopic?: ITopic;
  /**
   * An e-mail address subscribed to the alarm topic (`alarmTopic`, or one created for it).
   *
   * @default - no subscription
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
 * new ReceiverMonitoring(this, 'Monitoring', { receiverName, metrics, httpApi, verifier, processor, queue, deadLetterQueue });
 */
export class ReceiverMonitoring extends Construct {
  /** Messages are on the dead-letter queue. */
  public readonly deadLetterQueueAlarm: Alarm;
  /** A message has waited on the dead-letter queue for half its retention. */
  public readonly deadLetterAgeAlarm: Alarm;
  /** The oldest queued message is older than the threshold. */
  public readonly oldestMessageAgeAlarm: Alarm;
  /** The API answered 5xx. */
  public readonly serverErrorAlarm: Alarm;
  /** A large share of the API's answers were 4xx (429s of the stage throttle included). */
  public readonly clientErrorRateAlarm: Alarm;
  /** The verifier threw, timed out or ran out of memory. */
  public readonly verifierErrorAlarm: Alarm;
  /** The verifier ran out of time and answered 503 itself (which Lambda's `Errors` does not count). */
  public readonly verifierTimeoutAlarm: Alarm;
  /** The verifier was throttled. */
  public readonly verifierThrottleAlarm: Alarm;
  /** Signature rejections spiked. */
  public readonly signatureRejectionAlarm: Alarm;
  /** A signed body answered 4xx could not be kept on the dead-letter queue. */
  public readonly rejectedNotKeptAlarm: Alarm;
  /** The processor threw, timed out or ran out of memory. */
  public readonly processorErrorAlarm: Alarm;
  /** Events whose handler (or parsing) failed: the processor reports them as batch item failures. */
  public readonly processorFailureAlarm: Alarm;
  /** The processor was throttled. */
  public readonly processorThrottleAlarm: Alarm;
  /** Handled events could not be written to the processed-events record (when it is on). */
  public readonly processedRecordAlarm?: Alarm;
  /** The flow at a glance. */
  public readonly dashboard: Dashboard;
  /** The topic every alarm notifies: the one given, or the one created for an e-mail address. */
  public readonly alarmTopic?: ITopic;
  /** Every alarm, the added ones included; the dashboard's alarm widget reads it when rendered. */
  readonly #alarms: Alarm[] = [];
  /** The receiver's own metrics, for the alarms and rows added after construction. */
  readonly #metrics: ReceiverMetrics;

  constructor(scope: Construct, id: string, props: ReceiverMonitoringProps) {
    super(scope, id);
    const metrics = new ReceiverMetrics(props.metrics);
    this.#metrics = metrics;
    const oldestMessageAgeSeconds = (props.oldestMessageAgeThreshold ?? Duration.minutes(5)).toSeconds();
    const inputs = { ...props, oldestMessageAgeSeconds };

    const alarms = buildAlarms(
      this,
      {
        ...inputs,
        signatureRejectionThreshold: props.signatureRejectionThreshold ?? 10,
        serverErrorThreshold: props.serverErrorThreshold ?? 5,
        deadLetterRetentionSeconds: (
          props.deadLetterRetention ?? Duration.seconds(EVENT_QUEUE.retentionSeconds)
        ).toSeconds(),
        processedEventRecord: props.processedEventRecord ?? true,
      },
      metrics,
    );
    this.deadLetterQueueAlarm = alarms.deadLetterQueueAlarm;
    this.deadLetterAgeAlarm = alarms.deadLetterAgeAlarm;
    this.oldestMessageAgeAlarm = alarms.oldestMessageAgeAlarm;
    this.serverErrorAlarm = alarms.serverErrorAlarm;
    this.clientErrorRateAlarm = alarms.clientErrorRateAlarm;
    this.verifierErrorAlarm = alarms.verifierErrorAlarm;
    this.verifierTimeoutAlarm = alarms.verifierTimeoutAlarm;
    this.verifierThrottleAlarm = alarms.verifierThrottleAlarm;
    this.signatureRejectionAlarm = alarms.signatureRejectionAlarm;
    this.rejectedNotKeptAlarm = alarms.rejectedNotKeptAlarm;
    this.processorErrorAlarm = alarms.processorErrorAlarm;
    this.processorFailureAlarm = alarms.processorFailureAlarm;
    this.processorThrottleAlarm = alarms.processorThrottleAlarm;
    if (alarms.processedRecordAlarm) this.processedRecordAlarm = alarms.processedRecordAlarm;

    const topic =
      props.alarmTopic ??
      (props.alarmEmail !== undefined
        ? this.createAlarmTopic(props.removalPolicy ?? RemovalPolicy.RETAIN)
        : undefined);
    if (topic) this.alarmTopic = topic;
    if (topic && props.alarmEmail !== undefined)
      topic.addSubscription(new EmailSubscription(props.alarmEmail));
    for (const each of Object.values(alarms)) this.addAlarm(each);
    this.dashboard = buildDashboard(this, { ...inputs, alarms: this.#alarms }, metrics);
  }

  /** Every alarm: the receiver's own and those added with {@link addAlarm} (the archive's). */
  get alarms(): readonly Alarm[] {
    return [...this.#alarms];
  }

  /**
   * Alarms and a dashboard row for the archive, built from the metrics it hands over; the alarms
   * join {@link alarms}, notify the topic and show on the alarm widget.
   */
  watchArchive(archive: ReceiverArchive): Alarm[] {
    const alarms = archiveAlarms(archive, this.#metrics);
    for (const each of alarms) this.addAlarm(each);
    this.dashboard.addWidgets(archiveRow(archive, this.#metrics));
    return alarms;
  }

  /**
   * Takes an alarm of another part of the receiver (the archive's) into the monitoring: it
   * notifies the alarm topic, when there is one, and shows on the dashboard's alarm widget.
   */
  addAlarm(alarm: Alarm): void {
    this.#alarms.push(alarm);
    if (this.alarmTopic) {
      const action = new SnsAction(this.alarmTopic);
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }

  /**
   * An SNS topic encrypted with its own key (CloudWatch cannot publish to a topic encrypted with
   * the AWS-managed SNS key), TLS-only.
   */
  private createAlarmTopic(removalPolicy: RemovalPolicy): Topic {
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
    return topic;
  }
}
