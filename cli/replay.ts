/**
 * `replay`: puts archived events of a time window back on the FIFO queue, in their original
 * order per connection, marked as replays. Against the local pipeline (`npm start`) it finds the
 * queue and the archive in `.local/pipeline.json`; against a deployed stack, in its outputs.
 */
import { randomBytes } from 'node:crypto';
import type { ParseArgsOptionsConfig } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { CliError, type CliIo, UsageError } from '../dev/errors.ts';
import { DEFAULT_STACK_NAME, STACK_OUTPUTS } from '../lambda/shared/deployment-names.ts';
import type { ArchivedEvent } from '../lambda/shared/queue-message.ts';
import { LOCAL_CREDENTIALS, type LocalPipelineState } from '../local/state.ts';
import { type ArchiveReadResult, readArchive, replayGroups } from './archive-reader.ts';
import { parseOptions } from './args.ts';
import { ProgressBar } from './progress.ts';
import { describeAwsError, pipelineOrStack } from './queues.ts';
import { sendReplay } from './replay-send.ts';
import { confirm, processTerminal, type Terminal } from './terminal.ts';

/** How long after `--until` an event may have waited on the queue before it was archived. */
export const DEFAULT_MAX_QUEUE_DELAY = '24h';

export const REPLAY_HELP = `Usage: npm run cli -- replay --since <time> [options]

Puts the archived events received in a time window back on the event queue, in their original
order per connection. Handlers see context.replay === true and the original receipt time; the
default handlers apply a replayed event only if it is still the newest for its connection.
Which pipeline: the local one of \`npm start\`, unless --stack or --region names a deployed
stack; with neither and no \`npm start\` running it says so and changes nothing.

Options:
  --since <time>              received at or after: ISO-8601 (2026-01-05T10:00Z) or a duration
                              ago (90m, 6h, 3d)
  --until <time>              received before (default: now)
  --type <type>               only this event type (repeatable)
  --connection <id>           only this connection (repeatable)
  --event-id <key>            only this event key (repeatable)
  --dry-run                   show what would be replayed, send nothing
  --publish                   publish the replayed events to the event bus again (eventBus);
                              without it they run their handlers but are not published
  --yes                       do not ask for confirmation (required when stdin is not a terminal)
  --stack <name>              a deployed stack (default with --region: ${DEFAULT_STACK_NAME})
  --region <region>           AWS region of the stack (default with --stack: the SDK's)
  --local                     the local pipeline of \`npm start\`, or fail when none runs
  --max-queue-delay <time>    how long an event of the window may have waited on the queue
                              before it was archived (default: ${DEFAULT_MAX_QUEUE_DELAY})
  -h, --help                  show this help

Events become replayable once archived: at once locally, within about a minute deployed
(Firehose's buffer). Replaying a window twice runs it twice; that is allowed.
Needs s3:ListBucket and s3:GetObject on the archive bucket, sqs:SendMessage on the queue and
cloudformation:DescribeStacks. Exit code: 0 done (or nothing to replay), 1 a failure, 2 a usage error.`;

const OPTIONS = {
  since: { type: 'string' },
  until: { type: 'string' },
  type: { type: 'string', multiple: true },
  connection: { type: 'string', multiple: true },
  'event-id': { type: 'string', multiple: true },
  'dry-run': { type: 'boolean' },
  publish: { type: 'boolean' },
  yes: { type: 'boolean' },
  stack: { type: 'string' },
  region: { type: 'string' },
  local: { type: 'boolean' },
  'max-queue-delay': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsOptionsConfig;

/** The SDK clients `replay` needs; tests pass their own. */
export interface ReplayClients {
  readonly cloudformation: (region: string | undefined) => CloudFormationClient;
  readonly s3: (config: ClientTarget) => S3Client;
  readonly sqs: (config: ClientTarget) => SQSClient;
}

/** Where a client points: a region, and an emulator's endpoint for the local pipeline. */
export interface ClientTarget {
  readonly region?: string;
  readonly endpoint?: string;
}

/** Real clients; endpoints are set only for the local pipeline. */
export const defaultReplayClients: ReplayClients = {
  cloudformation: (region) => new CloudFormationClient(region ? { region } : {}),
  s3: ({ region, endpoint }) =>
    new S3Client({
      ...(region && { region }),
      ...(endpoint && { endpoint, forcePathStyle: true, credentials: LOCAL_CREDENTIALS }),
    }),
  sqs: ({ region, endpoint }) =>
    new SQSClient({
      ...(region && { region }),
      ...(endpoint && { endpoint, credentials: LOCAL_CREDENTIALS }),
    }),
};

/** The terminal `replay` asks for confirmation on. */
export type ReplayTerminal = Terminal;

/** What `replay` depends on; every one has a production default. */
export interface ReplayDependencies {
  readonly clients?: ReplayClients;
  readonly terminal?: ReplayTerminal;
  /** @default the pipeline of the state file `io.env` names (`findLocalPipeline`) */
  readonly localState?: () => Promise<LocalPipelineState | undefined>;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/** Where the events come from and go to. */
interface ReplayTarget {
  readonly description: string;
  readonly bucket: string;
  readonly queueUrl: string;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
}

/** Runs `replay`. Returns the exit code. */
export async function runReplay(
  args: string[],
  io: CliIo,
  dependencies: ReplayDependencies = {},
): Promise<number> {
  const values = parse(args);
  if (values.help) {
    io.stdout.write(`${REPLAY_HELP}\n`);
    return 0;
  }
  const now = (dependencies.now ?? (() => new Date()))();
  const query = replayQuery(values, now);
  const target = await resolveTarget(values, dependencies, io.env);
  io.stdout.write(`reading the archive ${target.description}\n`);
  let found: ArchiveReadResult;
  try {
    found = await readArchive(target.s3, target.bucket, query);
  } catch (error) {
    throw describeAwsError(error, values.stack ?? DEFAULT_STACK_NAME);
  }
  const groups = replayGroups(found.events);
  io.stdout.write(summary(found, groups, query.since, query.until));
  if (found.events.length === 0 || values['dry-run']) return 0;
  await confirm(
    {
      verb: 'replay',
      question: `replay ${found.events.length} event(s) to ${target.queueUrl}?`,
      unchanged: 'nothing was sent',
    },
    values.yes === true,
    dependencies.terminal ?? processTerminal,
  );
  return send(groups, target, io, now, values.publish === true);
}

type Values = {
  since?: string;
  until?: string;
  type?: string[];
  connection?: string[];
  'event-id'?: string[];
  'dry-run'?: boolean;
  publish?: boolean;
  yes?: boolean;
  stack?: string;
  region?: string;
  local?: boolean;
  'max-queue-delay'?: string;
  help?: boolean;
};

function parse(args: string[]): Values {
  return parseOptions(args, OPTIONS).values as Values;
}

function replayQuery(values: Values, now: Date) {
  if (values.since === undefined)
    throw new UsageError('--since is required, e.g. --since 6h or --since 2026-01-05T10:00Z');
  const since = parseTime('since', values.since, now);
  const until = values.until === undefined ? now : parseTime('until', values.until, now);
  if (since.getTime() >= until.getTime()) {
    throw new UsageError(
      `--since must be before --until, got ${since.toISOString()} and ${until.toISOString()}`,
    );
  }
  const maxQueueDelayMs = parseDuration(
    'max-queue-delay',
    values['max-queue-delay'] ?? DEFAULT_MAX_QUEUE_DELAY,
  );
  if (values.stack !== undefined && values.local) throw new UsageError('give --stack or --local, not both');
  const set = (list: string[] | undefined) => (list?.length ? new Set(list) : undefined);
  return {
    since,
    until,
    maxQueueDelayMs,
    now,
    ...(values.type && { types: set(values.type) }),
    ...(values.connection && { connections: set(values.connection) }),
    ...(values['event-id'] && { eventIds: set(values['event-id']) }),
  };
}

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

function parseDuration(flag: string, raw: string): number {
  const match = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(raw.trim());
  if (!match) throw new UsageError(`--${flag} must be a duration such as 90m, 6h or 3d, got "${raw}"`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/** An ISO-8601 time, or a duration ago (`90m`, `6h`, `3d`). */
export function parseTime(flag: string, raw: string, now: Date): Date {
  if (/^\d+(?:\.\d+)?[smhdw]$/.test(raw.trim())) return new Date(now.getTime() - parseDuration(flag, raw));
  const isoLike = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(
    raw.trim(),
  );
  const time = isoLike ? Date.parse(raw.trim()) : Number.NaN;
  if (Number.isNaN(time)) {
    throw new UsageError(
      `--${flag} must be an ISO-8601 time (2026-01-05T10:00Z) or a duration ago (6h, 3d), got "${raw}"`,
    );
  }
  if (time > now.getTime())
    throw new UsageError(`--${flag} must not be in the future, got ${new Date(time).toISOString()}`);
  return new Date(time);
}

async function resolveTarget(
  values: Values,
  dependencies: ReplayDependencies,
  env: CliIo['env'],
): Promise<ReplayTarget> {
  const clients = dependencies.clients ?? defaultReplayClients;
  const found = await pipelineOrStack(values, clients, env, dependencies.localState);
  if (found.kind === 'local') return localTarget(found.state, clients);
  const { stack, region, outputs } = found;
  const bucket = outputs[STACK_OUTPUTS.archiveBucketName];
  const queueUrl = outputs[STACK_OUTPUTS.queueUrl];
  if (!bucket || !queueUrl) {
    throw new CliError(
      `stack "${stack}" has no ${bucket ? STACK_OUTPUTS.queueUrl : STACK_OUTPUTS.archiveBucketName} output: ${bucket ? '' : 'it was deployed with archive=false, or before the archive existed; '}its outputs: ${Object.keys(outputs).join(', ') || 'none'}`,
    );
  }
  return {
    description: `s3://${bucket} of stack ${stack}`,
    bucket,
    queueUrl,
    s3: clients.s3({ ...(region && { region }) }),
    sqs: clients.sqs({ ...(region && { region }) }),
  };
}

function localTarget(state: LocalPipelineState, clients: ReplayClients): ReplayTarget {
  if (!state.resources.archive || !state.endpoints.archive) {
    throw new CliError(
      `the local pipeline (pid ${state.pid}) runs without an archive: nothing to replay from`,
    );
  }
  return {
    description: `${state.resources.archive} of the local pipeline (pid ${state.pid})`,
    bucket: state.resources.archive,
    queueUrl: state.resources.queueUrl,
    s3: clients.s3({ region: state.region, endpoint: state.endpoints.archive }),
    sqs: clients.sqs({ region: state.region, endpoint: state.endpoints.sqs }),
  };
}

function summary(found: ArchiveReadResult, groups: ArchivedEvent[][], since: Date, until: Date): string {
  const window = `received from ${since.toISOString()} to ${until.toISOString()}`;
  const warning =
    found.invalidLines > 0
      ? `warning: ${found.invalidLines} archive line(s) were not events and are skipped\n`
      : '';
  if (found.events.length === 0) {
    return `${warning}no archived events ${window} (${found.objects} object(s) read): nothing to replay\n`;
  }
  const byType = new Map<string, number>();
  for (const event of found.events) byType.set(event.eventType, (byType.get(event.eventType) ?? 0) + 1);
  const width = Math.max(...[...byType.keys()].map((type) => type.length));
  const lines = [...byType]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, n]) => `  ${type.padEnd(width)}  ${n}`);
  return `${warning}${found.events.length} event(s) ${window}, ${groups.length} connection(s) or account-wide group(s):\n${lines.join('\n')}\n`;
}

async function send(
  groups: ArchivedEvent[][],
  target: ReplayTarget,
  io: CliIo,
  now: Date,
  publish: boolean,
): Promise<number> {
  const total = groups.reduce((sum, group) => sum + group.length, 0);
  const replayId = `${now.getTime().toString(36)}${randomBytes(3).toString('hex')}`;
  const progress = io.stderr.isTTY ? new ProgressBar(io.stderr, total) : undefined;
  let done = 0;
  let result: Awaited<ReturnType<typeof sendReplay>>;
  try {
    result = await sendReplay(target.sqs, target.queueUrl, groups, {
      replayId,
      replayedAt: now,
      publish,
      onProgress: (sent, failed) => {
        for (let i = 0; i < sent + failed; i++) progress?.update(++done, i >= sent);
      },
    });
  } catch (error) {
    throw describeAwsError(error, target.description);
  } finally {
    progress?.done();
  }
  io.stdout.write(
    `replayed ${result.sent} of ${total} event(s) to ${target.queueUrl} (replay id ${replayId})\n`,
  );
  for (const failure of result.failed) {
    io.stderr.write(`failed: ${failure.eventKey} (${failure.eventType}): ${failure.reason}\n`);
  }
  if (result.failed.length > 0)
    throw new CliError(`${result.failed.length} event(s) could not be put on the queue`);
  return 0;
}
