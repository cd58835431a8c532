/**
 * The deployable stack: one {@link OFAuthWebhookReceiver} and the outputs the CLI and the operator
 * read. Everything else lives in the construct.
 */
import { ArnFormat, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { EventBus, type IEventBus } from 'aws-cdk-lib/aws-events';
import { Key } from 'aws-cdk-lib/aws-kms';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { STACK_OUTPUTS } from '../lambda/shared/deployment-names.ts';
import type { OFAuthWebhookReceiverProps } from './receiver-props.ts';
import { OFAuthWebhookReceiver } from './webhook-receiver.ts';

export { DEFAULT_STACK_NAME, STACK_OUTPUTS } from '../lambda/shared/deployment-names.ts';

/** Properties of {@link OFAuthWebhookReceiverStack}. */
export interface OFAuthWebhookReceiverStackProps extends StackProps {
  /**
   * Settings of the receiver; the signing secret is chosen with the `signingSecret*` props below.
   *
   * @default - the receiver's defaults
   */
  readonly receiver?: Omit<OFAuthWebhookReceiverProps, 'signingSecret'>;
  /**
   * ARN of an existing signing secret (complete, with the six-character suffix, or partial).
   *
   * @default - the stack creates a secret (unless `signingSecretName` is given)
   */
  readonly signingSecretArn?: string;
  /**
   * Name of an existing signing secret.
   *
   * @default - the stack creates a secret (unless `signingSecretArn` is given)
   */
  readonly signingSecretName?: string;
  /**
   * ARN of the customer-managed KMS key that encrypts the existing secret; the verifier is then
   * allowed `kms:Decrypt` through Secrets Manager.
   *
   * @default - the secret uses the AWS-managed key, which needs no grant
   */
  readonly signingSecretKeyArn?: string;
  /**
   * The EventBridge bus the processor publishes handled events to: `default` (the account's
   * default bus), a bus name, or a bus ARN.
   *
   * @default - none: nothing is published
   */
  readonly eventBus?: string;
}

/**
 * The OFAuth webhook receiver stack.
 *
 * @example
 * new OFAuthWebhookReceiverStack(app, 'OFAuthWebhookReceiver', { receiver: { alarmEmail: 'oncall@example.com' } });
 */
export class OFAuthWebhookReceiverStack extends Stack {
  /** The receiver construct. */
  public readonly receiver: OFAuthWebhookReceiver;

  constructor(scope: Construct, id: string, props: OFAuthWebhookReceiverStackProps = {}) {
    super(scope, id, props);
    if (props.signingSecretArn !== undefined && props.signingSecretName !== undefined) {
      throw new Error(
        `give signingSecretArn or signingSecretName, not both; got "${props.signingSecretArn}" and "${props.signingSecretName}"`,
      );
    }
    if (
      props.signingSecretKeyArn !== undefined &&
      props.signingSecretArn === undefined &&
      props.signingSecretName === undefined
    ) {
      throw new Error(
        `signingSecretKeyArn applies to an existing secret only; got "${props.signingSecretKeyArn}" without signingSecretArn or signingSecretName`,
      );
    }
    const signingSecret = this.existingSecret(props);
    const eventBus = props.eventBus === undefined ? undefined : this.existingEventBus(props.eventBus);
    this.receiver = new OFAuthWebhookReceiver(this, 'Receiver', {
      ...props.receiver,
      ...(signingSecret && { signingSecret }),
      ...(eventBus && { eventBus }),
    });

    const r = this.receiver;
    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    output(
      STACK_OUTPUTS.webhookUrl,
      r.webhookUrl,
      'Paste into the OFAuth Dashboard as the webhook endpoint URL.',
    );
    output(
      STACK_OUTPUTS.signingSecretArn,
      r.signingSecret.secretArn,
      'Put the OFAuth signing secret(s) here.',
    );
    output(STACK_OUTPUTS.queueUrl, r.queue.queueUrl, 'The FIFO event queue.');
    output(STACK_OUTPUTS.queueArn, r.queue.queueArn, 'The FIFO event queue (ARN, the redrive destination).');
    output(STACK_OUTPUTS.deadLetterQueueUrl, r.deadLetterQueue.queueUrl, 'The FIFO dead-letter queue.');
    output(
      STACK_OUTPUTS.deadLetterQueueArn,
      r.deadLetterQueue.queueArn,
      'The FIFO dead-letter queue (ARN, the redrive source).',
    );
    output(
      STACK_OUTPUTS.ledgerTableName,
      r.ledgerTable.tableName,
      'The idempotency ledger of releases before 1.0: unused, kept while its items expire.',
    );
    output(STACK_OUTPUTS.connectionsTableName, r.connectionsTable.tableName, 'The connection registry.');
    output(STACK_OUTPUTS.dashboardName, r.monitoring.dashboard.dashboardName, 'The CloudWatch dashboard.');
    if (r.archive) {
      output(
        STACK_OUTPUTS.archiveBucketName,
        r.archive.bucket.bucketName,
        'The event archive (npm run cli -- replay reads it).',
      );
    }
    output(
      STACK_OUTPUTS.processedEventsTableName,
      r.processedEvents.table.tableName,
      'The event records: one item per event key, from receipt to fate (npm run cli -- trace).',
    );
  }

  /** The bus named by `eventBus`: an ARN, else a name (`default` is the default bus's name). */
  private existingEventBus(nameOrArn: string): IEventBus {
    if (!nameOrArn.trim()) throw new Error('eventBus must be "default", a bus name or a bus ARN; got ""');
    return nameOrArn.startsWith('arn:')
      ? EventBus.fromEventBusArn(this, 'EventBus', nameOrArn)
      : EventBus.fromEventBusName(this, 'EventBus', nameOrArn);
  }

  private existingSecret(props: OFAuthWebhookReceiverStackProps): ISecret | undefined {
    const encryptionKey =
      props.signingSecretKeyArn === undefined
        ? undefined
        : Key.fromKeyArn(this, 'SigningSecretKey', props.signingSecretKeyArn);
    if (props.signingSecretName !== undefined) {
      return encryptionKey
        ? Secret.fromSecretAttributes(this, 'SigningSecret', {
            secretPartialArn: this.formatArn({
              service: 'secretsmanager',
              resource: 'secret',
              resourceName: props.signingSecretName,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
            encryptionKey,
          })
        : Secret.fromSecretNameV2(this, 'SigningSecret', props.signingSecretName);
    }
    if (props.signingSecretArn !== undefined) {
      const complete = /:secret:.+-[A-Za-z0-9]{6}$/.test(props.signingSecretArn);
      return Secret.fromSecretAttributes(this, 'SigningSecret', {
        ...(complete
          ? { secretCompleteArn: props.signingSecretArn }
          : { secretPartialArn: props.signingSecretArn }),
        ...(encryptionKey && { encryptionKey }),
      });
    }
    return undefined;
  }
}
