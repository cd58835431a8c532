/**
 * `tail`: the events the local pipeline of `npm start` publishes to its event bus, printed as they
 * are published, until Ctrl-C. It reads the recording bus's `GET /events` (`local/event-bus.ts`),
 * found through the state file. A deployed bus cannot be tailed: EventBridge has no call that
 * reads published events back, so the command says how to watch one (a rule with an SQS target).
 */
import type { ParseArgsOptionsConfig } from 'node:util';
import { CliError, type CliIo, positiveInteger } from '../dev/errors.ts';
import type { PublishedEventDetail } from '../lambda/processor/event-bus.ts';
import { MAX_READ_WAIT_SECONDS, type RecordedBusEvent, type RecordedEventsPage } from '../local/event-bus.ts';
import type { LocalPipelineState } from '../local/state.ts';
import { parseOptions } from './args.ts';
import { findLocalPipeline } from './local-pipeline.ts';
import { parseTime } from './replay.ts';

/** Where the docs show a rule with an SQS target on the deployed bus. */
export const SUBSCRIBE_DOCS = 'docs/use-as-a-library.md#subscribing-on-eventbridge';

/** Why `tail` refuses a deployed stack, in one line. */
export const NO_DEPLOYED_TAIL =
  'tail reads the local bus of `npm start` only: EventBridge has no call that reads published events back. ' +
  `To watch a deployed bus, add a rule with an SQS target and read that queue (${SUBSCRIBE_DOCS})`;

export const TAIL_HELP = `Usage: npm run cli -- tail [options]

Prints each event the local pipeline of \`npm start\` publishes to its event bus, as it is
published, one line each: the time it was published, its detail-type, connection id and event key
("replay" after a replay's copy). Follows until Ctrl-C.

Options:
  --since <time>   first print the events already published at or after: ISO-8601
                   (2026-01-05T10:00Z) or a duration ago (90m, 6h); the local bus keeps the last 500
  --limit <n>      stop after n events
  --json           one JSON object per line: id, source, detail-type, time, publishedAt, detail
  -h, --help       show this help

A deployed bus cannot be tailed (EventBridge has no call that reads events back): add a rule with an
SQS target and read that queue, as ${SUBSCRIBE_DOCS} shows.
Exit code: 0 after --limit events (or Ctrl-C), 1 no local pipeline or it stopped, 2 a usage error.`;

const OPTIONS = {
  since: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
  stack: { type: 'string' },
  region: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsOptionsConfig;

type Values = {
  since?: string;
  limit?: string;
  json?: boolean;
  stack?: string;
  region?: string;
  help?: boolean;
};

/** What `tail` depends on; every one has a production default. */
export interface TailDependencies {
  /** @default the pipeline of the state file `io.env` names (`findLocalPipeline`) */
  readonly localState?: () => Promise<LocalPipelineState | undefined>;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/** Runs `tail`. Returns the exit code. */
export async function runTail(
  args: string[],
  io: CliIo,
  dependencies: TailDependencies = {},
): Promise<number> {
  const options = parseOptions(args, OPTIONS).values as Values;
  if (options.help) {
    io.stdout.write(`${TAIL_HELP}\n`);
    return 0;
  }
  if (options.stack !== undefined || options.region !== undefined) throw new CliError(NO_DEPLOYED_TAIL);
  const now = (dependencies.now ?? (() => new Date()))();
  const since = options.since === undefined ? undefined : parseTime('since', options.since, now);
  const limit = positiveInteger('limit', options.limit);
  const state = await (dependencies.localState ?? (() => findLocalPipeline(io.env)))();
  if (!state) {
    throw new CliError(
      'no local pipeline is running on this machine (start one with `npm start` in another terminal); ' +
        'tail reads its event bus',
    );
  }
  const endpoint = state.endpoints.eventBus;
  if (!endpoint) {
    throw new CliError(
      `the local pipeline (pid ${state.pid}) does not say where its event bus is (started by an earlier release): restart \`npm start\``,
    );
  }
  const print = (event: RecordedBusEvent) =>
    io.stdout.write(`${options.json ? JSON.stringify(publishedJson(event)) : formatPublishedLine(event)}\n`);
  return follow(endpoint, state.pid, { since, limit, print }, io);
}

interface FollowOptions {
  readonly since: Date | undefined;
  readonly limit: number | undefined;
  readonly print: (event: RecordedBusEvent) => void;
}

/** Prints the held events of `since`, then each new one, until `limit` events were printed. */
async function follow(endpoint: string, pid: number, options: FollowOptions, io: CliIo): Promise<number> {
  let printed = 0;
  const show = (events: readonly RecordedBusEvent[]) => {
    for (const event of events) {
      options.print(event);
      printed += 1;
      if (printed === options.limit) return true;
    }
    return false;
  };
  const held = await readPage(endpoint, 0, 0);
  const since = options.since?.getTime();
  if (since !== undefined && show(held.events.filter((event) => Date.parse(event.publishedAt) >= since)))
    return 0;
  io.stderr.write(`following the event bus of the local pipeline (pid ${pid}); Ctrl-C to stop\n`);
  let after = held.last;
  for (;;) {
    const page = await readPage(endpoint, after, MAX_READ_WAIT_SECONDS);
    const dropped = (page.events[0]?.sequence ?? after + 1) - after - 1;
    if (dropped > 0) io.stderr.write(`${dropped} event(s) not shown: the local bus keeps the last 500\n`);
    if (show(page.events)) return 0;
    after = page.last;
  }
}

/** One read of the bus; a bus that does not answer is a pipeline that stopped. */
async function readPage(endpoint: string, after: number, waitSeconds: number): Promise<RecordedEventsPage> {
  const url = `${endpoint}/events?after=${after}&wait=${waitSeconds}`;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout((waitSeconds + 10) * 1000) });
  } catch (error) {
    throw new CliError(
      `the local pipeline's event bus (${endpoint}) stopped answering: was \`npm start\` stopped? (${(error as Error).message})`,
      { cause: error },
    );
  }
  if (!response.ok) throw new CliError(`the local event bus answered HTTP ${response.status} to ${url}`);
  return (await response.json()) as RecordedEventsPage;
}

/** The fields of a published `detail` that `tail` shows. */
type ShownDetail = Partial<Pick<PublishedEventDetail, 'connectionId' | 'eventKey' | 'replay'>>;

/** The widest detail-type of the documented events, so that the columns line up. */
const DETAIL_TYPE_WIDTH = 'realtime.chat_typing.updated'.length;

/**
 * One published event as a line: when it was published, its detail-type, connection id and event
 * key (`-` when absent), and `replay` for a replay's copy.
 *
 * @example
 * formatPublishedLine(event);
 * // '2026-01-05T10:00:01.000Z  connection.created            conn_abc123  msg_2KW…'
 */
export function formatPublishedLine(
  event: Pick<RecordedBusEvent, 'publishedAt' | 'detailType' | 'detail'>,
): string {
  const detail = (event.detail ?? {}) as ShownDetail;
  const columns = [
    event.publishedAt,
    event.detailType.padEnd(DETAIL_TYPE_WIDTH),
    detail.connectionId ?? '-',
    detail.eventKey ?? '-',
  ];
  return `${columns.join('  ')}${detail.replay === true ? '  replay' : ''}`;
}

/** One published event as `--json` prints it: EventBridge's names for the envelope's fields. */
export function publishedJson(event: RecordedBusEvent): Record<string, unknown> {
  return {
    id: event.id,
    source: event.source,
    'detail-type': event.detailType,
    ...(event.time && { time: event.time }),
    publishedAt: event.publishedAt,
    ...(event.eventBusName && { eventBusName: event.eventBusName }),
    detail: event.detail,
  };
}
