import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { InvalidContextError, readReceiverContext } from '../../bin/receiver-app.ts';
import { EVENT_QUEUE } from '../../lambda/shared/resource-definitions.ts';
import {
  InvalidReceiverPropsError,
  OFAuthWebhookReceiver,
  type OFAuthWebhookReceiverProps,
  OFAuthWebhookReceiverStack,
} from '../../lib/index.ts';
import { logicalIdOf, newApp, synthStack } from './support/synth.ts';

/** Builds the receiver alone in a fresh stack; throws whatever the construct throws. */
function build(props: OFAuthWebhookReceiverProps): Stack {
  const stack = new Stack(newApp(), 'Props');
  new OFAuthWebhookReceiver(stack, 'Receiver', props);
  return stack;
}

describe('props validation', () => {
  it.each<[string, OFAuthWebhookReceiverProps, string]>([
    [
      'a negative rate',
      { throttleRateLimit: -1 },
      'throttleRateLimit must be a positive number of requests per second, got -1',
    ],
    [
      'a fractional burst',
      { throttleBurstLimit: 1.5 },
      'throttleBurstLimit must be an integer from 1 to 1000000, got 1.5',
    ],
    [
      'a maxReceiveCount of 0',
      { maxReceiveCount: 0 },
      'maxReceiveCount must be an integer from 1 to 1000, got 0',
    ],
    [
      'a message size above 1 MiB',
      { maxMessageSizeBytes: 2_000_000 },
      'maxMessageSizeBytes must be an integer from 9216 to 1048576, got 2000000',
    ],
    ['a batch above 10', { batchSize: 11 }, 'batchSize must be an integer from 1 to 10, got 11'],
    [
      'a verifier timeout of 10 s',
      { verifierTimeout: Duration.seconds(10) },
      'verifierTimeout must be from 1 to 9 seconds, got 10 seconds',
    ],
    [
      'a processor timeout of 16 min',
      { processorTimeout: Duration.minutes(16) },
      'processorTimeout must be from 1 to 900 seconds, got 16 minutes',
    ],
    [
      'a ledger TTL of 10 min',
      { ledgerTtl: Duration.minutes(10) },
      'ledgerTtl must be from 3600 to 31622400 seconds, got 10 minutes',
    ],
    [
      'a memory size of 64 MiB',
      { verifierMemorySize: 64 },
      'verifierMemorySize must be an integer from 128 to 10240, got 64',
    ],
    [
      'an oldest-age threshold of 10 s',
      { oldestMessageAgeAlarmThreshold: Duration.seconds(10) },
      'oldestMessageAgeAlarmThreshold must be from 60 to 1209600 seconds, got 10 seconds',
    ],
    ['a malformed e-mail', { alarmEmail: 'oncall' }, 'alarmEmail must be an e-mail address, got "oncall"'],
    [
      'an unknown log level',
      { logLevel: 'VERBOSE' as 'INFO' },
      'logLevel must be one of DEBUG, INFO, WARN, ERROR, got VERBOSE',
    ],
  ])('rejects %s with a message showing the value', (_case, props, message) => {
    // WHEN the receiver is built with the bad prop THEN it fails with a lower-case message naming the value
    expect(() => build(props)).toThrow(new InvalidReceiverPropsError(message));
  });

  it('rejects bad props before creating any resource', () => {
    const stack = new Stack(newApp(), 'Props');
    expect(() => new OFAuthWebhookReceiver(stack, 'Receiver', { maxReceiveCount: -5 })).toThrow(
      InvalidReceiverPropsError,
    );
    // THEN the half-built construct holds no resources
    const receiver = stack.node.tryFindChild('Receiver');
    expect(receiver?.node.children ?? []).toEqual([]);
  });

  it('rejects an ARN and a name for the signing secret together', () => {
    expect(
      () =>
        new OFAuthWebhookReceiverStack(newApp(), 'S', { signingSecretArn: 'arn:x', signingSecretName: 'y' }),
    ).toThrow('give signingSecretArn or signingSecretName, not both; got "arn:x" and "y"');
  });
});

describe('user props over defaults', () => {
  let template: Template;

  beforeAll(() => {
    // GIVEN every tunable prop set away from its default
    ({ template } = synthStack({
      receiver: {
        throttleRateLimit: 50,
        throttleBurstLimit: 100,
        maxReceiveCount: 3,
        removalPolicy: RemovalPolicy.DESTROY,
        logRetention: RetentionDays.ONE_WEEK,
        signatureTolerance: Duration.minutes(2),
        ledgerTtl: Duration.hours(48),
        secretsCacheTtl: Duration.minutes(1),
        maxMessageSizeBytes: 262_144,
        verifierTimeout: Duration.seconds(4),
        verifierMemorySize: 1024,
        processorTimeout: Duration.seconds(60),
        processorMemorySize: 512,
        batchSize: 5,
        // An explicit undefined keeps the default rather than erasing it.
        serverErrorAlarmThreshold: undefined,
      },
    }));
  });

  it('applies throttling, receive count, message size and visibility from props', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      MaximumMessageSize: 262_144,
      VisibilityTimeout: 360,
      RedrivePolicy: { maxReceiveCount: 3 },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 5 });
  });

  it('passes tolerance, TTLs and the body limit to the verifier', () => {
    const verifier =
      template.toJSON().Resources[logicalIdOf(template, 'AWS::Lambda::Function', 'ReceiverVerifier')]
        .Properties;
    expect(verifier).toMatchObject({ Timeout: 4, MemorySize: 1024 });
    expect(verifier.Environment.Variables).toMatchObject({
      SIGNATURE_TOLERANCE_SECONDS: '120',
      PROCESSED_EVENT_TTL_SECONDS: String(48 * 3600),
      SECRETS_CACHE_TTL_SECONDS: '60',
      MAX_BODY_BYTES: String(262_144 - EVENT_QUEUE.messageAttributeAllowanceBytes),
    });
  });

  it('deletes the stateful resources and shortens log retention when asked', () => {
    for (const type of [
      'AWS::DynamoDB::Table',
      'AWS::SQS::Queue',
      'AWS::SecretsManager::Secret',
      'AWS::Logs::LogGroup',
    ]) {
      for (const resource of Object.values(template.findResources(type))) {
        expect({ type, policy: resource.DeletionPolicy }).toEqual({ type, policy: 'Delete' });
      }
    }
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  });

  it('keeps a default when a prop is explicitly undefined', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: '5xx', Threshold: 5 });
  });
});

describe('context', () => {
  const read = (context: Record<string, unknown>) => readReceiverContext((key) => context[key]);

  it('leaves everything to the construct defaults when no context is set', () => {
    expect(read({})).toEqual({ stackName: 'OFAuthWebhookReceiver', stackProps: { receiver: {} } });
  });

  it('parses strings from -c and JSON values from cdk.json alike', () => {
    // GIVEN the same settings as CLI strings and as JSON values
    const fromCli = read({
      maxReceiveCount: '3',
      tracing: 'true',
      removalPolicy: 'destroy',
      logRetentionDays: '14',
      ledgerTtlHours: '48',
    });
    const fromJson = read({
      maxReceiveCount: 3,
      tracing: true,
      removalPolicy: 'DESTROY',
      logRetentionDays: 14,
      ledgerTtlHours: 48,
    });
    // THEN they give the same props
    for (const config of [fromCli, fromJson]) {
      expect(config.stackProps.receiver).toEqual({
        maxReceiveCount: 3,
        tracing: true,
        removalPolicy: RemovalPolicy.DESTROY,
        logRetention: RetentionDays.TWO_WEEKS,
        ledgerTtl: Duration.hours(48),
      });
    }
  });

  it('maps every documented key to its prop', () => {
    const config = read({
      stackName: 'Webhooks',
      signingSecretName: 'ofauth/signing',
      signingSecretKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/k',
      throttleRateLimit: '200',
      throttleBurstLimit: '400',
      alarmEmail: 'oncall@example.com',
      signatureToleranceSeconds: '120',
      secretsCacheTtlSeconds: '60',
      maxMessageSizeBytes: '262144',
      verifierTimeoutSeconds: '5',
      verifierMemorySize: '1024',
      processorTimeoutSeconds: '20',
      processorMemorySize: '512',
      batchSize: '5',
      oldestMessageAgeAlarmSeconds: '600',
      signatureRejectionAlarmThreshold: '25',
      serverErrorAlarmThreshold: '10',
      logLevel: 'warn',
      receiverName: 'creators-app',
      metricsNamespace: 'Acme/OFAuth',
    });
    expect(config).toEqual({
      stackName: 'Webhooks',
      stackProps: {
        signingSecretName: 'ofauth/signing',
        signingSecretKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/k',
        receiver: {
          throttleRateLimit: 200,
          throttleBurstLimit: 400,
          alarmEmail: 'oncall@example.com',
          signatureTolerance: Duration.seconds(120),
          secretsCacheTtl: Duration.seconds(60),
          maxMessageSizeBytes: 262144,
          verifierTimeout: Duration.seconds(5),
          verifierMemorySize: 1024,
          processorTimeout: Duration.seconds(20),
          processorMemorySize: 512,
          batchSize: 5,
          oldestMessageAgeAlarmThreshold: Duration.seconds(600),
          signatureRejectionAlarmThreshold: 25,
          serverErrorAlarmThreshold: 10,
          logLevel: 'WARN',
          receiverName: 'creators-app',
          metricsNamespace: 'Acme/OFAuth',
        },
      },
    });
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'a non-numeric count',
      { maxReceiveCount: 'five' },
      'context maxReceiveCount must be a positive number, got "five"',
    ],
    [
      'an unknown removal policy',
      { removalPolicy: 'snapshot' },
      'context removalPolicy must be retain or destroy, got "snapshot"',
    ],
    ['a yes for tracing', { tracing: 'yes' }, 'context tracing must be true or false, got "yes"'],
    [
      'a retention CloudWatch does not offer',
      { logRetentionDays: '10' },
      'context logRetentionDays must be one of',
    ],
  ])('rejects %s', (_case, context, message) => {
    expect(() => read(context)).toThrow(InvalidContextError);
    expect(() => read(context)).toThrow(message);
  });

  it('rejects several bad values at once, naming each of them', () => {
    // GIVEN three bad values and a good one
    const context = { removalPolicy: 'delete', tracing: 'yes', maxReceiveCount: 'five', batchSize: '5' };
    // WHEN the context is read
    let thrown: unknown;
    try {
      read(context);
    } catch (error) {
      thrown = error;
    }
    // THEN one error lists every bad value, one problem each
    expect(thrown).toBeInstanceOf(InvalidContextError);
    expect((thrown as InvalidContextError).problems).toEqual([
      'context maxReceiveCount must be a positive number, got "five"',
      'context removalPolicy must be retain or destroy, got "delete"',
      'context tracing must be true or false, got "yes"',
    ]);
  });
});
