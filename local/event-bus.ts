/**
 * A recording stand-in for EventBridge's `PutEvents`, the one call the processor makes to the
 * event bus: it speaks the EventBridge JSON protocol (`AWSEvents.PutEvents`,
 * `application/x-amz-json-1.1`) on 127.0.0.1 and keeps what it was sent, for `npm start`'s
 * inspector and the tests. It is no EventBridge: no rules, no targets, no schema checks beyond
 * the entry's required fields and a `Detail` that is a JSON object. Point
 * `AWS_ENDPOINT_URL_EVENTBRIDGE` at it.
 *
 * `GET /events?after=<sequence>&wait=<seconds>` reads back what it holds (EventBridge itself has no
 * such call): the events after that sequence number, waiting up to `wait` seconds (at most
 * {@link MAX_READ_WAIT_SECONDS}) for one when there is none yet, for `npm run cli -- tail`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One entry the bus accepted, as sent, with the id it answered and when. */
export interface RecordedBusEvent {
  /** 1 for the first entry the bus accepted, then one more for each. */
  readonly sequence: number;
  readonly id: string;
  readonly source: string;
  readonly detailType: string;
  readonly detail: unknown;
  readonly time?: string;
  readonly eventBusName?: string;
  /** ISO-8601 time the bus took it. */
  readonly publishedAt: string;
}

/** A running recording bus. */
export interface LocalEventBus {
  readonly endpoint: string;
  /** Accepted entries, oldest first (at most the last 500). */
  readonly events: readonly RecordedBusEvent[];
  /** How many `PutEvents` requests it answered. */
  readonly calls: number;
  /**
   * Makes the next `count` entries fail: `partial` answers 200 with `FailedEntryCount` (as
   * EventBridge does for a throttled entry), `error` answers 500.
   */
  failNext(count: number, mode?: 'partial' | 'error'): void;
  /** Calls `listener` after each request that published at least one entry. */
  subscribe(listener: () => void): void;
  stop(): Promise<void>;
}

const KEPT_EVENTS = 500;

/** The longest a read of the events waits for a new one (a client asks again). */
export const MAX_READ_WAIT_SECONDS = 20;

/** The answer of `GET /events`. */
export interface RecordedEventsPage {
  /** Held events after the asked sequence number, oldest first. */
  readonly events: readonly RecordedBusEvent[];
  /** The sequence number of the last entry accepted so far (0 before the first): the next `after`. */
  readonly last: number;
}

interface Failures {
  count: number;
  mode: 'partial' | 'error';
}

/** Starts the recording bus on 127.0.0.1 (a free port by default). */
export async function startLocalEventBus(options: { port?: number } = {}): Promise<LocalEventBus> {
  const events: RecordedBusEvent[] = [];
  const failures: Failures = { count: 0, mode: 'partial' };
  let calls = 0;
  const listeners: Array<() => void> = [];
  /** Reads waiting for the next entry. */
  const waiting = new Set<() => void>();
  const server: Server = createServer((request, response) => {
    if (request.method === 'GET') {
      request.resume();
      readEvents(request.url ?? '/', events, waiting, response);
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      calls += 1;
      const before = events.at(-1);
      const [status, body] = answer(request.headers['x-amz-target'], Buffer.concat(chunks), events, failures);
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify(body));
      if (events.at(-1) !== before) {
        for (const listener of [...listeners, ...waiting]) listener();
      }
    });
  });
  await new Promise<void>((resolveListen) => server.listen(options.port ?? 0, '127.0.0.1', resolveListen));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    events,
    get calls() {
      return calls;
    },
    failNext(count, mode = 'partial') {
      failures.count = count;
      failures.mode = mode;
    },
    subscribe(listener) {
      listeners.push(listener);
    },
    stop: () =>
      new Promise((resolveClose) => {
        for (const wake of waiting) wake();
        server.close(() => resolveClose());
        // A tail's read may still be waiting: the bus is going, so is its connection.
        server.closeAllConnections();
      }),
  };
}

/**
 * Answers `GET /events` ({@link RecordedEventsPage}): at once when events after `after` are held
 * (or `wait` is 0), else at the next accepted entry or after `wait` seconds, whichever is first.
 */
function readEvents(
  url: string,
  events: readonly RecordedBusEvent[],
  waiting: Set<() => void>,
  response: ServerResponse,
): void {
  const { pathname, searchParams } = new URL(url, 'http://bus');
  const after = Number(searchParams.get('after') ?? 0);
  const wait = Number(searchParams.get('wait') ?? 0);
  if (pathname !== '/events' || !Number.isSafeInteger(after) || after < 0 || !(wait >= 0)) {
    response.writeHead(400, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ message: 'GET /events?after=<sequence number>&wait=<seconds>' }));
    return;
  }
  const page = (): RecordedEventsPage => ({
    events: events.filter((event) => event.sequence > after),
    last: events.at(-1)?.sequence ?? 0,
  });
  const send = () => {
    waiting.delete(send);
    clearTimeout(timer);
    if (response.writableEnded) return;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(page()));
  };
  const timer = setTimeout(send, Math.min(wait, MAX_READ_WAIT_SECONDS) * 1000);
  if (wait === 0 || page().events.length > 0) send();
  else {
    waiting.add(send);
    response.on('close', () => {
      waiting.delete(send);
      clearTimeout(timer);
    });
  }
}

/**
 * The status and body of one request, in PutEvents' published request and response shapes: a
 * request that cannot be read fails whole (`SerializationException`; `ValidationException` for
 * `Entries` outside 1 to 10), a bad entry fails alone (`InvalidArgument` without `Source` or
 * `DetailType`, `MalformedDetail` for a `Detail` that is not a JSON object), as EventBridge
 * documents them; its messages are not published, so these are ours.
 */
function answer(
  target: string | string[] | undefined,
  body: Buffer,
  events: RecordedBusEvent[],
  failures: Failures,
): [number, unknown] {
  if (target !== 'AWSEvents.PutEvents') {
    return [400, { __type: 'UnknownOperationException', message: `unsupported operation ${String(target)}` }];
  }
  let request: { Entries?: unknown };
  try {
    request = JSON.parse(body.toString('utf8'));
  } catch {
    return [400, { __type: 'SerializationException', message: 'the request body is not JSON' }];
  }
  const entries = request?.Entries;
  if (!Array.isArray(entries) || entries.length < 1 || entries.length > 10) {
    return [400, { __type: 'ValidationException', message: 'Entries must hold 1 to 10 entries' }];
  }
  if (failures.count > 0 && failures.mode === 'error') {
    failures.count -= 1;
    return [500, { __type: 'InternalException', message: 'injected failure' }];
  }
  const results = entries.map((entry: Record<string, unknown>) => {
    if (failures.count > 0) {
      failures.count -= 1;
      return { ErrorCode: 'ThrottlingException', ErrorMessage: 'injected partial failure' };
    }
    const accepted = acceptedEntry(entry ?? {});
    if ('ErrorCode' in accepted) return accepted;
    events.push({ sequence: (events.at(-1)?.sequence ?? 0) + 1, ...accepted });
    if (events.length > KEPT_EVENTS) events.shift();
    return { EventId: accepted.id };
  });
  const failed = results.filter((result) => 'ErrorCode' in result).length;
  return [200, { FailedEntryCount: failed, Entries: results }];
}

/** One entry as recorded (but its sequence number), or the per-entry error EventBridge answers. */
function acceptedEntry(
  entry: Record<string, unknown>,
): Omit<RecordedBusEvent, 'sequence'> | { ErrorCode: string; ErrorMessage: string } {
  if (typeof entry.Source !== 'string' || typeof entry.DetailType !== 'string') {
    return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Source and DetailType are required' };
  }
  let detail: unknown;
  try {
    detail = JSON.parse(String(entry.Detail));
  } catch {
    detail = undefined;
  }
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail must be a JSON object' };
  }
  const time = entryTime(entry.Time);
  return {
    id: randomUUID(),
    source: entry.Source,
    detailType: entry.DetailType,
    detail,
    ...(time && { time }),
    ...(typeof entry.EventBusName === 'string' && { eventBusName: entry.EventBusName }),
    publishedAt: new Date().toISOString(),
  };
}

/**
 * An entry's `Time` as ISO-8601: the AWS SDK sends it as epoch seconds (the JSON protocol's
 * timestamp format), a hand-written request may send ISO text.
 */
function entryTime(value: unknown): string | undefined {
  if (typeof value === 'number') return new Date(value * 1000).toISOString();
  return typeof value === 'string' ? value : undefined;
}
