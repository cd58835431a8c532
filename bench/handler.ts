/**
 * The verifier handler per event, in-process: first with the AWS SDK clients stubbed by
 * aws-sdk-client-mock (the real middleware, verification, event-record claim and SQS
 * adapter, logger and metrics run; only the network calls answer instantly), which is our own
 * overhead; then against the local emulators (DynamoDB Local, fauxqs, the local Secrets Manager)
 * with `concurrency` invocations in flight, one handler instance per concurrent environment.
 */
import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { ConditionalCheckFailedException, DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { httpApiEvent } from '../dev/api-gateway-event.ts';
import { eventBody, signDelivery } from '../dev/deliveries.ts';
import { clientConfig } from '../lambda/verifier/aws-clients.ts';
import { createVerifierHandler } from '../lambda/verifier/create-handler.ts';
import { DynamoDbEventRecords } from '../lambda/verifier/event-records.ts';
import { HandOff, SqsEventQueue } from '../lambda/verifier/hand-off.ts';
import { CachedSigningSecrets, secretsManagerFetcher } from '../lambda/verifier/secrets.ts';
import { createLambdaContext } from '../local/lambda-context.ts';
import { createLocalResources } from '../local/resources.ts';
import { startLocalSecretsManager } from '../local/secrets-manager.ts';
import { generateSvixSecret } from '../testing/signers.ts';
import type { HandlerEmulatorResult, HandlerStubbedResult } from './lib/results.ts';
import { summarize } from './lib/stats.ts';

type Handler = (event: APIGatewayProxyEventV2, context: never) => Promise<APIGatewayProxyStructuredResultV2>;

function buildHandler(
  clients: { dynamodb: DynamoDBClient; sqs: SQSClient; secretsManager: SecretsManagerClient },
  names: {
    processedEventsTableName: string;
    queueUrl: string;
    deadLetterQueueUrl: string;
    secretId: string;
  },
): Handler {
  return createVerifierHandler({
    secrets: new CachedSigningSecrets({
      fetch: secretsManagerFetcher(clients.secretsManager, names.secretId),
    }),
    handOff: new HandOff({
      records: new DynamoDbEventRecords({
        tableName: names.processedEventsTableName,
        client: clients.dynamodb,
      }),
      queue: new SqsEventQueue({
        client: clients.sqs,
        queueUrl: names.queueUrl,
        deadLetterQueueUrl: names.deadLetterQueueUrl,
      }),
    }),
    logger: new Logger({ serviceName: 'ofauth-verifier' }),
    metrics: new Metrics({ namespace: 'OFAuthWebhooks', serviceName: 'ofauth-verifier' }),
  }) as unknown as Handler;
}

const context = () => createLambdaContext({ functionName: 'ofauth-verifier', timeoutMs: 6000 }) as never;

async function timeEach(
  iterations: number,
  make: (i: number) => APIGatewayProxyEventV2,
  handler: Handler,
  expectStatus: number,
): Promise<{ meanUs: number; p50Us: number; p99Us: number; samples: number }> {
  const samples: number[] = [];
  for (let i = 0; i < iterations; i += 1) {
    const event = make(i);
    const t0 = performance.now();
    const answer = await handler(event, context());
    samples.push((performance.now() - t0) * 1000);
    if (answer.statusCode !== expectStatus) {
      throw new Error(`expected ${expectStatus}, got ${answer.statusCode}: ${answer.body}`);
    }
  }
  const s = summarize(samples);
  return { meanUs: s.mean, p50Us: s.p50, p99Us: s.p99, samples: s.count };
}

/** The handler with every AWS call stubbed: new events, duplicates and rejected signatures. */
export async function benchHandlerStubbed(
  iterations: number,
  log: (line: string) => void = () => {},
): Promise<HandlerStubbedResult> {
  const secret = generateSvixSecret();
  const dynamodbMock = mockClient(DynamoDBClient);
  const sqsMock = mockClient(SQSClient);
  const secretsMock = mockClient(SecretsManagerClient);
  secretsMock.on(GetSecretValueCommand).resolves({ SecretString: secret });
  sqsMock.on(SendMessageCommand).resolves({ MessageId: 'stub', SequenceNumber: '1' });
  dynamodbMock.on(UpdateItemCommand).resolves({});
  const clients = {
    dynamodb: new DynamoDBClient({ region: 'us-east-1' }),
    sqs: new SQSClient({ region: 'us-east-1' }),
    secretsManager: new SecretsManagerClient({ region: 'us-east-1' }),
  };
  const handler = buildHandler(clients, {
    processedEventsTableName: 'stub-records',
    queueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/stub.fifo',
    deadLetterQueueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/stub-dlq.fifo',
    secretId: 'stub',
  });
  const body = (i: number) => eventBody({ connectionId: `conn_${i % 50}`, seq: i, sizeBytes: 1024 });
  const fresh = (i: number) => httpApiEvent(signDelivery(body(i), { scheme: 'svix', secret }));
  try {
    await timeEach(200, fresh, handler, 202);
    const newEvent = await timeEach(iterations, (i) => fresh(i + 1_000_000), handler, 202);
    log('  handler (stubbed): new events done');
    // A duplicate: the claim's conditional update finds a processed record.
    dynamodbMock.on(UpdateItemCommand).callsFake((input: { Key?: Record<string, { S?: string }> }) => {
      throw new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: marshall({
          eventKey: input.Key?.eventKey?.S ?? 'unknown',
          expiresAt: Math.floor(Date.now() / 1000) + 3600,
          processedAt: new Date().toISOString(),
        }),
      });
    });
    const duplicate = await timeEach(iterations, fresh, handler, 200);
    log('  handler (stubbed): duplicates done');
    const rejected = await timeEach(
      iterations,
      (i) => httpApiEvent(signDelivery(body(i), { scheme: 'svix', secret: generateSvixSecret() })),
      handler,
      401,
    );
    log('  handler (stubbed): rejections done');
    return {
      stub: 'aws-sdk-client-mock answering every DynamoDB, SQS and Secrets Manager call at once',
      newEvent,
      duplicate,
      rejected,
    };
  } finally {
    dynamodbMock.restore();
    sqsMock.restore();
    secretsMock.restore();
  }
}

/** The handler against the emulators, `concurrency` invocations in flight, new 1 KB events. */
export async function benchHandlerEmulators(
  endpoints: { readonly dynamodb: string; readonly sqs: string },
  concurrencies: readonly number[],
  eventsPerLevel: number,
  log: (line: string) => void = () => {},
): Promise<HandlerEmulatorResult[]> {
  const secret = generateSvixSecret();
  const secretId = 'ofauth/bench-signing-secret';
  const manager = await startLocalSecretsManager({ [secretId]: secret });
  const region = 'us-east-1';
  const clients = {
    dynamodb: new DynamoDBClient({ ...clientConfig(), endpoint: endpoints.dynamodb, region }),
    sqs: new SQSClient({ ...clientConfig(), endpoint: endpoints.sqs, region }),
    secretsManager: new SecretsManagerClient({ ...clientConfig(), endpoint: manager.endpoint, region }),
  };
  const resources = await createLocalResources(
    { dynamodb: clients.dynamodb, sqs: clients.sqs },
    { prefix: `bench-h-${randomBytes(4).toString('hex')}` },
  );
  const names = { ...resources, secretId };
  const results: HandlerEmulatorResult[] = [];
  try {
    for (const concurrency of concurrencies) {
      // One handler per concurrent environment, as Lambda scales out; each warmed once.
      const handlers = Array.from({ length: concurrency }, () => buildHandler(clients, names));
      const tag = randomBytes(3).toString('hex');
      await Promise.all(
        handlers.map((handler, w) =>
          handler(
            httpApiEvent(
              signDelivery(eventBody({ connectionId: `conn_warm_${tag}_${w}` }), { scheme: 'svix', secret }),
            ),
            context(),
          ),
        ),
      );
      const latencies: number[] = [];
      const statusCounts: Record<string, number> = {};
      let next = 0;
      const started = performance.now();
      await Promise.all(
        handlers.map(async (handler, w) => {
          while (next < eventsPerLevel) {
            const i = next;
            next += 1;
            const event = httpApiEvent(
              signDelivery(eventBody({ connectionId: `conn_${tag}_${w}`, seq: i, sizeBytes: 1024 }), {
                scheme: 'svix',
                secret,
              }),
            );
            const t0 = performance.now();
            const answer = await handler(event, context());
            latencies.push(performance.now() - t0);
            const status = String(answer.statusCode);
            statusCounts[status] = (statusCounts[status] ?? 0) + 1;
          }
        }),
      );
      const elapsed = (performance.now() - started) / 1000;
      results.push({
        concurrency,
        events: eventsPerLevel,
        eventsPerSecond: eventsPerLevel / elapsed,
        latencyMs: summarize(latencies),
        statusCounts,
      });
      log(`  handler (emulators): concurrency ${concurrency}: ${Math.round(eventsPerLevel / elapsed)}/s`);
    }
  } finally {
    clients.dynamodb.destroy();
    clients.sqs.destroy();
    clients.secretsManager.destroy();
    await manager.stop();
  }
  return results;
}
