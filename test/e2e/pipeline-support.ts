/**
 * Helpers for the end-to-end tests: a local pipeline on the jest global setup's emulators, signed
 * deliveries over HTTP, and polling for what the processor wrote.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { type Scheme, signDelivery } from '../../dev/deliveries.ts';
import { connectionKey } from '../../lambda/processor/connections.ts';
import { defaultHandlers } from '../../lambda/processor/default-handlers/index.ts';
import type { EventHandler, EventHandlers } from '../../lambda/processor/router.ts';
import type { RealtimeEvent } from '../../lambda/shared/event-model.ts';
import { type LocalPipeline, type LocalPipelineOptions, startLocalPipeline } from '../../local/pipeline.ts';
import { generateSvixSecret } from '../../testing/signers.ts';

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through jest (npm test)`);
  return value;
}

/** A pipeline on a free port, on the shared emulators, with its own tables and queues. */
export function startTestPipeline(options: LocalPipelineOptions = {}): Promise<LocalPipeline> {
  return startLocalPipeline({
    port: 0,
    endpoints: { dynamodb: requiredEnv('TEST_DYNAMODB_ENDPOINT'), sqs: requiredEnv('TEST_SQS_ENDPOINT') },
    prefix: `e2e-${randomUUID().slice(0, 8)}`,
    secrets: [generateSvixSecret()],
    waitTimeSeconds: 1,
    logger: new Logger({ serviceName: 'ofauth-local', logLevel: 'SILENT' }),
    ...options,
  });
}

/** What one run of a default handler handled. */
export interface HandledEvent {
  readonly eventId: string;
  readonly type: string;
  readonly connectionId: string | undefined;
  /** The connection's permissions (the tests write a step or a label there). */
  readonly permissions: readonly string[] | undefined;
  readonly replay: boolean;
  readonly receivedAt: string | undefined;
}

/**
 * A test pipeline whose processor runs the default handlers (the registry is kept) and lists what
 * each run handled once it completed, in the order the runs completed.
 */
export async function startRecordingPipeline(): Promise<{
  pipeline: LocalPipeline;
  handled: HandledEvent[];
}> {
  const handled: HandledEvent[] = [];
  const recording = Object.fromEntries(
    Object.entries(defaultHandlers).map(([type, handler]) => [
      type,
      (async (event, context) => {
        await (handler as EventHandler)(event, context);
        handled.push({
          eventId: context.eventId,
          type: event.type,
          connectionId: event.connectionId,
          permissions: (event.data as { connection?: { permissions?: string[] } }).connection?.permissions,
          replay: context.replay,
          receivedAt: context.receivedAt?.toISOString(),
        });
      }) satisfies EventHandler<RealtimeEvent>,
    ]),
  ) as unknown as EventHandlers;
  const pipeline = await startTestPipeline({
    processor: (module) => module.createProcessorHandler({ handlers: recording }),
  });
  return { pipeline, handled };
}

/** The answer to one delivery. */
export interface DeliveryAnswer {
  readonly status: number;
  readonly json: Record<string, unknown>;
}

/** Signs a body (an envelope, or raw text) with a scheme and POSTs it to the pipeline. */
export async function deliver(
  pipeline: LocalPipeline,
  envelope: unknown,
  options: { readonly scheme?: Scheme; readonly headers?: Record<string, string> } = {},
): Promise<DeliveryAnswer & { readonly body: string; readonly headers: Record<string, string> }> {
  const body = typeof envelope === 'string' ? envelope : JSON.stringify(envelope);
  const signed = signDelivery(body, {
    scheme: options.scheme ?? 'ofauth',
    secret: pipeline.secrets.values[0]!,
    timestamp: Math.floor(Date.now() / 1000),
  });
  const headers = { ...signed.headers, ...options.headers };
  const answer = await post(pipeline, body, headers);
  return { ...answer, body, headers };
}

/** POSTs exactly these bytes and headers. */
export async function post(
  pipeline: LocalPipeline,
  body: string,
  headers: Record<string, string>,
): Promise<DeliveryAnswer> {
  const response = await fetch(pipeline.url, { method: 'POST', headers, body });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text);
  } catch {
    json = { text };
  }
  return { status: response.status, json };
}

/** Polls `check` until it returns a value other than undefined, or fails naming `what`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((wake) => setTimeout(wake, 100));
  }
}

/** The connections table item of a connection, or undefined. */
export async function connectionItem(
  pipeline: LocalPipeline,
  connectionId: string,
): Promise<Record<string, unknown> | undefined> {
  const documents = DynamoDBDocumentClient.from(pipeline.clients.dynamodb);
  const result = await documents.send(
    new GetCommand({
      TableName: pipeline.resources.connectionsTableName,
      Key: { pk: connectionKey(connectionId) },
    }),
  );
  return result.Item;
}

/** Receives (without deleting) up to ten messages of the pipeline's dead-letter queue, waiting up to 1 s. */
export async function receiveDeadLetters(pipeline: LocalPipeline): Promise<Message[]> {
  const received = await pipeline.clients.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: pipeline.resources.deadLetterQueueUrl,
      MaxNumberOfMessages: 10,
      MessageAttributeNames: ['All'],
      WaitTimeSeconds: 1,
    }),
  );
  return received.Messages ?? [];
}

/** A unique connection id for one test. */
export function uniqueConnectionId(label: string): string {
  return `conn_${label}_${randomUUID().slice(0, 8)}`;
}
