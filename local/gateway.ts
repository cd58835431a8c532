/**
 * The local stand-in for the API Gateway HTTP API: a node:http server that turns each
 * `POST /webhooks/ofauth` into a payload-2.0 event, invokes the verifier's handler with a
 * Lambda-like context and answers with its result, following API Gateway's rules for both.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@aws-lambda-powertools/logger';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyResultV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { httpApiEvent, rawHeaderPairs } from '../dev/api-gateway-event.ts';
import { WEBHOOK_PATH } from '../lambda/shared/deployment-names.ts';
import { EnvironmentPool } from './environment-pool.ts';
import { InvocationTimeoutError, invokeWithTimeout } from './lambda-context.ts';

/** The one route the stack exposes. */
export const WEBHOOK_ROUTE = { method: 'POST', path: WEBHOOK_PATH } as const;
/** API Gateway's payload limit for HTTP APIs: a larger body is answered 413 before anything else. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/**
 * Lambda's limit on a synchronous invocation's payload, the event JSON (6 MiB). A body under
 * {@link MAX_REQUEST_BYTES} whose event passes it never reaches the function: a base64-encoded body
 * (binary content types) passes it from about 4.5 MiB, a text body from about 6 MiB.
 */
export const MAX_INVOCATION_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** An API Gateway HTTP API (payload 2.0) Lambda handler. */
export type HttpApiHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyResultV2>;

/** The few logging calls the gateway makes, on Powertools' Logger. */
export type GatewayLogger = Pick<Logger, 'info' | 'error'>;

/** Options for {@link startGateway}. */
export interface GatewayOptions {
  /**
   * The verifier's handler, in one execution environment: one invocation at a time. Give
   * `createHandler` instead to run several environments side by side.
   * @default none; one of `handler` and `createHandler` is required
   */
  readonly handler?: HttpApiHandler;
  /**
   * Creates one execution environment's handler (its own module instance, see
   * {@link EnvironmentPool}). The gateway creates the first at start-up and more, up to
   * `environments`, when requests overlap.
   * @default none; one of `handler` and `createHandler` is required
   */
  readonly createHandler?: (index: number) => HttpApiHandler | Promise<HttpApiHandler>;
  /**
   * Execution environments at most (only with `createHandler`). Each runs one invocation at a time,
   * as a Lambda execution environment does; more requests at once wait their turn.
   * @default 1
   */
  readonly environments?: number;
  /** The port to listen on. @default 3000; 0 picks a free port */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** The verifier's timeout: the context counts down from it, and a late answer becomes a 500. @default 6000 */
  readonly timeoutMs?: number;
  /** @default 'ofauth-verifier' */
  readonly functionName?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** The function's memory, reported in the context as Lambda does. @default 256 */
  readonly memoryLimitInMB?: number;
  /**
   * `GET /healthz` answers 200, and the webhook route invokes the handler, only while this returns
   * true; before, both answer 503. @default () => true
   */
  readonly isReady?: () => boolean;
  /** What `GET /healthz` answers when ready, besides `status: "ok"`. @default nothing more */
  readonly health?: () => object | undefined;
  /** Access log and invocation errors. @default no logging */
  readonly logger?: GatewayLogger;
  /** Watches each webhook request and its answer (the local inspector). @default none */
  readonly observer?: GatewayObserver;
  /**
   * Serves other paths on the same port (the local inspector's page): returns true when it took the
   * request. The webhook route and `/healthz` are matched first. @default every other path is a 404
   */
  readonly routes?: (request: IncomingMessage, response: ServerResponse) => boolean;
}

/** One webhook request and the gateway's answer, as an observer sees it. */
export interface GatewayExchange {
  /** The `requestContext.requestId`, also answered as `apigw-requestid`. */
  readonly requestId: string;
  /** Milliseconds since the epoch when the request arrived. */
  readonly receivedAt: number;
  readonly method: string;
  /** Path and query as received. */
  readonly url: string;
  /** Alternating names and values, as received. */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly statusCode: number;
  readonly responseHeaders: Readonly<Record<string, string | string[]>>;
  readonly responseBody: Buffer;
  readonly latencyMs: number;
}

/** Watches the gateway without changing what it answers. */
export interface GatewayObserver {
  /** Called once the answer has been written; must not throw. */
  exchanged(exchange: GatewayExchange): void;
}

/** A listening gateway. */
export interface Gateway {
  /** The webhook URL, e.g. `http://127.0.0.1:3000/webhooks/ofauth`. */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** Execution environments created so far (each one a cold start). */
  readonly environments: number;
  /** Creates the first execution environment now, before any request needs it. */
  warm(): Promise<void>;
  /** Stops accepting requests and closes open connections. */
  stop(): Promise<void>;
}

/** Thrown by {@link startGateway} when the port is taken. */
export class PortInUseError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(
      `port ${port} on ${host} is already in use (is another \`npm start\` running?); set PORT to another port`,
    );
    this.name = 'PortInUseError';
  }
}

/** What the gateway writes back for a handler's result. */
export interface HttpAnswer {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly cookies: readonly string[];
  readonly body: Buffer;
}

/**
 * Maps a handler's result to the HTTP answer, as API Gateway does for payload 2.0: a structured
 * result is used as is (its base64 body decoded); any other value is JSON with status 200.
 */
export function fromHttpApiResult(result: APIGatewayProxyResultV2): HttpAnswer {
  if (result !== null && typeof result === 'object' && 'statusCode' in result) {
    const structured = result as APIGatewayProxyStructuredResultV2;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(structured.headers ?? {}))
      headers[name.toLowerCase()] = String(value);
    const text = structured.body ?? '';
    return {
      statusCode: structured.statusCode ?? 200,
      headers,
      cookies: structured.cookies ?? [],
      body: Buffer.from(text, structured.isBase64Encoded ? 'base64' : 'utf8'),
    };
  }
  const body = typeof result === 'string' ? result : JSON.stringify(result);
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    cookies: [],
    body: Buffer.from(body ?? '', 'utf8'),
  };
}

const INTERNAL_ERROR = Buffer.from(JSON.stringify({ message: 'Internal Server Error' }));

/**
 * The answer to a request whose invocation payload Lambda would refuse. Not shown on an HTTP API
 * here: this is what a REST API was seen answering (see docs/how-it-works.md#body-size-limits).
 */
const REQUEST_TOO_LONG: HttpAnswer = {
  statusCode: 413,
  headers: { 'content-type': 'application/json' },
  cookies: [],
  body: Buffer.from(JSON.stringify({ message: 'Request Too Long' })),
};

/** Whether Lambda would refuse to be invoked with `event`: its JSON is over 6 MiB. */
function exceedsInvocationLimit(event: APIGatewayProxyEventV2): boolean {
  // JSON escaping turns one character into at most 6 bytes (`\u0001`), and the rest of the event
  // is a few KiB: only a body over an eighth of the limit can pass it, so only such a body is
  // serialized to be measured.
  const bodyLength = event.body?.length ?? 0;
  if (bodyLength < MAX_INVOCATION_PAYLOAD_BYTES / 8) return false;
  return Buffer.byteLength(JSON.stringify(event)) > MAX_INVOCATION_PAYLOAD_BYTES;
}

function sendJson(response: ServerResponse, statusCode: number, body: unknown): void {
  const text = Buffer.from(JSON.stringify(body));
  response.writeHead(statusCode, {
    'content-type': 'application/json',
    'content-length': String(text.length),
    'apigw-requestid': randomUUID(),
  });
  response.end(text);
}

/** Reads the body, or returns null (after answering 413) once it passes the limit. */
function readBody(request: IncomingMessage, response: ServerResponse, limit: number): Promise<Buffer | null> {
  return new Promise((resolveBody, reject) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    const tooLarge = () => {
      request.removeAllListeners('data');
      response.setHeader('connection', 'close');
      sendJson(response, 413, { message: 'Request Entity Too Large' });
      request.resume();
      resolveBody(null);
    };
    if (declared > limit) {
      tooLarge();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        tooLarge();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (size <= limit) resolveBody(Buffer.concat(chunks));
    });
    request.on('error', reject);
  });
}

function environmentPool(options: GatewayOptions): EnvironmentPool<HttpApiHandler> {
  const { handler, createHandler } = options;
  if (createHandler) return new EnvironmentPool({ create: createHandler, size: options.environments ?? 1 });
  if (!handler) throw new TypeError('startGateway needs a handler or createHandler');
  // One shared handler is one environment: a second one would run beside it in the same module.
  return new EnvironmentPool({ create: () => handler, size: 1 });
}

/**
 * Starts the gateway on 127.0.0.1.
 *
 * @throws {PortInUseError} when the port is taken
 * @example
 * const gateway = await startGateway({ handler, port: 3000 });
 * console.log(gateway.url); // http://127.0.0.1:3000/webhooks/ofauth
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const host = options.host ?? '127.0.0.1';
  const isReady = options.isReady ?? (() => true);
  const pool = environmentPool(options);
  const invoke = verifierInvoker(options, pool);
  let port = 0;

  const serve = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const started = performance.now();
    const path = (request.url ?? '/').split('?', 1)[0]!;
    if (request.method === 'GET' && path === '/healthz') {
      if (isReady()) sendJson(response, 200, { status: 'ok', ...options.health?.() });
      else sendJson(response, 503, { status: 'starting' });
      return;
    }
    if (request.method !== WEBHOOK_ROUTE.method || path !== WEBHOOK_ROUTE.path) {
      if (options.routes?.(request, response)) return;
      request.resume();
      sendJson(response, 404, { message: 'Not Found' });
      return;
    }
    await answerWebhook(request, response, { options, isReady, invoke, port, path, started });
  };

  const server = createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      options.logger?.error('gateway failed to answer', { error });
      if (!response.headersSent) sendJson(response, 500, { message: 'Internal Server Error' });
      else response.destroy();
    });
  });
  port = await listen(server, host, options.port ?? 3000);
  return {
    url: `http://${host}:${port}${WEBHOOK_ROUTE.path}`,
    port,
    server,
    get environments() {
      return pool.created;
    },
    warm: () => pool.warm(),
    stop: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}

/** Listens on `host:port` and resolves the port taken (a free one for 0). */
async function listen(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(host, port) : error),
    );
    server.listen(port, host, () => resolveListen());
  });
  return (server.address() as AddressInfo).port;
}

/** Runs the verifier in a free environment; API Gateway answers a function error or timeout with a bare 500. */
function verifierInvoker(
  options: GatewayOptions,
  pool: EnvironmentPool<HttpApiHandler>,
): (event: APIGatewayProxyEventV2) => Promise<HttpAnswer> {
  const fn = {
    functionName: options.functionName ?? 'ofauth-verifier',
    timeoutMs: options.timeoutMs ?? 6_000,
    region: options.region ?? 'us-east-1',
    ...(options.memoryLimitInMB !== undefined && { memoryLimitInMB: options.memoryLimitInMB }),
  };
  return async (event) => {
    try {
      return fromHttpApiResult(
        await pool.run(
          ({ handler }) => invokeWithTimeout(fn, handler, event),
          (error) => error instanceof InvocationTimeoutError,
        ),
      );
    } catch (error) {
      options.logger?.error('verifier invocation failed', {
        requestId: event.requestContext.requestId,
        error,
      });
      return {
        statusCode: 500,
        headers: { 'content-type': 'application/json' },
        cookies: [],
        body: INTERNAL_ERROR,
      };
    }
  };
}

/** One webhook request: read, turned into the verifier's event, invoked, answered, logged and observed. */
async function answerWebhook(
  request: IncomingMessage,
  response: ServerResponse,
  gateway: {
    readonly options: GatewayOptions;
    readonly isReady: () => boolean;
    readonly invoke: (event: APIGatewayProxyEventV2) => Promise<HttpAnswer>;
    readonly port: number;
    readonly path: string;
    readonly started: number;
  },
): Promise<void> {
  const body = await readBody(request, response, MAX_REQUEST_BYTES);
  if (body === null) return;
  if (!gateway.isReady()) {
    // The handlers load only once the emulators are up; no environment exists before that.
    sendJson(response, 503, { message: 'Service Unavailable' });
    return;
  }
  // Only the webhook route comes here.
  const { method } = WEBHOOK_ROUTE;
  const event = httpApiEvent({
    method,
    url: request.url ?? '/',
    headers: rawHeaderPairs(request.rawHeaders),
    body,
    sourceIp: (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
    port: gateway.port,
  });
  const answer = exceedsInvocationLimit(event) ? REQUEST_TOO_LONG : await gateway.invoke(event);
  const headers = writeAnswer(response, answer, event.requestContext.requestId);
  const latencyMs = Math.round((performance.now() - gateway.started) * 10) / 10;
  const { requestId, timeEpoch } = event.requestContext;
  gateway.options.logger?.info('request', {
    requestId,
    method,
    path: gateway.path,
    status: answer.statusCode,
    bytes: body.length,
    latencyMs,
  });
  gateway.options.observer?.exchanged({
    requestId,
    receivedAt: timeEpoch,
    method,
    url: request.url ?? '/',
    rawHeaders: request.rawHeaders,
    body,
    statusCode: answer.statusCode,
    responseHeaders: headers,
    responseBody: answer.body,
    latencyMs,
  });
}

/** Writes the handler's answer as API Gateway does, and returns the headers written. */
function writeAnswer(
  response: ServerResponse,
  answer: HttpAnswer,
  requestId: string,
): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {
    ...answer.headers,
    'content-length': String(answer.body.length),
    'apigw-requestid': requestId,
  };
  if (answer.cookies.length > 0) headers['set-cookie'] = [...answer.cookies];
  response.writeHead(answer.statusCode, headers);
  response.end(answer.body);
  return headers;
}
