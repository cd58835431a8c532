/**
 * The checks that reject a prop the receiver cannot deploy, before a single resource is created;
 * a value that is still a CDK token (known only at deploy time) is left alone.
 */
import { Duration, Token } from 'aws-cdk-lib';
import { EVENT_QUEUE } from '../../lambda/shared/resource-definitions.ts';
import { type OFAuthWebhookReceiverProps, RECEIVER_LOG_LEVELS } from '../receiver-props.ts';
import { RECEIVER_DEFAULTS } from './defaults.ts';

/** Thrown when {@link OFAuthWebhookReceiverProps} hold a value the receiver cannot deploy. */
export class InvalidReceiverPropsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidReceiverPropsError';
  }
}

/** The longest verifier timeout accepted: OFAuth gives up on a delivery after 10 seconds. */
export const MAX_VERIFIER_TIMEOUT_SECONDS = 9;

/** Rejects any prop the receiver cannot deploy, before a single resource is created. */
export function validateReceiverProps(props: OFAuthWebhookReceiverProps): void {
  validateNumbers(props);
  validateNames(props);
  validateDerivedValues(props);
}

/**
 * Values the receiver computes others from at synth time: the queue's visibility timeout (from
 * the processor's timeout) and the verifier's body limit (from the message size).
 */
function validateDerivedValues(props: OFAuthWebhookReceiverProps): void {
  const processorTimeout = props.processorTimeout ?? RECEIVER_DEFAULTS.processorTimeout;
  const visibility = props.queueProps?.visibilityTimeout;
  if (processorTimeout.isUnresolved() && !visibility) {
    fail('the processor timeout is a token: give queueProps.visibilityTimeout (6 times the timeout) too');
  }
  if (visibility && !processorTimeout.isUnresolved() && !visibility.isUnresolved()) {
    if (visibility.toSeconds() < processorTimeout.toSeconds()) {
      fail(
        `queueProps.visibilityTimeout must be at least the processor timeout (${processorTimeout.toHumanString()}), got ${visibility.toHumanString()}`,
      );
    }
  }
  if (props.maxMessageSizeBytes !== undefined && Token.isUnresolved(props.maxMessageSizeBytes)) {
    fail('maxMessageSizeBytes must be known at synth time: the verifier’s body limit is computed from it');
  }
}

function fail(message: string): never {
  throw new InvalidReceiverPropsError(message);
}

/** Range checks; a value that is still a CDK token (known only at deploy time) is left alone. */
function validateNumbers(props: OFAuthWebhookReceiverProps): void {
  const integerIn = (name: string, value: number | undefined, min: number, max: number) => {
    if (value === undefined || Token.isUnresolved(value)) return;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      fail(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
    }
  };
  const secondsIn = (name: string, value: Duration | undefined, min: number, max: number) => {
    if (value === undefined || (value instanceof Duration && value.isUnresolved())) return;
    const seconds = value instanceof Duration ? value.toSeconds() : Number.NaN;
    if (!(seconds >= min && seconds <= max)) {
      fail(
        `${name} must be from ${min} to ${max} seconds, got ${value instanceof Duration ? value.toHumanString() : String(value)}`,
      );
    }
  };
  const rate = props.throttleRateLimit;
  if (rate !== undefined && !Token.isUnresolved(rate) && !(Number.isFinite(rate) && rate > 0)) {
    fail(`throttleRateLimit must be a positive number of requests per second, got ${rate}`);
  }
  integerIn('throttleBurstLimit', props.throttleBurstLimit, 1, 1_000_000);
  integerIn('maxReceiveCount', props.maxReceiveCount, 1, 1000);
  const allowance = EVENT_QUEUE.messageAttributeAllowanceBytes;
  integerIn('maxMessageSizeBytes', props.maxMessageSizeBytes, 1024 + allowance, 1024 * 1024);
  integerIn('verifierMemorySize', props.verifierMemorySize, 128, 10_240);
  integerIn('processorMemorySize', props.processorMemorySize, 128, 10_240);
  integerIn('batchSize', props.batchSize, 1, EVENT_QUEUE.defaultBatchSize);
  integerIn('signatureRejectionAlarmThreshold', props.signatureRejectionAlarmThreshold, 1, 1_000_000);
  integerIn('serverErrorAlarmThreshold', props.serverErrorAlarmThreshold, 1, 1_000_000);
  secondsIn('verifierTimeout', props.verifierTimeout, 1, MAX_VERIFIER_TIMEOUT_SECONDS);
  secondsIn('processorTimeout', props.processorTimeout, 1, 900);
  secondsIn('signatureTolerance', props.signatureTolerance, 1, 3600);
  secondsIn('ledgerTtl', props.ledgerTtl, 3600, 366 * 24 * 3600);
  secondsIn('secretsCacheTtl', props.secretsCacheTtl, 1, 3600);
  secondsIn(
    'oldestMessageAgeAlarmThreshold',
    props.oldestMessageAgeAlarmThreshold,
    60,
    EVENT_QUEUE.retentionSeconds,
  );
  const retention = props.archiveRetention;
  if (retention !== undefined && !(retention instanceof Duration && retention.isUnresolved())) {
    const days = retention instanceof Duration ? retention.toDays({ integral: false }) : Number.NaN;
    if (!(Number.isInteger(days) && days >= 1 && days <= 3650)) {
      fail(
        `archiveRetention must be whole days from 1 to 3650, got ${retention instanceof Duration ? retention.toHumanString() : String(retention)}`,
      );
    }
  }
}

const RECEIVER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const NAMESPACE_PATTERN = /^[A-Za-z0-9._/#:-]{1,255}$/;

function validateNames(props: OFAuthWebhookReceiverProps): void {
  const { logLevel, alarmEmail, receiverName, metricsNamespace } = props;
  if (logLevel !== undefined && !Token.isUnresolved(logLevel) && !RECEIVER_LOG_LEVELS.includes(logLevel)) {
    fail(`logLevel must be one of ${RECEIVER_LOG_LEVELS.join(', ')}, got ${String(logLevel)}`);
  }
  if (
    alarmEmail !== undefined &&
    !Token.isUnresolved(alarmEmail) &&
    !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(alarmEmail)
  ) {
    fail(`alarmEmail must be an e-mail address, got "${alarmEmail}"`);
  }
  if (
    receiverName !== undefined &&
    !Token.isUnresolved(receiverName) &&
    !RECEIVER_NAME_PATTERN.test(receiverName)
  ) {
    fail(
      `receiverName must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit, got "${receiverName}"`,
    );
  }
  if (
    metricsNamespace !== undefined &&
    !Token.isUnresolved(metricsNamespace) &&
    (!NAMESPACE_PATTERN.test(metricsNamespace) || metricsNamespace.startsWith('AWS/'))
  ) {
    fail(
      `metricsNamespace must be a CloudWatch namespace of your own (not AWS/…), got "${metricsNamespace}"`,
    );
  }
}
