/**
 * The verifier wired to the real emulators (DynamoDB Local, fauxqs, the local Secrets Manager),
 * with the production adapters and client settings, plus SDK middleware that counts calls and
 * injects faults into the real clients.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { SERVICE_NAMES } from '../../lambda/shared/metrics.ts';
import { clientConfig } from '../../lambda/verifier/aws-clients.ts';
import { createVerifierHandler, type VerifierHandler } from '../../lambda/verifier/create-handler.ts';
import { DynamoDbEventRecords } from '../../lambda/verifier/event-records.ts';
import { HandOff, SqsEventQueue } from '../../lambda/verifier/hand-off.ts';
import { CachedSigningSecrets, secretsManagerFetcher } from '../../lambda/verifier/secrets.ts';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../local/secrets-manager.ts';
import { createTestResources } from '../support/emulators.ts';
import { TEST_OFAUTH_SECRET, TEST_SVIX_SECRET } from '../support/signing.ts';

/** The secret id used by every integration test. */
export const SIGNING_SECRET_ID = 'ofauth/signing';

type AnyClient = DynamoDBClient | SQSClient | SecretsManagerClient;

/** A fault on one SDK command. */
export interface Fault {
  readonly command: string;
  /** `fail`: throw before the call; `hang-after`: let the call succeed, then never return (a crash). */
  readonly mode: 'fail' | 'hang-after' | 'hang-before';
  times: number;
  /** Calls of the command to let through before the fault applies. */
  skip: number;
}

/** Calls counted per command name, and faults to inject. */
export class SdkProbe {
  readonly calls: string[] = [];
  readonly faults: Fault[] = [];

  attach(client: AnyClient): void {
    type Next = (args: unknown) => Promise<unknown>;
    const probe = (next: Next, context: { commandName?: string }) => async (args: unknown) => {
      const command = String(context.commandName);
      this.calls.push(command);
      const fault = this.faults.find((f) => f.command === command && f.times > 0);
      if (!fault) return next(args);
      if (fault.skip > 0) {
        fault.skip -= 1;
        return next(args);
      }
      fault.times -= 1;
      if (fault.mode === 'fail') throw new Error(`injected failure of ${command}`);
      if (fault.mode === 'hang-before') return new Promise<never>(() => {});
      await next(args);
      return new Promise<never>(() => {});
    };
    // The three clients' stacks differ only in their input and output types.
    (client.middlewareStack as unknown as { add(m: typeof probe, o: object): void }).add(probe, {
      step: 'initialize',
      name: 'sdkProbe',
    });
  }

  /** Makes the next `times` calls of `command` fail (or hang), after letting `skip` through. */
  inject(command: string, mode: Fault['mode'] = 'fail', times = 1, skip = 0): void {
    this.faults.push({ command, mode, times, skip });
  }

  reset(): void {
    this.calls.length = 0;
  }
}

/** A running verifier against the emulators. */
export interface VerifierRig {
  readonly handler: VerifierHandler;
  readonly probe: SdkProbe;
  readonly secretsManager: LocalSecretsManager;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  /** The event record's table, which the verifier claims events in. */
  readonly recordTableName: string;
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  /** A fresh handler (a cold start) on the same resources and clients. */
  coldStart(): VerifierHandler;
  stop(): Promise<void>;
}

/** Creates fresh tables and queues, a local Secrets Manager, and a verifier wired to them. */
export async function startVerifierRig(
  options: {
    secretValue?: string;
    /** The event records' clock (ms since the epoch). @default Date.now */
    recordClock?: () => number;
  } = {},
): Promise<VerifierRig> {
  const resources = await createTestResources();
  const secretsManager = await startLocalSecretsManager({
    [SIGNING_SECRET_ID]: options.secretValue ?? `${TEST_OFAUTH_SECRET},${TEST_SVIX_SECRET}`,
  });
  const probe = new SdkProbe();
  const dynamodb = new DynamoDBClient({
    ...clientConfig(),
    endpoint: process.env.TEST_DYNAMODB_ENDPOINT,
    region: 'us-east-1',
  });
  const sqs = new SQSClient({
    ...clientConfig(),
    endpoint: process.env.TEST_SQS_ENDPOINT,
    region: 'us-east-1',
  });
  const secretsClient = new SecretsManagerClient({
    ...clientConfig(),
    endpoint: secretsManager.endpoint,
    region: 'us-east-1',
  });
  for (const client of [dynamodb, sqs, secretsClient]) probe.attach(client);
  const build = () =>
    createVerifierHandler({
      secrets: new CachedSigningSecrets({ fetch: secretsManagerFetcher(secretsClient, SIGNING_SECRET_ID) }),
      handOff: new HandOff({
        records: new DynamoDbEventRecords({
          tableName: resources.processedEventsTableName,
          client: dynamodb,
          ...(options.recordClock && { clock: options.recordClock }),
        }),
        queue: new SqsEventQueue({
          client: sqs,
          queueUrl: resources.queueUrl,
          deadLetterQueueUrl: resources.deadLetterQueueUrl,
        }),
      }),
      logger: new Logger({ serviceName: SERVICE_NAMES.verifier, logLevel: 'SILENT' }),
      // Metrics are disabled in these files (POWERTOOLS_METRICS_DISABLED); keep their warnings quiet too.
      metrics: new Metrics({
        serviceName: SERVICE_NAMES.verifier,
        namespace: 'OFAuthWebhooksTest',
        logger: { debug() {}, info() {}, warn() {}, error() {} },
      }),
    });
  return {
    handler: build(),
    coldStart: build,
    probe,
    secretsManager,
    queueUrl: resources.queueUrl,
    deadLetterQueueUrl: resources.deadLetterQueueUrl,
    recordTableName: resources.processedEventsTableName,
    sqs: resources.sqs,
    dynamodb: resources.dynamodb,
    stop: async () => {
      await secretsManager.stop();
      // Idle keep-alive sockets do not hold the process open, but destroying the clients lets
      // nothing outlive the file that started them.
      for (const client of [dynamodb, sqs, secretsClient, resources.dynamodb, resources.sqs])
        client.destroy();
    },
  };
}

/** Visible plus in-flight messages of a queue. */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

/** Receives and deletes every message of a queue. */
export async function drainQueue(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return messages;
    for (const message of Messages) {
      messages.push(message);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }
}

/** Waits some milliseconds. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
