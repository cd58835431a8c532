/**
 * The inspector's HTTP plumbing on the gateway's port: which requests it takes, the guard that
 * keeps other sites and other hosts out, JSON in and out, and server-sent event streams.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StreamEvents } from './api-types.ts';

/** An HTTP error the inspector answers with a status and a short JSON message. */
export class InspectorHttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'InspectorHttpError';
  }
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** Largest JSON body an action takes. */
const MAX_JSON_BYTES = 64 * 1024;

/** Headers on every inspector answer: nothing cached, nothing framed, nothing loaded from elsewhere. */
export const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
} as const;

/**
 * Refuses a request that did not come from this machine's own page: its `Host` must name the
 * loopback address and port it arrived on (a DNS-rebinding page names its own host), and an action
 * must be JSON (a cross-site form cannot send that without a preflight this server never allows)
 * from no `Origin` or this very origin.
 *
 * @throws {InspectorHttpError} 403 when the request is refused, 415 for an action that is not JSON
 */
export function guard(request: IncomingMessage): void {
  const host = request.headers.host ?? '';
  const port = request.socket.localPort;
  const colon = host.lastIndexOf(':');
  const hostname = colon === -1 ? host : host.slice(0, colon);
  if (!LOOPBACK_HOSTS.has(hostname) || host.slice(colon + 1) !== String(port)) {
    throw new InspectorHttpError(403, 'forbidden_host', `the inspector answers only on 127.0.0.1:${port}`);
  }
  if (request.method === 'GET' || request.method === 'HEAD') return;
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) {
    throw new InspectorHttpError(403, 'forbidden_origin', `actions are taken only from http://${host}`);
  }
  const contentType = (request.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (contentType !== 'application/json') {
    throw new InspectorHttpError(415, 'unsupported_media_type', 'send the action as application/json');
  }
}

/** Reads a JSON object body. */
export async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON_BYTES)
      throw new InspectorHttpError(413, 'payload_too_large', 'the action is too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  let value: unknown;
  try {
    value = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new InspectorHttpError(400, 'invalid_json', 'the action is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InspectorHttpError(400, 'invalid_json', 'the action must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** Answers JSON. */
export function sendJson(response: ServerResponse, statusCode: number, body: unknown): void {
  const text = Buffer.from(JSON.stringify(body));
  response.writeHead(statusCode, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(text.length),
  });
  response.end(text);
}

/** Answers an error as JSON: an {@link InspectorHttpError} as itself, anything else as a failed dependency. */
export function sendError(response: ServerResponse, error: unknown): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  if (error instanceof InspectorHttpError) {
    sendJson(response, error.statusCode, { ok: false, error: error.code, message: error.message });
    return;
  }
  // The inspector's own code is covered by tests; what fails here is an emulator it calls.
  sendJson(response, 503, {
    ok: false,
    error: 'dependency_unavailable',
    message: error instanceof Error ? error.message : String(error),
  });
}

/** The open server-sent event streams, and how to write to all of them. */
export class EventStreams {
  readonly #streams = new Set<ServerResponse>();
  #heartbeat: NodeJS.Timeout | undefined;

  /** Opens a stream on this response and sends it its first event. */
  open<K extends keyof StreamEvents>(
    request: IncomingMessage,
    response: ServerResponse,
    first: K,
    data: StreamEvents[K],
  ): void {
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
    });
    // Reconnect quickly after a restart of `npm start`.
    response.write('retry: 1000\n\n');
    write(response, first, data);
    this.#streams.add(response);
    request.on('close', () => this.#streams.delete(response));
    this.#heartbeat ??= setInterval(() => {
      for (const stream of this.#streams) stream.write(': keep-alive\n\n');
    }, 20_000).unref();
  }

  /** Sends an event to every open stream. */
  broadcast<K extends keyof StreamEvents>(event: K, data: StreamEvents[K]): void {
    for (const stream of this.#streams) write(stream, event, data);
  }

  get size(): number {
    return this.#streams.size;
  }

  /** Ends every stream. */
  close(): void {
    clearInterval(this.#heartbeat);
    for (const stream of this.#streams) stream.end();
    this.#streams.clear();
  }
}

function write(stream: ServerResponse, event: string, data: unknown): void {
  stream.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}
