/**
 * `trace`: what became of an event, read from its event record (`lambda/shared/event-record.ts`):
 * received, enqueued, attempts, processed / dead-lettered / replayed. With `--connection` and
 * `--since`, the recent events of one connection: the record has no index by connection (an index
 * would cost a write per event), so their keys come from the archive, as `replay` reads it, and
 * their records from one `BatchGetItem` per 100 keys. Against the local pipeline (`npm start`) or
 * a deployed stack (`--stack`/`--region`); never AWS unasked.
 */
import type { ParseArgsOptionsConfig } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  DynamoDBDocumentClient,
  GetCommand,
} from '@aws-sdk/lib-dynamodb';
import { CliError, type CliIo, UsageError } from '../dev/errors.ts';
import { publicationOf } from '../dev/event-publication.ts';
import { DEFAULT_STACK_NAME, STACK_OUTPUTS } from '../lambda/shared/deployment-names.ts';
import { DOCUMENT_TRANSLATION } from '../lambda/shared/document-translation.ts';
import {
  EVENT_RECORD_ATTRIBUTES,
  EVENT_RECORD_TABLE,
  type EventFate,
  type EventRecord,
  fateOf,
  isExpired,
} from '../lambda/shared/event-record.ts';
import type { ArchivedEvent } from '../lambda/shared/queue-message.ts';
import { toEventKey } from '../lambda/verifier/event-key.ts';
import { LOCAL_CREDENTIALS, type LocalPipelineState } from '../local/state.ts';
import { readArchive } from './archive-reader.ts';
import { parseOptions } from './args.ts';
import { describeAwsError, pipelineOrStack } from './queues.ts';
import { type ClientTarget, defaultReplayClients, parseTime, type ReplayClients } from './replay.ts';

/** How long an event of the window may have waited on the queue before it was archived (replay's default, 24 h). */
const MAX_QUEUE_DELAY_MS = 24 * 3_600_000;

/** How long the deployed archive may lag behind the processor: Firehose's buffer interval. */
export const ARCHIVE_LAG_SECONDS = 60;

export const TRACE_HELP = `Usage: npm run cli -- trace <event key | svix id> [options]
       npm run cli -- trace --connection <id> --since <time> [options]

Shows what became of an event, from its record: when and how it was received, whether the
processor saw it, its attempts (count, last error, when), and whether it was processed,
dead-lettered or replayed. With --connection, lists that connection's events received in a time
window, each with its fate. Which pipeline: the local one of \`npm start\`, unless --stack or
--region names a deployed stack; with neither and no \`npm start\` running it says so.

Options:
  --connection <id>           list this connection's events (needs --since)
  --since <time>              received at or after: ISO-8601 (2026-01-05T10:00Z) or a duration ago (90m, 6h, 3d)
  --until <time>              received before (default: now)
  --json                      print JSON (one object; with --connection, an array)
  --stack <name>              a deployed stack (default with --region: ${DEFAULT_STACK_NAME})
  --region <region>           AWS region of the stack (default with --stack: the SDK's)
  --local                     the local pipeline of \`npm start\`, or fail when none runs
  -h, --help                  show this help

A record is kept until its TTL (72 h after its last write by default). --connection reads the
connection's events from the archive, which lags the queue by its buffer (about ${ARCHIVE_LAG_SECONDS} s deployed,
none locally): the newest events may be missing from the list, never from \`trace <key>\`.
Needs dynamodb:GetItem and dynamodb:BatchGetItem on the record table, cloudformation:DescribeStacks,
and for --connection s3:ListBucket and s3:GetObject on the archive bucket.
Exit code: 0 found, 1 no record (or a failure), 2 a usage error.`;

const OPTIONS = {
  connection: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  json: { type: 'boolean' },
  stack: { type: 'string' },
  region: { type: 'string' },
  local: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsOptionsConfig;

type Values = {
  connection?: string;
  since?: string;
  until?: string;
  json?: boolean;
  stack?: string;
  region?: string;
  local?: boolean;
  help?: boolean;
};

/** The SDK clients `trace` needs; tests pass their own. */
export interface TraceClients extends Pick<ReplayClients, 'cloudformation' | 's3'> {
  readonly dynamodb: (config: ClientTarget) => DynamoDBClient;
}

/** Real clients; endpoints are set only for the local pipeline. */
export const defaultTraceClients: TraceClients = {
  cloudformation: defaultReplayClients.cloudformation,
  s3: defaultReplayClients.s3,
  dynamodb: ({ region, endpoint }) =>
    new DynamoDBClient({
      ...(region && { region }),
      ...(endpoint && { endpoint, credentials: LOCAL_CREDENTIALS }),
    }),
};

/** What `trace` depends on; every one has a production default. */
export interface TraceDependencies {
  readonly clients?: TraceClients;
  /** @default the pipeline of the state file `io.env` names (`findLocalPipeline`) */
  readonly localState?: () => Promise<LocalPipelineState | undefined>;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/** Where the records (and, for --connection, the archive) are. */
interface TraceTarget {
  readonly description: string;
  readonly local: boolean;
  readonly records: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Resolved only when needed: the archive bucket and its client. */
  readonly archive: () => { readonly bucket: string; readonly s3: ReturnType<TraceClients['s3']> };
}

/** One event of `trace`'s answer: its key, its fate, and its record when there is one. */
export interface TracedEvent {
  readonly eventKey: string;
  readonly fate: EventFate | 'no record';
  readonly record?: EventRecord;
}

/** Runs `trace`. Returns the exit code. */
export async function runTrace(
  args: string[],
  io: CliIo,
  dependencies: TraceDependencies = {},
): Promise<number> {
  const { values, positionals } = parseOptions(args, OPTIONS, { allowPositionals: true });
  const options = values as Values;
  if (options.help) {
    io.stdout.write(`${TRACE_HELP}\n`);
    return 0;
  }
  const now = (dependencies.now ?? (() => new Date()))();
  const request = traceRequest(options, positionals, now);
  const target = await resolveTarget(options, dependencies, io.env);
  try {
    if (request.kind === 'event') return await traceEvent(request.id, target, options.json === true, io, now);
    return await traceConnection(request, target, options.json === true, io, now);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw describeAwsError(error, options.stack ?? DEFAULT_STACK_NAME);
  }
}

type TraceRequest =
  | { readonly kind: 'event'; readonly id: string }
  | {
      readonly kind: 'connection';
      readonly connectionId: string;
      readonly since: Date;
      readonly until: Date;
    };

function traceRequest(values: Values, positionals: string[], now: Date): TraceRequest {
  if (values.stack !== undefined && values.local) throw new UsageError('give --stack or --local, not both');
  if (values.connection === undefined) {
    if (positionals.length !== 1) {
      throw new UsageError(
        positionals.length === 0
          ? 'give an event key or svix id, or --connection <id> --since <time>'
          : `trace takes one event key, got ${positionals.length}: ${positionals.join(' ')}`,
      );
    }
    if (values.since !== undefined || values.until !== undefined) {
      throw new UsageError('--since and --until go with --connection');
    }
    return { kind: 'event', id: positionals[0]! };
  }
  if (positionals.length > 0) throw new UsageError('give an event key or --connection, not both');
  if (values.connection.trim() === '') throw new UsageError('--connection must not be empty');
  if (values.since === undefined) throw new UsageError('--connection needs --since, e.g. --since 1h');
  const since = parseTime('since', values.since, now);
  const until = values.until === undefined ? now : parseTime('until', values.until, now);
  if (since.getTime() >= until.getTime()) {
    throw new UsageError(
      `--since must be before --until, got ${since.toISOString()} and ${until.toISOString()}`,
    );
  }
  return { kind: 'connection', connectionId: values.connection, since, until };
}

async function resolveTarget(
  values: Values,
  dependencies: TraceDependencies,
  env: CliIo['env'],
): Promise<TraceTarget> {
  const clients = dependencies.clients ?? defaultTraceClients;
  const found = await pipelineOrStack(values, clients, env, dependencies.localState);
  if (found.kind === 'local') return localTarget(found.state, clients);
  const { stack, region, outputs } = found;
  const tableName = outputs[STACK_OUTPUTS.processedEventsTableName];
  const listed = `its outputs: ${Object.keys(outputs).join(', ') || 'none'}`;
  if (!tableName) {
    throw new CliError(
      `stack "${stack}" has no ${STACK_OUTPUTS.processedEventsTableName} output: it was deployed with processedEventRecord=false, so events have no record; ${listed}`,
    );
  }
  const where = { ...(region && { region }) };
  return {
    description: `stack ${stack}`,
    local: false,
    records: documentClient(clients.dynamodb(where)),
    tableName,
    archive: () => {
      const bucket = outputs[STACK_OUTPUTS.archiveBucketName];
      if (!bucket)
        throw new CliError(
          `stack "${stack}" has no archive (deployed with archive=false): --connection reads the connection's events from it; ${listed}`,
        );
      return { bucket, s3: clients.s3(where) };
    },
  };
}

function localTarget(state: LocalPipelineState, clients: TraceClients): TraceTarget {
  const tableName = state.resources.processedEventsTableName;
  if (!tableName) throw new CliError(`the local pipeline (pid ${state.pid}) keeps no event records`);
  return {
    description: `the local pipeline (pid ${state.pid})`,
    local: true,
    records: documentClient(clients.dynamodb({ region: state.region, endpoint: state.endpoints.dynamodb })),
    tableName,
    archive: () => {
      if (!state.resources.archive || !state.endpoints.archive) {
        throw new CliError(
          `the local pipeline (pid ${state.pid}) runs without an archive: --connection reads the connection's events from it`,
        );
      }
      return {
        bucket: state.resources.archive,
        s3: clients.s3({ region: state.region, endpoint: state.endpoints.archive }),
      };
    },
  };
}

function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, DOCUMENT_TRANSLATION);
}

async function traceEvent(
  id: string,
  target: TraceTarget,
  json: boolean,
  io: CliIo,
  now: Date,
): Promise<number> {
  const eventKey = toEventKey(id);
  const { Item } = await target.records.send(
    new GetCommand({
      TableName: target.tableName,
      Key: { [EVENT_RECORD_TABLE.partitionKey]: eventKey },
      ConsistentRead: true,
    }),
  );
  const traced = tracedOf(eventKey, Item, now);
  if (json) io.stdout.write(`${JSON.stringify(traced, null, 2)}\n`);
  else if (!traced.record) {
    io.stdout.write(
      `no record of event ${eventKey} in ${target.description}: never received, rejected before the queue (bad signature, not an event), or its record expired\n`,
    );
  } else io.stdout.write(describeRecord(traced.record, now));
  return traced.record ? 0 : 1;
}

/** An item read back, as `trace` answers it: expired items count as gone (TTL deletes lazily). */
function tracedOf(eventKey: string, item: Record<string, unknown> | undefined, now: Date): TracedEvent {
  if (!item || isExpired(item as Pick<EventRecord, 'expiresAt'>, now.getTime()))
    return { eventKey, fate: 'no record' };
  const record = item as unknown as EventRecord;
  return { eventKey, fate: fateOf(record), record };
}

/** The record as lines a person reads. */
export function describeRecord(record: EventRecord, now: Date): string {
  const about = [record.eventType, record.connectionId && `connection ${record.connectionId}`].filter(
    Boolean,
  );
  const lines = [`event ${record.eventKey}${about.length ? ` (${about.join(', ')})` : ''}`];
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(15)}${value}`);
  row('fate', fateOf(record));
  row(
    'received',
    record.receivedAt
      ? `${record.receivedAt}${record.signatureScheme ? `, ${record.signatureScheme} signature` : ''}${record.deliveries && record.deliveries > 1 ? `, ${record.deliveries} deliveries` : ''}`
      : 'no verifier claim (queued by an earlier release)',
  );
  const attempts = record.attempts ?? 0;
  row(
    'enqueued',
    attempts > 0 || record.processedAt
      ? 'yes, seen by the processor'
      : 'claimed by the verifier, not yet seen by the processor',
  );
  if (attempts > 0)
    row('attempts', `${attempts}, first ${record.firstAttemptAt}, last ${record.lastAttemptAt}`);
  if (record.lastError) row('last error', record.lastError);
  if (record.processedAt) row('processed', record.processedAt);
  const publication = publicationOf(record);
  if (publication) row(publication.label, publication.text);
  if (record.deadLetteredAt)
    row('dead-lettered', `${record.deadLetteredAt} (${record.deadLetterReason ?? 'no reason'})`);
  const replays = Object.entries(record.replays ?? {}).sort(([, a], [, b]) => a.localeCompare(b));
  if (replays.length) row('replayed', replays.map(([id, at]) => `${at} (replay ${id})`).join(', '));
  if (record.expiresAt !== undefined) {
    row(
      'kept until',
      `${new Date(record.expiresAt * 1000).toISOString()} (${Math.round((record.expiresAt * 1000 - now.getTime()) / 3_600_000)} h)`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function traceConnection(
  request: Extract<TraceRequest, { kind: 'connection' }>,
  target: TraceTarget,
  json: boolean,
  io: CliIo,
  now: Date,
): Promise<number> {
  const { bucket, s3 } = target.archive();
  const found = await readArchive(s3, bucket, {
    since: request.since,
    until: request.until,
    maxQueueDelayMs: MAX_QUEUE_DELAY_MS,
    connections: new Set([request.connectionId]),
    now,
  });
  const events = [...found.events].sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
  const records = await batchRead(
    target,
    events.map((event) => event.eventKey),
  );
  const traced = events.map((event) => tracedOf(event.eventKey, records.get(event.eventKey), now));
  if (json) {
    io.stdout.write(`${JSON.stringify(traced, null, 2)}\n`);
    return 0;
  }
  const lag = target.local
    ? ''
    : `; the archive lags by its buffer (about ${ARCHIVE_LAG_SECONDS} s): the newest events may be missing`;
  io.stdout.write(
    `${events.length} event(s) of connection ${request.connectionId} received from ${request.since.toISOString()} to ${request.until.toISOString()} (from the archive${lag})\n`,
  );
  io.stdout.write(listing(events, traced));
  return 0;
}

function listing(events: readonly ArchivedEvent[], traced: readonly TracedEvent[]): string {
  return events
    .map((event, index) => {
      const { fate, record } = traced[index]!;
      const attempts = record?.attempts ? `, ${record.attempts} attempt(s)` : '';
      const error = record?.lastError && !record.processedAt ? `, last error: ${record.lastError}` : '';
      return `  ${event.receivedAt}  ${event.eventKey}  ${event.eventType}  ${fate}${attempts}${error}\n`;
    })
    .join('');
}

/** BatchGetItem takes 100 keys; unprocessed keys (throttling) are asked again. */
const BATCH_KEYS = 100;

async function batchRead(
  target: TraceTarget,
  keys: readonly string[],
): Promise<Map<string, Record<string, unknown>>> {
  const items = new Map<string, Record<string, unknown>>();
  const unique = [...new Set(keys)];
  for (let start = 0; start < unique.length; start += BATCH_KEYS) {
    let pending: Record<string, unknown>[] | undefined = unique
      .slice(start, start + BATCH_KEYS)
      .map((key) => ({ [EVENT_RECORD_ATTRIBUTES.eventKey]: key }));
    for (let round = 0; pending?.length && round < 5; round++) {
      const answer: BatchGetCommandOutput = await target.records.send(
        new BatchGetCommand({
          RequestItems: { [target.tableName]: { Keys: pending, ConsistentRead: true } },
        }),
      );
      for (const item of answer.Responses?.[target.tableName] ?? []) {
        items.set(String(item[EVENT_RECORD_ATTRIBUTES.eventKey]), item);
      }
      pending = answer.UnprocessedKeys?.[target.tableName]?.Keys;
    }
    if (pending?.length)
      throw new CliError(`the record table kept refusing ${pending.length} read(s) (throttled): try again`);
  }
  return items;
}
