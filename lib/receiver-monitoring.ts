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
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { buildAlarms } from './monitoring/alarms.ts';
import { buildDashboard } from './monitoring/dashboard.ts';
import { ReceiverMetrics } from './monitoring/receiver-metrics.ts';
import type { ReceiverMetricsIdentity } from './receiver/identity.ts';

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
 * new ReceiverMonitoring(this, 'Monitoring', { receiverName, metrics, httpApi, verifier, processor, queue, deadLetterQueue });
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
    const metrics = new ReceiverMetrics(props.metrics);
    const oldestMessageAgeSeconds = (props.oldestMessageAgeThreshold ?? Duration.minutes(5)).toSeconds();
    const inputs = { ...props, oldestMessageAgeSeconds };

    const alarms = buildAlarms(
      this,
      {
        ...inputs,
        signatureRejectionThreshold: props.signatureRejectionThreshold ?? 10,
        serverErrorThreshold: props.serverErrorThreshold ?? 5,
      },
      metrics,
    );
    this.deadLetterQueueAlarm = alarms.deadLetterQueueAlarm;
    this.oldestMessageAgeAlarm = alarms.oldestMessageAgeAlarm;
    this.serverErrorAlarm = alarms.serverErrorAlarm;
    this.verifierErrorAlarm = alarms.verifierErrorAlarm;
    this.signatureRejectionAlarm = alarms.signatureRejectionAlarm;
    this.processorErrorAlarm = alarms.processorErrorAlarm;
    this.processorFailureAlarm = alarms.processorFailureAlarm;
    this.processorThrottleAlarm = alarms.processorThrottleAlarm;
    this.alarms = Object.values(alarms);

    if (props.alarmEmail !== undefined) {
      this.alarmTopic = this.createAlarmTopic(props.alarmEmail, props.removalPolicy ?? RemovalPolicy.RETAIN);
      this.notifyOnEveryAlarm(this.alarmTopic);
    }
    this.dashboard = buildDashboard(this, { ...inputs, alarms: this.alarms }, metrics);
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

  /** On alarm and on recovery. */
  private notifyOnEveryAlarm(topic: Topic): void {
    const action = new SnsAction(topic);
    for (const each of this.alarms) {
      each.addAlarmAction(action);
      each.addOkAction(action);
    }
  }
}
