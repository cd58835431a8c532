/**
 * The whole OFAuth Realtime webhook receiver as one construct: HTTP API → verifier → SQS FIFO →
 * processor, with the signing secret, the idempotency ledger, the connections table, the
 * dead-letter queue and the monitoring that belongs to them. Each part is built in its own module
 * under `receiver/`; the constructor reads as their table of contents.
 */
import { Annotations, Stack, Token } from 'aws-cdk-lib';
import type { HttpApi, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  type IMetric,
  MathExpression,
  type Metric,
  type MetricOptions,
  Stats,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PROCESSOR_METRICS, VERIFIER_METRICS } from '../lambda/shared/metrics.ts';
import { FIVE_MINUTES, ONE_MINUTE, ReceiverMetrics } from './monitoring/receiver-metrics.ts';
import { ProcessedEventsTable } from './processed-events-table.ts';
import { buildApi } from './receiver/api.ts';
import { type ReceiverSettings, resolveReceiverSettings } from './receiver/defaults.ts';
import { ReceiverEventBus } from './receiver/event-bus.ts';
import { buildProcessor, buildVerifier } from './receiver/functions.ts';
import { type GrantTargets, grantReadConnections, grantRedrive, grantReplay } from './receiver/grants.ts';
import {
  defaultReceiverName,
  type ReceiverMetricsIdentity,
  receiverMetricsIdentity,
} from './receiver/identity.ts';
import { buildQueues } from './receiver/queues.ts';
import { buildConnectionsTable, buildLedgerTable, buildSigningSecret } from './receiver/storage.ts';
import { InvalidReceiverPropsError, validateReceiverProps } from './receiver/validate-props.ts';
import { ReceiverArchive } from './receiver-archive.ts';
import { ReceiverMonitoring } from './receiver-monitoring.ts';
import type { OFAuthWebhookReceiverProps } from './receiver-props.ts';

export { WEBHOOK_PATH } from './receiver/api.ts';

/**
 * The OFAuth Realtime webhook receiver: every resource of the ingest and processing path.
 *
 * @example
 * const receiver = new OFAuthWebhookReceiver(stack, 'Receiver', {
 *   processorProps: { entry: 'src/ofauth-processor.ts' }, // your handler file; omit for the defaults
 *   alarmEmail: 'oncall@example.com',
 * });
 * new CfnOutput(stack, 'WebhookUrl', { value: receiver.webhookUrl });
 */
export class OFAuthWebhookReceiver extends Construct {
  /** What sets this receiver apart in its account and region (metrics, logs, dashboard). */
  public readonly receiverName: string;
  /** Where the functions publish their metrics, and under which `service` values. */
  public readonly metrics: ReceiverMetricsIdentity;
  /** The HTTP API OFAuth posts to. */
  public readonly httpApi: HttpApi;
  /** The API's default stage, with throttling and access logs. */
  public readonly stage: HttpStage;
  /** The full URL to paste into the OFAuth Dashboard. */
  public readonly webhookUrl: string;
  /** The secret holding the signing secret(s). */
  public readonly signingSecret: ISecret;
  /**
   * The idempotency ledger of earlier releases, kept so that an upgrade deletes no table; no
   * function uses it any more (the event record took its place). Delete it after an upgrade.
   */
  public readonly ledgerTable: Table;
  /** The connection registry and latest Dynamic Rules revision. */
  public readonly connectionsTable: Table;
  /** The FIFO queue between the verifier and the processor. */
  public readonly queue: Queue;
  /** The FIFO dead-letter queue. */
  public readonly deadLetterQueue: Queue;
  /** The function behind the API: verifies, deduplicates and enqueues. */
  public readonly verifier: NodejsFunction;
  /** The function that consumes the queue. */
  public readonly processor: NodejsFunction;
  /** The verifier's log group. */
  public readonly verifierLogGroup: LogGroup;
  /** The processor's log group. */
  public readonly processorLogGroup: LogGroup;
  /** The API's access log group. */
  public readonly accessLogGroup: LogGroup;
  /** The alarms, the dashboard and the optional alarm topic. */
  public readonly monitoring: ReceiverMonitoring;
  /** The event archive (bucket and Firehose stream), unless `archive` is false. */
  public readonly archive?: ReceiverArchive;
  /** The event record's table: the verifier claims each event there, the processor records its fate. */
  public readonly processedEvents: ProcessedEventsTable;
  /** The fan-out to `eventBus` (its alarm and schema registry), when the prop is given. */
  public readonly eventBus?: ReceiverEventBus;

  constructor(scope: Construct, id: string, props: OFAuthWebhookReceiverProps = {}) {
    super(scope, id);
    validateReceiverProps(props);
    const settings = resolveReceiverSettings(props, defaultReceiverName(this));
    this.rejectDuplicateName(settings.receiverName);
    this.receiverName = settings.receiverName;
    this.metrics = receiverMetricsIdentity(settings.receiverName, settings.metricsNamespace);

    const storage = { removalPolicy: settings.removalPolicy, encryptionKey: settings.encryptionKey };
    this.signingSecret = buildSigningSecret(this, settings.signingSecret, storage);
    this.ledgerTable = buildLedgerTable(this, storage, settings.ledgerTableProps);
    this.connectionsTable = buildConnectionsTable(this, storage, settings.connectionsTableProps);

    const queues = buildQueues(this, { ...settings, ...storage });
    this.queue = queues.queue;
    this.deadLetterQueue = queues.deadLetterQueue;

    const { signingSecret, connectionsTable } = this;
    const verifier = buildVerifier(this, { signingSecret, ...queues }, settings, this.metrics);
    this.verifier = verifier.fn;
    this.verifierLogGroup = verifier.logGroup;
    const processor = buildProcessor(this, { connectionsTable, ...queues }, settings, this.metrics);
    this.processor = processor.fn;
    this.processorLogGroup = processor.logGroup;
    this.archive = this.buildArchive(settings);
    this.processedEvents = this.buildProcessedEvents(settings);

    const api = buildApi(this, { ...settings, verifier: this.verifier });
    this.httpApi = api.httpApi;
    this.stage = api.stage;
    this.accessLogGroup = api.accessLogGroup;
    this.webhookUrl = api.webhookUrl;

    this.monitoring = this.buildMonitoring(settings);
    if (this.archive) this.monitoring.watchArchive(this.archive);
    if (settings.eventBus) {
      this.eventBus = new ReceiverEventBus(this, 'EventBus', {
        eventBus: settings.eventBus,
        processor: this.processor,
        metrics: new ReceiverMetrics(this.metrics),
        receiverName: this.receiverName,
      });
      this.monitoring.addAlarm(this.eventBus.notPublishedAlarm);
    }
  }

  /** The archive of every event the processor receives, for replay. */
  private buildArchive(settings: ReceiverSettings): ReceiverArchive | undefined {
    if (!settings.archive) return undefined;
    const archive = new ReceiverArchive(this, 'Archive', {
      retention: settings.archiveRetention,
      removalPolicy: settings.removalPolicy,
      logRetention: settings.logRetention,
      ...(settings.encryptionKey && { encryptionKey: settings.encryptionKey }),
    });
    archive.connectProcessor(this.processor);
    return archive;
  }

  /**
   * The event record, which both functions use. The verifier is updated after the processor: a
   * processor of an earlier release would read the verifier's claim as "processed" and skip the
   * event, so no claim may be written before every processor reads the record this way.
   */
  private buildProcessedEvents(settings: ReceiverSettings): ProcessedEventsTable {
    if (!settings.processedEventRecord) {
      Annotations.of(this).addWarningV2(
        'ofauth:processedEventRecordIgnored',
        'processedEventRecord: false is ignored: the verifier deduplicates deliveries with the event record, so it is always kept (docs/use-as-a-library.md, "Upgrading").',
      );
    }
    const table = new ProcessedEventsTable(this, 'ProcessedEvents', {
      ttl: settings.ledgerTtl,
      removalPolicy: settings.removalPolicy,
      ...(settings.encryptionKey && { encryptionKey: settings.encryptionKey }),
      ...(settings.processedEventsTableProps && { tableProps: settings.processedEventsTableProps }),
    });
    table.connectProcessor(this.processor);
    table.connectVerifier(this.verifier);
    this.verifier.node.addDependency(this.processor);
    return table;
  }

  /** Alarms on every part above and the dashboard; they read only this receiver's metrics. */
  private buildMonitoring(settings: ReceiverSettings): ReceiverMonitoring {
    return new ReceiverMonitoring(this, 'Monitoring', {
      receiverName: this.receiverName,
      metrics: this.metrics,
      httpApi: this.httpApi,
      verifier: this.verifier,
      processor: this.processor,
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      oldestMessageAgeThreshold: settings.oldestMessageAgeAlarmThreshold,
      signatureRejectionThreshold: settings.signatureRejectionAlarmThreshold,
      serverErrorThreshold: settings.serverErrorAlarmThreshold,
      processedEventRecord: true,
      ...(settings.deadLetterQueueProps?.retentionPeriod && {
        deadLetterRetention: settings.deadLetterQueueProps.retentionPeriod,
      }),
      removalPolicy: settings.removalPolicy,
      ...(settings.alarmEmail !== undefined && { alarmEmail: settings.alarmEmail }),
      ...(settings.alarmTopic && { alarmTopic: settings.alarmTopic }),
    });
  }

  /**
   * Lets `grantee` run `npm run cli -- replay` against this receiver: list and read the archive's
   * event objects, send to the event queue, read the stack's outputs, and use the customer-managed
   * key (when `encryptionKey` is given) to decrypt archived objects and encrypt queue messages
   * (`kms:Decrypt`, `kms:GenerateDataKey`).
   *
   * @throws when the receiver has no archive (`archive: false`)
   */
  grantReplay(grantee: IGrantable): Grant {
    return grantReplay(grantee, this.grantTargets());
  }

  /**
   * Lets `grantee` run `npm run cli -- redrive`: an SQS message move task from the dead-letter
   * queue to the event queue (receive, delete and read attributes on the dead-letter queue, send
   * to the event queue, start, list and cancel move tasks), read the stack's outputs, and use the
   * customer-managed key of the queues, when there is one.
   */
  grantRedrive(grantee: IGrantable): Grant {
    return grantRedrive(grantee, this.grantTargets());
  }

  /**
   * Lets `grantee` read the connection registry and the latest rules, as the kit's
   * `getConnection`, `findConnectionsByClientReferenceId` and `getLatestRules` do (items by key,
   * the index by client reference id), decrypting with the customer-managed key when there is one.
   */
  grantReadConnections(grantee: IGrantable): Grant {
    return grantReadConnections(grantee, this.grantTargets());
  }

  /**
   * Events the verifier put on the queue (after the signature check and deduplication).
   *
   * @default - sum over 5 minutes
   */
  metricEventsEnqueued(props?: MetricOptions): Metric {
    return new ReceiverMetrics(this.metrics).metric('verifier', VERIFIER_METRICS.enqueued).with(props ?? {});
  }

  /**
   * Events the processor's handlers completed, all event types together. A SEARCH over the
   * `eventType` series: for graphs (CloudWatch alarms cannot read SEARCH expressions).
   *
   * @default - sum over 5 minutes
   */
  metricEventsProcessed(): IMetric {
    const search = new ReceiverMetrics(this.metrics).search(
      'processor',
      PROCESSOR_METRICS.processed,
      'eventType',
      Stats.SUM,
    );
    return new MathExpression({
      expression: `SUM(${search.expression})`,
      usingMetrics: {},
      label: 'Events processed',
      period: FIVE_MINUTES,
    });
  }

  /**
   * Events whose handler (or parsing) failed and that will be retried: the processor reports them
   * as batch item failures, which Lambda's `Errors` metric does not count.
   *
   * @default - sum over 5 minutes
   */
  metricProcessingFailures(props?: MetricOptions): Metric {
    return new ReceiverMetrics(this.metrics)
      .metric('processor', PROCESSOR_METRICS.failures)
      .with(props ?? {});
  }

  /**
   * Deliveries the verifier rejected for their signature (missing, invalid, out of tolerance).
   *
   * @default - sum over 5 minutes
   */
  metricSignatureRejections(props?: MetricOptions): Metric {
    return new ReceiverMetrics(this.metrics)
      .metric('verifier', VERIFIER_METRICS.signatureRejected)
      .with(props ?? {});
  }

  /**
   * Messages waiting on the dead-letter queue.
   *
   * @default - maximum over 1 minute
   */
  metricDeadLetterMessages(props?: MetricOptions): Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: ONE_MINUTE,
      statistic: Stats.MAXIMUM,
      ...props,
    });
  }

  /**
   * Age of the oldest message on the event queue: how far processing is behind.
   *
   * @default - maximum over 1 minute
   */
  metricOldestMessageAge(props?: MetricOptions): Metric {
    return this.queue.metricApproximateAgeOfOldestMessage({
      period: ONE_MINUTE,
      statistic: Stats.MAXIMUM,
      ...props,
    });
  }

  private grantTargets(): GrantTargets {
    return {
      scope: this,
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      connectionsTable: this.connectionsTable,
      ...(this.archive && { archive: this.archive }),
    };
  }

  /** Two receivers of one name in one account and region would publish into each other's metrics. */
  private rejectDuplicateName(name: string): void {
    const clash = this.node.root.node
      .findAll()
      .find(
        (other) =>
          other instanceof OFAuthWebhookReceiver &&
          other !== this &&
          other.receiverName === name &&
          sameEnvironment(Stack.of(this), Stack.of(other)),
      );
    if (clash) {
      throw new InvalidReceiverPropsError(
        `receiverName "${name}" is already used by ${clash.node.path}: give each receiver its own receiverName`,
      );
    }
  }
}

/** The same stack, or stacks whose account and region are both known and equal. */
function sameEnvironment(a: Stack, b: Stack): boolean {
  if (a === b) return true;
  const known = (value: string) => !Token.isUnresolved(value);
  return known(a.account) && known(a.region) && a.account === b.account && a.region === b.region;
}
