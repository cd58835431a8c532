/**
 * The defaults of the receiver's props, in one place: the values the `@default` texts of
 * `lib/receiver-props.ts` name (a test keeps the two equal), and the settings resolved from them.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { METRICS_NAMESPACE } from '../../lambda/shared/metrics.ts';
import {
  ARCHIVE,
  EVENT_QUEUE,
  FUNCTION_DEFAULTS,
  LEDGER_TABLE,
} from '../../lambda/shared/resource-definitions.ts';
import type { OFAuthWebhookReceiverProps } from '../receiver-props.ts';

/** The props that have a single default value. */
type TunableProps = Omit<
  OFAuthWebhookReceiverProps,
  | 'signingSecret'
  | 'alarmEmail'
  | 'receiverName'
  | 'encryptionKey'
  | 'alarmTopic'
  | 'processorProps'
  | 'verifierProps'
  | 'processedEventsTableProps'
  | 'queueProps'
  | 'deadLetterQueueProps'
  | 'ledgerTableProps'
  | 'connectionsTableProps'
  | 'eventBus'
>;

/** The defaults of {@link OFAuthWebhookReceiverProps}, in one place. */
export const RECEIVER_DEFAULTS = {
  metricsNamespace: METRICS_NAMESPACE,
  throttleRateLimit: 1000,
  throttleBurstLimit: 2000,
  maxReceiveCount: EVENT_QUEUE.defaultMaxReceiveCount,
  removalPolicy: RemovalPolicy.RETAIN,
  tracing: false,
  logLevel: 'INFO',
  logRetention: RetentionDays.ONE_MONTH,
  signatureTolerance: Duration.minutes(5),
  ledgerTtl: Duration.seconds(LEDGER_TABLE.defaultRecordTtlSeconds),
  secretsCacheTtl: Duration.minutes(5),
  maxMessageSizeBytes: EVENT_QUEUE.defaultMaxMessageSizeBytes,
  verifierTimeout: Duration.seconds(FUNCTION_DEFAULTS.verifier.timeoutSeconds),
  verifierMemorySize: FUNCTION_DEFAULTS.verifier.memorySizeMb,
  processorTimeout: Duration.seconds(FUNCTION_DEFAULTS.processor.timeoutSeconds),
  processorMemorySize: FUNCTION_DEFAULTS.processor.memorySizeMb,
  batchSize: EVENT_QUEUE.defaultBatchSize,
  oldestMessageAgeAlarmThreshold: Duration.minutes(5),
  signatureRejectionAlarmThreshold: 10,
  serverErrorAlarmThreshold: 5,
  archive: true,
  archiveRetention: Duration.days(ARCHIVE.defaultRetentionDays),
  processedEventRecord: true,
} as const satisfies Required<TunableProps>;

/** Every setting resolved: the defaults under the props. */
export type ReceiverSettings = Required<TunableProps> &
  Omit<OFAuthWebhookReceiverProps, keyof TunableProps> & { readonly receiverName: string };

/** The defaults under the props (an explicit `undefined` keeps the default). */
export function resolveReceiverSettings(
  props: OFAuthWebhookReceiverProps,
  defaultReceiverName: string,
): ReceiverSettings {
  const defaults = RECEIVER_DEFAULTS;
  return {
    ...props,
    receiverName: props.receiverName ?? defaultReceiverName,
    metricsNamespace: props.metricsNamespace ?? defaults.metricsNamespace,
    throttleRateLimit: props.throttleRateLimit ?? defaults.throttleRateLimit,
    throttleBurstLimit: props.throttleBurstLimit ?? defaults.throttleBurstLimit,
    maxReceiveCount: props.maxReceiveCount ?? defaults.maxReceiveCount,
    removalPolicy: props.removalPolicy ?? defaults.removalPolicy,
    tracing: props.tracing ?? defaults.tracing,
    logLevel: props.logLevel ?? defaults.logLevel,
    logRetention: props.logRetention ?? defaults.logRetention,
    signatureTolerance: props.signatureTolerance ?? defaults.signatureTolerance,
    ledgerTtl: props.ledgerTtl ?? defaults.ledgerTtl,
    secretsCacheTtl: props.secretsCacheTtl ?? defaults.secretsCacheTtl,
    maxMessageSizeBytes: props.maxMessageSizeBytes ?? defaults.maxMessageSizeBytes,
    verifierTimeout: props.verifierTimeout ?? defaults.verifierTimeout,
    verifierMemorySize: props.verifierMemorySize ?? defaults.verifierMemorySize,
    processorTimeout: props.processorTimeout ?? defaults.processorTimeout,
    processorMemorySize: props.processorMemorySize ?? defaults.processorMemorySize,
    batchSize: props.batchSize ?? defaults.batchSize,
    oldestMessageAgeAlarmThreshold:
      props.oldestMessageAgeAlarmThreshold ?? defaults.oldestMessageAgeAlarmThreshold,
    signatureRejectionAlarmThreshold:
      props.signatureRejectionAlarmThreshold ?? defaults.signatureRejectionAlarmThreshold,
    serverErrorAlarmThreshold: props.serverErrorAlarmThreshold ?? defaults.serverErrorAlarmThreshold,
    archive: props.archive ?? defaults.archive,
    archiveRetention: props.archiveRetention ?? defaults.archiveRetention,
    processedEventRecord: props.processedEventRecord ?? defaults.processedEventRecord,
  };
}
