/**
 * The local inspector: a page on the gateway's own port (`http://127.0.0.1:$PORT/`) that shows
 * each delivery of `npm start` live, what became of its event, the connection registry and the
 * dead-letter queue, and that sends example events, replays events and redrives dead letters.
 *
 * It watches the pipeline through the gateway's, the poller's and the processor logger's
 * observer hooks, keeps what it sees in memory, and pushes each change to the page over
 * server-sent events. Development only: it lives under `local/`, which no Lambda bundle imports
 * and the package does not ship.
 *
 * @example
 * const inspector = createInspector();
 * const pipeline = await startLocalPipeline({ observer: inspector.observer, routes: inspector.routes });
 * await inspector.attach(pipeline);
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LeanLogFormatter } from '../../lambda/shared/logger.ts';
import { SERVICE_NAMES } from '../../lambda/shared/metrics.ts';
import { DEAD_LETTER_ATTRIBUTES, MESSAGE_ATTRIBUTES } from '../../lambda/shared/queue-message.ts';
import type { PipelineObserver } from '../pipeline.ts';
import { InspectorActions, type InspectorPipeline } from './actions.ts';
import type {
  DeadLetterQueueView,
  DeadLetterView,
  DeliveryDetail,
  InspectorConfig,
  PublishedView,
  RegistryView,
  Snapshot,
} from './api-types.ts';
import { ASSET_PATHS, assetBytes, buildPageAssets, type PageAssets } from './assets.ts';
import { deadLetterOrigin } from './dead-letters.ts';
import { toDeliveryRecord } from './delivery.ts';
import { readEventRecord, withRecord } from './event-record.ts';
import {
  EventStreams,
  guard,
  InspectorHttpError,
  readJson,
  SECURITY_HEADERS,
  sendError,
  sendJson,
} from './http.ts';
import { ObservedLogger } from './observed-logger.ts';
import { type InspectedMessage, InspectorQueues } from './queues.ts';
import { readRegistry } from './registry.ts';
import { eventKeyOfRecord, InspectorStore } from './store.ts';

export type { InspectorPipeline } from './actions.ts';

/** Options of {@link createInspector}. */
export interface InspectorOptions {
  /** Deliveries kept in memory. @default 1000 */
  readonly maxDeliveries?: number;
}

/** A running inspector. */
export interface Inspector {
  /** Pass to `startLocalPipeline({ observer })`. */
  readonly observer: PipelineObserver;
  /** Pass to `startLocalPipeline({ routes })`: serves the page and its API on the gateway's port. */
  readonly routes: (request: IncomingMessage, response: ServerResponse) => boolean;
  /** The page's size in bytes (HTML, CSS and script), once it is built. */
  pageBytes(): Promise<number>;
  /** Connects the lists and the actions to the started pipeline; fails if the page could not be built. */
  attach(pipeline: InspectorPipeline): Promise<void>;
  /** Ends the page's streams and timers. */
  close(): void;
}

/** Published events the page lists, newest first. */
const PUBLISHED_SHOWN = 100;

/** The events the processor published to the local bus, newest first (`GET /api/published`). */
export function publishedView(pipeline: InspectorPipeline): PublishedView {
  const events = pipeline.eventBus?.events ?? [];
  return {
    enabled: pipeline.eventBus !== undefined,
    total: events.length,
    events: events
      .slice(-PUBLISHED_SHOWN)
      .reverse()
      .map((event) => {
        const detail = event.detail as { eventKey?: string; connectionId?: string; replay?: boolean };
        return {
          id: event.id,
          detailType: event.detailType,
          publishedAt: event.publishedAt,
          ...(event.time && { time: event.time }),
          ...(detail.eventKey && { eventKey: detail.eventKey }),
          ...(detail.connectionId && { connectionId: detail.connectionId }),
          replay: detail.replay === true,
        };
      }),
  };
}

/** How long after a final failure the dead-letter queue is first read: the message moves on its next receive. */
const DEAD_LETTER_GRACE_MS = 500;
/** Reads the dead-letter queue again this often until a final failure shows there… */
const DEAD_LETTER_RECHECK_MS = 1_000;
/** …for at most this long after the visibility timeout. */
const DEAD_LETTER_WATCH_MS = 10_000;
/** Changes closer together than this make one refresh. */
const REFRESH_COALESCE_MS = 150;

type RefreshedList = 'registry' | 'deadLetters';

/** One list's pending refresh: at most one timer, and one refresh at a time. */
interface RefreshState {
  timer?: NodeJS.Timeout;
  due: number;
  running: boolean;
  again: boolean;
}

/**
 * An inspector ready to be handed to `startLocalPipeline`. Its page is bundled meanwhile, so a
 * busy port still fails `npm start` at once.
 *
 * @example
 * const inspector = createInspector();
 */
export function createInspector(options: InspectorOptions = {}): Inspector {
  return new LocalInspector(buildPageAssets(), options);
}

class LocalInspector implements Inspector {
  readonly #assets: Promise<PageAssets>;
  readonly #store: InspectorStore;
  readonly #streams = new EventStreams();
  #attached?: {
    readonly pipeline: InspectorPipeline;
    readonly actions: InspectorActions;
    readonly queues: InspectorQueues;
    readonly config: InspectorConfig;
  };
  #registry: RegistryView = { connections: [] };
  #deadLetters: DeadLetterQueueView = { messages: [] };
  /** Events whose last attempt failed for good, with when to stop looking for them on the dead-letter queue. */
  readonly #awaitingDeadLetter = new Map<string, number>();
  readonly #refreshes: Record<RefreshedList, RefreshState> = {
    registry: { due: 0, running: false, again: false },
    deadLetters: { due: 0, running: false, again: false },
  };

  constructor(assets: Promise<PageAssets>, options: InspectorOptions) {
    this.#assets = assets;
    // attach() reports a failed build; until then nobody else awaits it.
    assets.catch(() => undefined);
    this.#store = new InspectorStore({
      ...(options.maxDeliveries && { maxDeliveries: options.maxDeliveries }),
    });
    this.#store.subscribe((summary) => this.#streams.broadcast('delivery', summary));
  }

  async pageBytes(): Promise<number> {
    return assetBytes(await this.#assets);
  }

  readonly observer: PipelineObserver = {
    gateway: {
      exchanged: (exchange) => {
        this.#safely(() => {
          const delivery = toDeliveryRecord(exchange);
          this.#store.addDelivery(delivery);
          // A signed body the verifier cannot hand on is kept on the dead-letter queue.
          if (delivery.status >= 400 && delivery.status < 500 && delivery.status !== 401)
            this.#later('deadLetters', 0);
        });
      },
    },
    poller: {
      batchStarted: (records) =>
        this.#safely(() => {
          for (const record of records) this.#store.attemptStarted(record);
        }),
      batchFinished: (records, result) =>
        this.#safely(() => {
          const succeeded = new Set(result.succeeded);
          for (const record of records) {
            const next = this.#store.attemptFinished(record, succeeded.has(record.messageId), result.error);
            if (next === 'dead-letter') this.#awaitDeadLetter(eventKeyOfRecord(record));
            // The processor's own send is done: the message is on the dead-letter queue now.
            if (next === 'rejected') this.#later('deadLetters', 0);
          }
          if (succeeded.size > 0) this.#later('registry', 0);
        }),
    },
    processorDeadLetter: (message) =>
      this.#safely(() => {
        const attribute = (name: string) => message.attributes[name]?.StringValue;
        const eventKey = attribute(MESSAGE_ATTRIBUTES.eventKey);
        const reason = attribute(DEAD_LETTER_ATTRIBUTES.reason);
        if (!eventKey || !reason) return;
        const detail = attribute(DEAD_LETTER_ATTRIBUTES.detail);
        this.#store.rejectedByProcessor(eventKey, { reason, ...(detail && { detail }) });
      }),
    processorLogger: () =>
      new ObservedLogger({
        serviceName: SERVICE_NAMES.processor,
        // The deployed processor's lines (lambda/shared/logger.ts).
        logFormatter: new LeanLogFormatter(),
        sink: (line) => this.#store.addLogLine(line),
      }),
  };

  readonly routes = (request: IncomingMessage, response: ServerResponse): boolean => {
    const path = (request.url ?? '/').split('?', 1)[0]!;
    const asset = request.method === 'GET' && ASSET_PATHS.has(path);
    if (!asset && !path.startsWith('/api/')) return false;
    this.#serve(request, response, path).catch((error: unknown) => sendError(response, error));
    return true;
  };

  async attach(pipeline: InspectorPipeline): Promise<void> {
    await this.#assets;
    const queues = new InspectorQueues({
      sqs: pipeline.clients.sqs,
      sqsEndpoint: pipeline.endpoints.sqs,
      queueUrl: pipeline.resources.queueUrl,
      deadLetterQueueUrl: pipeline.resources.deadLetterQueueUrl,
    });
    const settings = await queues.settings();
    this.#store.maxReceiveCount = settings.maxReceiveCount;
    const actions = new InspectorActions(pipeline, this.#store, queues);
    this.#attached = { pipeline, actions, queues, config: actions.config(settings) };
    // Pushed like the other lists: each publish sends the page the list again.
    pipeline.eventBus?.subscribe(() => this.#streams.broadcast('published', publishedView(pipeline)));
    await Promise.all([this.#refreshRegistry(), this.#refreshDeadLetters()]);
  }

  close(): void {
    for (const state of Object.values(this.#refreshes)) clearTimeout(state.timer);
    this.#streams.close();
  }

  async #serve(request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
    guard(request);
    const asset = request.method === 'GET' ? (await this.#assets).get(path) : undefined;
    if (asset) {
      response.writeHead(200, {
        ...SECURITY_HEADERS,
        'content-type': asset.contentType,
        'content-length': String(asset.body.length),
      });
      response.end(asset.body);
      return;
    }
    const attached = this.#attached;
    if (!attached) throw new InspectorHttpError(503, 'starting', 'the local pipeline is still starting');
    const route = `${request.method} ${path}`;
    const deliveryId = /^\/api\/deliveries\/([^/]+)(\/replay)?$/.exec(path);
    if (route === 'GET /api/stream') {
      this.#streams.open(request, response, 'snapshot', this.#snapshot(attached.config));
    } else if (route === 'GET /api/deliveries') {
      sendJson(response, 200, this.#store.summaries());
    } else if (request.method === 'GET' && deliveryId && !deliveryId[2]) {
      const detail = this.#store.detail(decodeURIComponent(deliveryId[1]!));
      if (!detail)
        throw new InspectorHttpError(
          404,
          'not_found',
          'no such delivery (the inspector keeps the latest ones)',
        );
      sendJson(response, 200, await this.#withRecord(detail, attached.pipeline));
    } else if (route === 'GET /api/connections') {
      sendJson(response, 200, await this.#refreshRegistry());
    } else if (route === 'GET /api/published') {
      sendJson(response, 200, publishedView(attached.pipeline));
    } else if (route === 'GET /api/dead-letters') {
      sendJson(response, 200, await this.#refreshDeadLetters());
    } else if (route === 'POST /api/send') {
      sendJson(response, 200, await attached.actions.send(await readJson(request)));
    } else if (request.method === 'POST' && deliveryId?.[2]) {
      await readJson(request);
      sendJson(response, 200, await attached.actions.replay(decodeURIComponent(deliveryId[1]!)));
    } else if (route === 'POST /api/dead-letters/redrive') {
      await readJson(request);
      const result = await attached.actions.redrive();
      await this.#refreshDeadLetters();
      sendJson(response, 200, result);
    } else {
      request.resume();
      throw new InspectorHttpError(404, 'not_found', `no inspector route ${route}`);
    }
  }

  #snapshot(config: InspectorConfig): Snapshot {
    return {
      config,
      deliveries: this.#store.summaries(),
      registry: this.#registry,
      deadLetters: this.#deadLetters,
      ...(this.#attached && { published: publishedView(this.#attached.pipeline) }),
    };
  }

  /** The detail with its event's record, read as `trace` reads it; without it when it cannot be read. */
  async #withRecord(detail: DeliveryDetail, pipeline: InspectorPipeline): Promise<DeliveryDetail> {
    const { eventKey } = detail.summary;
    const tableName = pipeline.resources.processedEventsTableName;
    if (!eventKey || !tableName) return detail;
    try {
      return withRecord(detail, await readEventRecord(pipeline.clients.dynamodb, tableName, eventKey));
    } catch {
      // The side channel's fate stands: the page must not fail because the table is busy.
      return detail;
    }
  }

  async #refreshRegistry(): Promise<RegistryView> {
    const pipeline = this.#attached?.pipeline;
    if (!pipeline) return this.#registry;
    try {
      this.#registry = await readRegistry(pipeline.clients.dynamodb, pipeline.resources.connectionsTableName);
    } catch (error) {
      this.#registry = { ...this.#registry, error: `could not read the connections table: ${String(error)}` };
    }
    this.#streams.broadcast('registry', this.#registry);
    return this.#registry;
  }

  async #refreshDeadLetters(): Promise<DeadLetterQueueView> {
    const queues = this.#attached?.queues;
    if (!queues) return this.#deadLetters;
    try {
      const messages = await queues.deadLetters();
      this.#deadLetters = { messages: messages.map((message) => this.#deadLetterView(message)) };
      const keys = new Set(
        this.#deadLetters.messages.flatMap((message) => (message.eventKey ? [message.eventKey] : [])),
      );
      this.#store.seenOnDeadLetterQueue(keys);
      for (const key of keys) this.#awaitingDeadLetter.delete(key);
    } catch (error) {
      this.#deadLetters = {
        ...this.#deadLetters,
        error: `could not read the dead-letter queue: ${String(error)}`,
      };
    }
    this.#streams.broadcast('dead-letters', this.#deadLetters);
    return this.#deadLetters;
  }

  #deadLetterView(message: InspectedMessage): DeadLetterView {
    const attribute = (name: string) => message.messageAttributes?.[name]?.StringValue;
    const eventKey = attribute('eventKey');
    const lastError = eventKey ? this.#store.lastError(eventKey) : undefined;
    const deliveryId = eventKey ? this.#store.latestDeliveryId(eventKey) : undefined;
    const delivery = deliveryId ? this.#store.delivery(deliveryId) : undefined;
    const receiveCount = message.approximateReceiveCount ?? 0;
    return {
      messageId: message.messageId,
      ...(eventKey && { eventKey }),
      ...((attribute('eventType') ?? delivery?.eventType) && {
        eventType: attribute('eventType') ?? delivery?.eventType,
      }),
      ...(delivery?.connectionId && { connectionId: delivery.connectionId }),
      ...(message.messageGroupId && { groupId: message.messageGroupId }),
      ...deadLetterOrigin(message, {
        maxReceiveCount: this.#attached?.config.maxReceiveCount ?? Number.POSITIVE_INFINITY,
        ...(lastError && { lastError }),
      }),
      receiveCount,
      ...(message.sentTimestamp && { sentAt: new Date(message.sentTimestamp).toISOString() }),
      ...(deliveryId && { deliveryId }),
    };
  }

  /** Watches the dead-letter queue until the event shows there (its move happens on the next receive). */
  #awaitDeadLetter(eventKey: string): void {
    const visibilityMs = (this.#attached?.config.visibilityTimeoutSeconds ?? 0) * 1000;
    this.#awaitingDeadLetter.set(eventKey, Date.now() + visibilityMs + DEAD_LETTER_WATCH_MS);
    this.#later('deadLetters', visibilityMs + DEAD_LETTER_GRACE_MS);
  }

  /** Refreshes a list after a delay: one timer per list, the earliest due wins, one refresh at a time. */
  #later(list: RefreshedList, delayMs: number): void {
    const state = this.#refreshes[list];
    const due = Date.now() + Math.max(delayMs, REFRESH_COALESCE_MS);
    if (state.running) {
      state.again = true;
      return;
    }
    if (state.timer) {
      if (state.due <= due) return;
      clearTimeout(state.timer);
    }
    state.due = due;
    state.timer = setTimeout(() => void this.#refresh(list), due - Date.now()).unref();
  }

  async #refresh(list: RefreshedList): Promise<void> {
    const state = this.#refreshes[list];
    state.timer = undefined;
    state.running = true;
    try {
      if (list === 'registry') await this.#refreshRegistry();
      else await this.#refreshDeadLetters();
    } finally {
      state.running = false;
    }
    if (state.again) {
      state.again = false;
      this.#later(list, 0);
    }
    if (list === 'deadLetters') {
      const now = Date.now();
      for (const [key, until] of this.#awaitingDeadLetter)
        if (until < now) this.#awaitingDeadLetter.delete(key);
      if (this.#awaitingDeadLetter.size > 0) this.#later('deadLetters', DEAD_LETTER_RECHECK_MS);
    }
  }

  #safely(watch: () => void): void {
    try {
      watch();
    } catch {
      // Watching must never change what the pipeline does; a bug here loses a row, not a delivery.
    }
  }
}
