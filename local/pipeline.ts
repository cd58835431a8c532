/**
 * The whole receiver on one machine: the emulators, the stack's tables and queues, the local
 * Secrets Manager, the HTTP gateway in front of the verifier and the poller in front of the
 * processor, all running the unchanged handler code. `npm start` and the end-to-end tests use it.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { generateDevSecret } from '../dev/signing-secrets.ts';
import { type RejectedMessage, SqsDeadLetterQueue } from '../lambda/processor/dead-letters.ts';
import {
  PROCESSOR_ENVIRONMENT as P,
  POWERTOOLS_ENVIRONMENT as POWERTOOLS,
  VERIFIER_ENVIRONMENT as V,
} from '../lambda/shared/deployment-names.ts';
import { METRICS_NAMESPACE, SERVICE_NAMES } from '../lambda/shared/metrics.ts';
import { EVENT_QUEUE, FUNCTION_DEFAULTS } from '../lambda/shared/resource-definitions.ts';
import { withDemoFailures } from './demo-failures.ts';
import { type Emulators, startEmulators } from './emulators/index.ts';
import { type LocalEventBus, startLocalEventBus } from './event-bus.ts';
import {
  type Gateway,
  type GatewayObserver,
  type GatewayOptions,
  type HttpApiHandler,
  startGateway,
} from './gateway.ts';
import { type Poller, type PollerObserver, type SqsBatchHandler, startPoller } from './poller.ts';
import { createLocalResources, type LocalResources } from './resources.ts';
import { type LocalSecretsManager, startLocalSecretsManager } from './secrets-manager.ts';
import { LOCAL_CREDENTIALS, type LocalPipelineState } from './state.ts';

/** The verifier's module, as imported after the environment is set. */
export type VerifierModule = typeof import('../lambda/verifier/handler.ts');
/** The processor's module, as imported after the environment is set. */
export type ProcessorModule = typeof import('../lambda/processor/handler.ts');
/** Options of the processor's `createProcessorHandler`. */
export type ProcessorOptions = NonNullable<Parameters<ProcessorModule['createProcessorHandler']>[0]>;

/** Hooks that watch the pipeline without changing what it does (the local inspector). */
export interface PipelineObserver {
  /** Sees each webhook request and its answer. */
  readonly gateway?: GatewayObserver;
  /** Sees each batch handed to the processor and its outcome. */
  readonly poller?: PollerObserver;
  /** The processor's logger, one per execution environment, e.g. one that also records its lines. */
  readonly processorLogger?: () => Logger;
  /**
   * Sees each message the processor puts on the dead-letter queue itself (a body that can never
   * become an event), once the queue has taken it. The processor then acknowledges the message,
   * so the poller reports it as succeeded.
   */
  readonly processorDeadLetter?: (message: RejectedMessage) => void;
}

/** The app's handler file (what the repository's stack deploys as the processor). */
type AppHandlersModule = typeof import('../bin/handlers/index.ts');

/** The name of the signing secret in the local Secrets Manager. */
export const LOCAL_SIGNING_SECRET_ID = 'ofauth/webhook-signing-secret';
/** The local queue's visibility timeout: short, so that failed messages come back quickly. */
export const LOCAL_VISIBILITY_TIMEOUT_SECONDS = 5;
/** The verifier's timeout locally: the stack's default (6 s, inside OFAuth's 10-second budget). */
export const LOCAL_VERIFIER_TIMEOUT_MS = FUNCTION_DEFAULTS.verifier.timeoutSeconds * 1000;
/**
 * Verifier execution environments the local gateway runs side by side by default. Lambda scales
 * out further; locally every environment shares one Node.js thread, and beyond this many
 * `npm run bench` measured no more throughput on 2 cores (see docs/performance.md).
 */
export const DEFAULT_VERIFIER_ENVIRONMENTS = 8;
/**
 * Processor execution environments by default: batches in flight at once, fed by one receive at a
 * time as Lambda's event source mapping feeds function instances (see `poller.ts`).
 */
export const DEFAULT_POLLERS = 8;
/**
 * The verifier's module. Each execution environment loads it under a query of its own, and so a
 * module instance of its own, as each Lambda environment loads the bundle; the handler reads its
 * configuration when it loads, so a second pipeline in the same process gets fresh ones too.
 */
const VERIFIER_MODULE_URL = new URL('../lambda/verifier/handler.ts', import.meta.url).href;
/** Pipelines started in this process, to tell their verifier module instances apart. */
let pipelinesStarted = 0;

/** Options for {@link startLocalPipeline}. */
export interface LocalPipelineOptions {
  /** Signing secrets (several during a rotation). @default one generated `whsec_` secret */
  readonly secrets?: readonly string[];
  /** The gateway's port. 0 picks a free one. @default 3000 */
  readonly port?: number;
  /**
   * Endpoints of emulators that already run (the jest global setup's); none are started then.
   * @default start DynamoDB Local and fauxqs on free ports
   */
  readonly endpoints?: { readonly dynamodb: string; readonly sqs: string };
  /** Prefix of every table and queue name, so several pipelines can share emulators. @default 'ofauth' */
  readonly prefix?: string;
  /** Receives before a message moves to the dead-letter queue. @default the stack's (5) */
  readonly maxReceiveCount?: number;
  /** The queue's visibility timeout, which is also the processor's timeout. @default 5 */
  readonly visibilityTimeoutSeconds?: number;
  /** Processor execution environments: batches in flight at once. @default {@link DEFAULT_POLLERS} */
  readonly pollers?: number;
  /**
   * Verifier execution environments at most, each with its own module instance and one
   * invocation at a time. @default {@link DEFAULT_VERIFIER_ENVIRONMENTS}
   */
  readonly verifierEnvironments?: number;
  /** Messages per processor invocation, as the stack's `batchSize`. @default the stack's (10) */
  readonly batchSize?: number;
  /** Long-polling wait of each receive. @default 1 */
  readonly waitTimeSeconds?: number;
  /** The verifier's timeout. @default 6000, the stack's */
  readonly verifierTimeoutMs?: number;
  /** Extra environment for the handlers, e.g. `SIGNATURE_TOLERANCE_SECONDS`. @default none */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Replaces or wraps the verifier's handler, given its module. Called once per execution
   * environment, each with its own module instance. @default the module's `handler`
   */
  readonly verifier?: (module: VerifierModule) => HttpApiHandler;
  /**
   * Creates the processor's handler, given its module and the options the pipeline would pass
   * (this pipeline's connections table, the app's handler map with the demo failures of
   * `demo-failures.ts`, the observer's logger and dead-letter queue if any), e.g.
   * to inject a failing handler through `createProcessorHandler({ ...defaults, handlers })`. Called
   * once per poller (one execution environment each): a handler must not be shared by batches
   * running at once.
   * @default `createProcessorHandler(defaults)` of the module: the app's handler map
   *   (`bin/handlers/index.ts`), as the stack deploys it
   */
  readonly processor?: (module: ProcessorModule, defaults: ProcessorOptions) => SqsBatchHandler;
  /** The pipeline's own logs (requests, poller errors). @default a Powertools Logger, service `ofauth-local` */
  readonly logger?: Logger;
  /**
   * Archive every event into a bucket of fauxqs's S3 (the deployed stack uses Firehose; the
   * processor's S3 adapter writes the same objects), for `replay`. @default true
   */
  readonly archive?: boolean;
  /** Watches requests, batches and the processor's log lines (the local inspector). @default none */
  readonly observer?: PipelineObserver;
  /** Serves other paths on the gateway's port (the local inspector's page). @default none */
  readonly routes?: GatewayOptions['routes'];
}

/** A running local pipeline. */
export interface LocalPipeline {
  /** The webhook URL, e.g. `http://127.0.0.1:3000/webhooks/ofauth`. */
  readonly url: string;
  readonly port: number;
  /** Names and URLs of the tables and queues. */
  readonly resources: LocalResources;
  /** The signing secrets and where the verifier reads them. */
  readonly secrets: {
    readonly values: readonly string[];
    readonly secretId: string;
    readonly manager: LocalSecretsManager;
  };
  /**
   * The emulators' endpoints, the archive's (fauxqs's S3) when it is on, and the pid of DynamoDB
   * Local when this pipeline started it.
   */
  readonly endpoints: {
    readonly dynamodb: string;
    readonly sqs: string;
    readonly archive?: string;
    readonly dynamodbPid?: number;
  };
  /** Clients pointed at the emulators, for tests and tools. */
  readonly clients: { readonly dynamodb: DynamoDBClient; readonly sqs: SQSClient; readonly s3: S3Client };
  /** Verifier execution environments created so far (each one a cold start). */
  readonly verifierEnvironments: number;
  /** What other tools on this machine need to find this pipeline (`local/state.ts`). */
  readonly state: LocalPipelineState;
  /**
   * Resolves, with the reason, if an emulator this pipeline started exits while the pipeline runs
   * (e.g. someone killed DynamoDB Local's Java); never otherwise. The pipeline cannot work on.
   */
  readonly unexpectedExit: Promise<string>;
  /**
   * The recording event bus the processor publishes handled events to (`local/event-bus.ts`; no
   * EventBridge: it keeps what it was sent, for the inspector and tests).
   */
  readonly eventBus: LocalEventBus;
  /** Stops the gateway, lets the batches in flight finish, then stops what this pipeline started. */
  stop(): Promise<void>;
}

/** The bus name the local processor publishes to (the recording bus takes any name). */
export const LOCAL_EVENT_BUS_NAME = 'ofauth-local';

/**
 * The value stored in Secrets Manager for a list of signing secrets: comma-separated, as the
 * verifier reads it (`parseSigningSecrets`) and as `OFAUTH_WEBHOOK_SECRET` takes them.
 */
export function signingSecretValue(secrets: readonly string[]): string {
  return secrets.join(',');
}

/**
 * Starts the pipeline. Fails fast, before starting anything, when the port is taken.
 *
 * @example
 * const pipeline = await startLocalPipeline({ port: 0, secrets: ['whsec_…'] });
 * await fetch(pipeline.url, { method: 'POST', headers, body });
 * await pipeline.stop();
 */
export async function startLocalPipeline(options: LocalPipelineOptions = {}): Promise<LocalPipeline> {
  const logger = options.logger ?? new Logger({ serviceName: 'ofauth-local' });
  const secrets = options.secrets?.length ? [...options.secrets] : [generateDevSecret()];
  const region = process.env.AWS_REGION?.trim() || 'us-east-1';
  const status: PipelineStatus = { ready: false, stopping: false };
  const verifiers = verifierEnvironments(options.verifier);
  // Stopped in reverse order of start, the gateway first so no new delivery arrives.
  const cleanups: Cleanups = [];
  // The port first: a busy port should fail in milliseconds, before Java starts.
  const gateway = await startVerifierGateway(options, { region, logger, status, verifiers });
  cleanups.push(() => gateway.stop());
  try {
    const { endpoints, manager, emulators } = await startBackends(options.endpoints, secrets, cleanups);
    const clients = createClients(region, endpoints, cleanups);
    const resources = await createResources(options, clients);
    const eventBus = await startLocalEventBus();
    cleanups.push(() => eventBus.stop());
    setFunctionEnvironment(
      { region, endpoints, secretsManager: manager.endpoint, resources },
      functionEnvironmentExtras(options, eventBus),
    );
    await verifiers.loadFirst();
    const createProcessor = await loadProcessor(options, resources, clients.sqs);
    const poller = await startProcessorPoller(options, {
      region,
      logger,
      resources,
      clients,
      createProcessor,
    });
    cleanups.push(() => poller.stop());
    // The first verifier environment now: `options.verifier` sees a module before any request.
    await gateway.warm();
    status.state = localState(gateway, region, { ...endpoints, eventBus: eventBus.endpoint }, resources);
    status.ready = true;
    return runningPipeline({
      gateway,
      resources,
      clients,
      eventBus,
      emulators,
      endpoints,
      status,
      secrets: { values: secrets, secretId: LOCAL_SIGNING_SECRET_ID, manager },
      stop: () => stopInOrder(cleanups, logger),
    });
  } catch (error) {
    await stopInOrder(cleanups, logger);
    throw error;
  }
}

/** What a running pipeline started, each stopped by one of these. */
type Cleanups = Array<() => Promise<void>>;

/** Whether the gateway takes deliveries yet, and what its health check reports. */
interface PipelineStatus {
  ready: boolean;
  stopping: boolean;
  state?: LocalPipelineState;
}

/** The clients pointed at the emulators, destroyed when the pipeline stops. */
interface PipelineClients {
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly s3: S3Client;
}

/** Stops the gateway first (no new delivery arrives), then the rest in reverse order of start. */
async function stopInOrder(cleanups: Cleanups, logger: Logger): Promise<void> {
  const gatewayFirst = cleanups.shift();
  if (gatewayFirst) cleanups.push(gatewayFirst);
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch (error) {
      logger.warn('could not stop a part of the local pipeline', { error });
    }
  }
}

/** The HTTP gateway in front of the verifier's environments; it answers 503 until the pipeline is ready. */
function startVerifierGateway(
  options: LocalPipelineOptions,
  parts: {
    readonly region: string;
    readonly logger: Logger;
    readonly status: PipelineStatus;
    readonly verifiers: ReturnType<typeof verifierEnvironments>;
  },
): Promise<Gateway> {
  const { region, logger, status, verifiers } = parts;
  return startGateway({
    port: options.port ?? 3000,
    region,
    timeoutMs: options.verifierTimeoutMs ?? LOCAL_VERIFIER_TIMEOUT_MS,
    functionName: SERVICE_NAMES.verifier,
    memoryLimitInMB: FUNCTION_DEFAULTS.verifier.memorySizeMb,
    isReady: () => status.ready,
    health: () => status.state,
    logger,
    createHandler: verifiers.create,
    environments: options.verifierEnvironments ?? DEFAULT_VERIFIER_ENVIRONMENTS,
    ...(options.observer?.gateway && { observer: options.observer.gateway }),
    ...(options.routes && { routes: options.routes }),
  });
}

function createClients(
  region: string,
  endpoints: { readonly dynamodb: string; readonly sqs: string },
  cleanups: Cleanups,
): PipelineClients {
  const clientConfig = { region, credentials: LOCAL_CREDENTIALS };
  const dynamodb = new DynamoDBClient({ ...clientConfig, endpoint: endpoints.dynamodb });
  const sqs = new SQSClient({ ...clientConfig, endpoint: endpoints.sqs });
  // fauxqs serves S3 on its SQS port, with path-style URLs.
  const s3 = new S3Client({ ...clientConfig, endpoint: endpoints.sqs, forcePathStyle: true });
  cleanups.push(async () => {
    dynamodb.destroy();
    sqs.destroy();
    s3.destroy();
  });
  return { dynamodb, sqs, s3 };
}

/** The stack's tables and queues (and the archive's bucket unless it is off) in the emulators. */
function createResources(options: LocalPipelineOptions, clients: PipelineClients): Promise<LocalResources> {
  const { dynamodb, sqs, s3 } = clients;
  return createLocalResources(
    { dynamodb, sqs, ...((options.archive ?? true) && { s3 }) },
    {
      prefix: options.prefix ?? 'ofauth',
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? LOCAL_VISIBILITY_TIMEOUT_SECONDS,
      ...(options.maxReceiveCount !== undefined && { maxReceiveCount: options.maxReceiveCount }),
    },
  );
}

/** What the stack passes the functions beyond their resources, then the caller's `env`. */
function functionEnvironmentExtras(
  options: LocalPipelineOptions,
  eventBus: LocalEventBus,
): Record<string, string> {
  return {
    // As the stack sets it with an eventBus: the processor publishes each handled event.
    [P.eventBusName]: LOCAL_EVENT_BUS_NAME,
    AWS_ENDPOINT_URL_EVENTBRIDGE: eventBus.endpoint,
    // As the stack sets it: the event record says which failed attempt was the last.
    [P.maxReceiveCount]: String(options.maxReceiveCount ?? EVENT_QUEUE.defaultMaxReceiveCount),
    ...options.env,
  };
}

/**
 * Loads the processor's module and the app's handler map, and returns what creates one
 * processor handler per execution environment (`options.processor`, or the module's own).
 */
async function loadProcessor(
  options: LocalPipelineOptions,
  resources: LocalResources,
  sqs: SQSClient,
): Promise<() => SqsBatchHandler> {
  const processorModule = await importAs<ProcessorModule>(
    SERVICE_NAMES.processor,
    () => import('../lambda/processor/handler.ts'),
  );
  const app = await importAs<AppHandlersModule>(
    SERVICE_NAMES.processor,
    () => import('../bin/handlers/index.ts'),
  );
  // Each handler falls back to its own service name when it builds its logger lazily.
  delete process.env[POWERTOOLS.serviceName];
  const deadLetterQueue = observedDeadLetterQueue(options.observer, resources, sqs);
  // Demo connections fail every receive before the dead-letter queue, then go through once redriven.
  const handlers = withDemoFailures(app.handlers, {
    failures: options.maxReceiveCount ?? EVENT_QUEUE.defaultMaxReceiveCount,
  });
  return () => {
    const processorLogger = options.observer?.processorLogger;
    const defaults: ProcessorOptions = {
      connectionsTableName: resources.connectionsTableName,
      handlers,
      ...(processorLogger && { logger: processorLogger() }),
      ...(deadLetterQueue && { deadLetterQueue }),
    };
    return options.processor
      ? options.processor(processorModule, defaults)
      : processorModule.createProcessorHandler(defaults);
  };
}

/** The poller in front of the processor, as Lambda's event source mapping for the queue. */
function startProcessorPoller(
  options: LocalPipelineOptions,
  parts: {
    readonly region: string;
    readonly logger: Logger;
    readonly resources: LocalResources;
    readonly clients: PipelineClients;
    readonly createProcessor: () => SqsBatchHandler;
  },
): Promise<Poller> {
  const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? LOCAL_VISIBILITY_TIMEOUT_SECONDS;
  return startPoller({
    sqs: parts.clients.sqs,
    queueUrl: parts.resources.queueUrl,
    createHandler: parts.createProcessor,
    concurrency: options.pollers ?? DEFAULT_POLLERS,
    batchSize: options.batchSize ?? EVENT_QUEUE.defaultBatchSize,
    waitTimeSeconds: options.waitTimeSeconds ?? 1,
    timeoutMs: visibilityTimeoutSeconds * 1000,
    functionName: SERVICE_NAMES.processor,
    memoryLimitInMB: FUNCTION_DEFAULTS.processor.memorySizeMb,
    region: parts.region,
    logger: parts.logger,
    ...(options.observer?.poller && { observer: options.observer.poller }),
  });
}

/** What other tools on this machine read to find the pipeline (`local/state.ts`). */
function localState(
  gateway: Gateway,
  region: string,
  endpoints: { readonly dynamodb: string; readonly sqs: string; readonly eventBus: string },
  resources: LocalResources,
): LocalPipelineState {
  return {
    url: gateway.url,
    port: gateway.port,
    pid: process.pid,
    region,
    endpoints: {
      dynamodb: endpoints.dynamodb,
      sqs: endpoints.sqs,
      ...(resources.archive && { archive: endpoints.sqs }),
      eventBus: endpoints.eventBus,
    },
    resources,
    startedAt: new Date().toISOString(),
  };
}

/** The running pipeline handed to the caller. */
function runningPipeline(parts: {
  readonly gateway: Gateway;
  readonly resources: LocalResources;
  readonly clients: PipelineClients;
  readonly eventBus: LocalEventBus;
  readonly emulators: Emulators | undefined;
  readonly endpoints: { readonly dynamodb: string; readonly sqs: string };
  readonly secrets: LocalPipeline['secrets'];
  readonly status: PipelineStatus;
  readonly stop: () => Promise<void>;
}): LocalPipeline {
  const { gateway, resources, emulators, endpoints, status } = parts;
  return {
    url: gateway.url,
    port: gateway.port,
    resources,
    secrets: parts.secrets,
    endpoints: {
      ...endpoints,
      ...(resources.archive && { archive: endpoints.sqs }),
      ...(emulators && { dynamodbPid: emulators.dynamodb.process.pid }),
    },
    clients: parts.clients,
    eventBus: parts.eventBus,
    get verifierEnvironments() {
      return gateway.environments;
    },
    state: status.state!,
    unexpectedExit: new Promise<string>((report) => {
      emulators?.dynamodb.exited.then((how) => {
        if (!status.stopping)
          report(`DynamoDB Local (pid ${emulators?.dynamodb.process.pid}) exited (${how})`);
      });
    }),
    stop: async () => {
      status.stopping = true;
      status.ready = false;
      await parts.stop();
    },
  };
}

/**
 * The processor's dead-letter queue as it would build it from DEAD_LETTER_QUEUE_URL, telling the
 * observer about each message it took; undefined (the processor's own) without an observer.
 */
function observedDeadLetterQueue(
  observer: PipelineObserver | undefined,
  resources: LocalResources,
  sqs: SQSClient,
): ProcessorOptions['deadLetterQueue'] {
  const watch = observer?.processorDeadLetter;
  if (!watch) return undefined;
  const queue = new SqsDeadLetterQueue({ queueUrl: resources.deadLetterQueueUrl, client: () => sqs });
  return {
    send: async (message) => {
      await queue.send(message);
      try {
        watch(message);
      } catch {
        // Watching must never change what the processor does.
      }
    },
  };
}

/**
 * The emulators (unless their endpoints are given) and the local Secrets Manager, side by side;
 * each one started is added to `cleanups`, even when another fails.
 */
async function startBackends(
  given: LocalPipelineOptions['endpoints'],
  secrets: readonly string[],
  cleanups: Cleanups,
) {
  let emulators: Emulators | undefined;
  let manager: LocalSecretsManager | undefined;
  const started = await Promise.allSettled([
    given
      ? Promise.resolve(given)
      : startEmulators().then((running) => {
          emulators = running;
          cleanups.push(() => running.stop());
          return { dynamodb: running.dynamodb.endpoint, sqs: running.sqs.endpoint };
        }),
    startLocalSecretsManager({ [LOCAL_SIGNING_SECRET_ID]: signingSecretValue(secrets) }).then((running) => {
      manager = running;
      cleanups.push(() => running.stop());
      return running;
    }),
  ]);
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  const endpoints = (started[0] as PromiseFulfilledResult<{ dynamodb: string; sqs: string }>).value;
  return { endpoints, manager: manager!, emulators };
}

/**
 * The verifier's execution environments: each loads `lambda/verifier/handler.ts` as a module
 * instance of its own (its own clients, logger keys and idempotency context), under a query unique
 * to this pipeline and environment. The first is loaded at start-up, so that a module that cannot
 * load fails the start.
 */
function verifierEnvironments(wrap: LocalPipelineOptions['verifier']) {
  const pipeline = ++pipelinesStarted;
  const load = async (index: number) =>
    (await import(`${VERIFIER_MODULE_URL}?pipeline=${pipeline}&environment=${index}`)) as VerifierModule;
  let first: VerifierModule | undefined;
  return {
    loadFirst: async () => {
      first = await importAs<VerifierModule>(SERVICE_NAMES.verifier, () => load(0));
    },
    create: async (index: number): Promise<HttpApiHandler> => {
      const module = index === 0 && first ? first : await load(index);
      return wrap ? wrap(module) : (module.handler as unknown as HttpApiHandler);
    },
  };
}

/**
 * Sets what Lambda would set for the functions, and what the stack passes them. The handlers read
 * their configuration when their modules load, so this comes first, as Lambda sets the environment
 * before the runtime imports the bundle.
 */
function setFunctionEnvironment(
  where: {
    readonly region: string;
    readonly endpoints: { readonly dynamodb: string; readonly sqs: string };
    readonly secretsManager: string;
    readonly resources: LocalResources;
  },
  extra: Readonly<Record<string, string>> = {},
): void {
  const { region, endpoints, resources } = where;
  Object.assign(process.env, {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: where.secretsManager,
    [V.signingSecretId]: LOCAL_SIGNING_SECRET_ID,
    [V.queueUrl]: resources.queueUrl,
    [V.deadLetterQueueUrl]: resources.deadLetterQueueUrl,
    [P.connectionsTableName]: resources.connectionsTableName,
    // The event record: the verifier claims each event there, the processor records its fate.
    [V.processedEventsTableName]: resources.processedEventsTableName,
    ...(resources.archive && {
      [P.archiveBucketName]: resources.archive,
      AWS_ENDPOINT_URL_S3: endpoints.sqs,
      [P.archiveS3ForcePathStyle]: 'true',
    }),
    // Lambda sets this in every function.
    AWS_LAMBDA_FUNCTION_NAME: SERVICE_NAMES.verifier,
    // Lambda sets it in on-demand environments; Powertools reports cold_start only when it is.
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  if (!resources.archive) delete process.env[P.archiveBucketName];
  process.env[POWERTOOLS.metricsNamespace] ??= METRICS_NAMESPACE;
  // Locally the EMF lines would drown the logs; POWERTOOLS_METRICS_DISABLED=false brings them back.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  Object.assign(process.env, extra);
}

/**
 * Imports a handler module with its function's service name set, as each function has its own
 * environment in AWS; Powertools reads `POWERTOOLS_SERVICE_NAME` when a module creates its logger.
 */
async function importAs<T>(serviceName: string, load: () => Promise<unknown>): Promise<T> {
  process.env[POWERTOOLS.serviceName] = serviceName;
  return (await load()) as T;
}
