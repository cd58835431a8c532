/**
 * `status` and `redrive`: the queues of the local pipeline (`npm start`, found through its state
 * file) or of a deployed stack (found from its CloudFormation outputs, or given as URLs),
 * inspected or redriven with the SQS API.
 */

import type { ParseArgsOptionsConfig } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CliError, type CliIo, UsageError } from '../dev/errors.ts';
import { DEFAULT_STACK_NAME, STACK_OUTPUTS } from '../lambda/shared/deployment-names.ts';
import type { LocalPipelineState } from '../local/state.ts';
import { parseOptions } from './args.ts';
import {
  assertRegion,
  findLocalPipeline,
  type LocalOrStack,
  localDeadLetterKinds,
  localOldestMessageAge,
  localOrStack,
  localSqsClient,
  NO_LOCAL_PIPELINE,
} from './local-pipeline.ts';

/** The stack outputs holding the queue URLs. */
const QUEUE_OUTPUTS = [STACK_OUTPUTS.queueUrl, STACK_OUTPUTS.deadLetterQueueUrl] as const;

/**
 * How far back `status` looks for the oldest message's age. SQS publishes its CloudWatch metrics
 * once a minute while a queue is active, so five minutes hold a few datapoints.
 */
export const AGE_WINDOW_MINUTES = 5;

/** The AWS clients the commands use; tests pass their own. */
export interface AwsClients {
  readonly cloudformation: (region: string | undefined) => CloudFormationClient;
  readonly sqs: (region: string | undefined) => SQSClient;
  readonly cloudwatch: (region: string | undefined) => CloudWatchClient;
}

/** Real clients; the SDK finds credentials, region and `AWS_ENDPOINT_URL_*` as usual. */
export const defaultAwsClients: AwsClients = {
  cloudformation: (region) => new CloudFormationClient(region ? { region } : {}),
  sqs: (region) => new SQSClient(region ? { region } : {}),
  cloudwatch: (region) => new CloudWatchClient(region ? { region } : {}),
};

/** The options that name a deployed stack's queues, as each command's help lists them. */
export const DEPLOYED_OPTIONS_HELP = `  --stack <name>                   a deployed stack (default with --region: ${DEFAULT_STACK_NAME})
  --region <region>                AWS region (default with --stack: the SDK's: AWS_REGION, the profile)
  --queue-url <url>                use this queue instead of the stack's ${STACK_OUTPUTS.queueUrl} output
  --dead-letter-queue-url <url>    use this dead-letter queue instead of the ${STACK_OUTPUTS.deadLetterQueueUrl} output`;

export const STATUS_HELP = `Usage: npm run cli -- status [options]

Shows the event queue and the dead-letter queue: messages waiting and in flight, and the age of
the oldest message.

Which queues: with none of the options below, those of the local pipeline that \`npm start\` runs
on this machine (found through .local/pipeline.json; the age is computed from the queue's
messages, and the dead letters are counted by kind: events the processor gave up on, and the
verifier's rejected bodies). With --stack, --region or the URLs, those of a deployed stack (the
age is the latest CloudWatch datapoint of the SQS metric ApproximateAgeOfOldestMessage in the
last ${AGE_WINDOW_MINUTES} minutes; SQS cannot count the kinds without receiving the messages).
With neither, it says that no local pipeline runs and changes nothing.

Options:
${DEPLOYED_OPTIONS_HELP}
  --json                           print JSON
  -h, --help                       show this help

Needs sqs:GetQueueAttributes, cloudformation:DescribeStacks (without both URLs) and
cloudwatch:GetMetricData (for the age; without it the age is shown as unavailable).`;

/** The options of `status` and `redrive` that choose the queues, and `--help`. */
export const QUEUE_OPTIONS = {
  stack: { type: 'string' },
  region: { type: 'string' },
  'queue-url': { type: 'string' },
  'dead-letter-queue-url': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The queues a command works on. */
export interface QueueTarget {
  readonly region: string | undefined;
  readonly stack: string;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  /** The local pipeline whose queues these are; undefined for a deployed stack. */
  readonly local?: LocalPipelineState;
}

/** The options that name a deployed stack's queues; none of them given, a local pipeline is used. */
const DEPLOYED_TARGET_OPTIONS = ['stack', 'region', 'queue-url', 'dead-letter-queue-url'] as const;

/** Turns an SDK error into a message a user can act on. */
export function describeAwsError(error: unknown, stack: string): CliError {
  const name = (error as { name?: string })?.name ?? '';
  const message = (error as Error)?.message ?? String(error);
  if (name === 'CredentialsProviderError' || /credentials/i.test(message)) {
    return new CliError(
      'no AWS credentials found: configure a profile (AWS_PROFILE, `aws configure`/`aws sso login`) or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
      { cause: error },
    );
  }
  if (/region is missing/i.test(message)) {
    return new CliError('no AWS region: pass --region or set AWS_REGION', { cause: error });
  }
  if (/does not exist/i.test(message) && name === 'ValidationError') {
    return new CliError(
      `stack "${stack}" not found: deploy it with \`npx cdk deploy\`, or pass --stack and --region`,
      {
        cause: error,
      },
    );
  }
  if (name === 'QueueDoesNotExist' || name === 'AWS.SimpleQueueService.NonExistentQueue') {
    return new CliError(`queue not found: ${message}`, { cause: error });
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || /not authorized/i.test(message)) {
    return new CliError(`access denied: ${message}`, { cause: error });
  }
  return new CliError(`${name ? `${name}: ` : ''}${message}`, { cause: error });
}

/** The outputs of a deployed stack, by key; an AWS error is turned into a {@link CliError}. */
export async function readStackOutputs(
  clients: Pick<AwsClients, 'cloudformation'>,
  stack: string,
  region: string | undefined,
): Promise<Record<string, string>> {
  try {
    const described = await clients
      .cloudformation(region)
      .send(new DescribeStacksCommand({ StackName: stack }));
    return Object.fromEntries(
      (described.Stacks?.[0]?.Outputs ?? []).map((output) => [
        output.OutputKey ?? '',
        output.OutputValue ?? '',
      ]),
    );
  } catch (error) {
    throw describeAwsError(error, stack);
  }
}

/**
 * {@link localOrStack} as `replay` and `trace` use it: the local pipeline of the state file `env`
 * names (or of `localState`), else the outputs of the stack the options name, read with `clients`.
 *
 * @throws {CliError} when no local pipeline runs and no stack was named
 */
export function pipelineOrStack(
  values: { readonly stack?: string; readonly region?: string; readonly local?: boolean },
  clients: Pick<AwsClients, 'cloudformation'>,
  env: CliIo['env'],
  localState: () => Promise<LocalPipelineState | undefined> = () => findLocalPipeline(env),
): Promise<LocalOrStack> {
  return localOrStack(values, DEFAULT_STACK_NAME, localState, (stack, region) =>
    readStackOutputs(clients, stack, region),
  );
}

/**
 * The local pipeline's queues when no option names a deployed stack, else the deployed stack's.
 *
 * @throws {CliError} when neither is there
 */
export async function resolveTarget(
  values: Record<string, string | boolean | undefined>,
  clients: AwsClients,
  env: CliIo['env'],
): Promise<QueueTarget> {
  if (DEPLOYED_TARGET_OPTIONS.every((option) => values[option] === undefined)) {
    const local = await findLocalPipeline(env);
    if (!local) throw new CliError(NO_LOCAL_PIPELINE);
    const { queueUrl, deadLetterQueueUrl } = local.resources;
    return { region: local.region, stack: 'local pipeline', queueUrl, deadLetterQueueUrl, local };
  }
  const region = values.region as string | undefined;
  assertRegion(region);
  const stack = (values.stack as string | undefined) ?? DEFAULT_STACK_NAME;
  if (stack.trim() === '') throw new UsageError('--stack must not be empty');
  let queueUrl = values['queue-url'] as string | undefined;
  let deadLetterQueueUrl = values['dead-letter-queue-url'] as string | undefined;
  for (const [flag, value] of [
    ['queue-url', queueUrl],
    ['dead-letter-queue-url', deadLetterQueueUrl],
  ] as const) {
    if (value !== undefined && !/^https?:\/\//.test(value)) {
      throw new UsageError(`--${flag} must be an SQS queue URL, got "${value}"`);
    }
  }
  if (queueUrl === undefined || deadLetterQueueUrl === undefined) {
    const outputs = await readStackOutputs(clients, stack, region);
    const missing = QUEUE_OUTPUTS.filter((key) => !outputs[key]);
    if (missing.length > 0) {
      throw new CliError(
        `stack "${stack}" has no output ${missing.join(' or ')} (its outputs: ${Object.keys(outputs).join(', ') || 'none'})`,
      );
    }
    queueUrl ??= outputs[STACK_OUTPUTS.queueUrl]!;
    deadLetterQueueUrl ??= outputs[STACK_OUTPUTS.deadLetterQueueUrl]!;
  }
  return { region, stack, queueUrl, deadLetterQueueUrl };
}

/** Parses a command's options; no positionals. */
export function parse(args: string[], options: ParseArgsOptionsConfig) {
  return parseOptions(args, options).values as Record<string, string | boolean | undefined>;
}

/** The queue's attributes; an SDK error becomes a {@link CliError}. */
export async function queueAttributes(sqs: SQSClient, queueUrl: string, names: string[], stack: string) {
  try {
    const result = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: names as never }),
    );
    return result.Attributes ?? {};
  } catch (error) {
    throw describeAwsError(error, stack);
  }
}

/** Runs `status`. Returns the exit code. */
export async function runStatus(
  args: string[],
  io: CliIo,
  clients: AwsClients = defaultAwsClients,
): Promise<number> {
  const values = parse(args, { ...QUEUE_OPTIONS, json: { type: 'boolean' } });
  if (values.help) {
    io.stdout.write(`${STATUS_HELP}\n`);
    return 0;
  }
  const target = await resolveTarget(values, clients, io.env);
  const sqs = target.local ? localSqsClient(target.local) : clients.sqs(target.region);
  const names = [
    'ApproximateNumberOfMessages',
    'ApproximateNumberOfMessagesNotVisible',
    'ApproximateNumberOfMessagesDelayed',
  ];
  const [queue, dlq] = await Promise.all([
    queueAttributes(sqs, target.queueUrl, names, target.stack),
    queueAttributes(sqs, target.deadLetterQueueUrl, names, target.stack),
  ]);
  const urls = [target.queueUrl, target.deadLetterQueueUrl];
  const ages = target.local
    ? await localAges(target.local, urls)
    : await oldestMessageAges(clients.cloudwatch(target.region), urls);
  if ('error' in ages) {
    const source = target.local ? 'the local queues' : 'CloudWatch';
    const reason = target.local ? String(ages.error) : describeAwsError(ages.error, target.stack).message;
    io.stderr.write(`warning: could not read the oldest message's age from ${source}: ${reason}\n`);
  }
  const [queueAge, deadLetterAge] = 'error' in ages ? [undefined, undefined] : ages.values;
  const count = (attributes: Record<string, string>, name: string) => Number(attributes[name] ?? 0);
  const status = {
    local: target.local !== undefined,
    queueUrl: target.queueUrl,
    deadLetterQueueUrl: target.deadLetterQueueUrl,
    waiting: count(queue, 'ApproximateNumberOfMessages'),
    inFlight: count(queue, 'ApproximateNumberOfMessagesNotVisible'),
    delayed: count(queue, 'ApproximateNumberOfMessagesDelayed'),
    oldestMessageAgeSeconds: queueAge?.seconds ?? null,
    oldestMessageAgeMeasuredAt: queueAge?.at.toISOString() ?? null,
    deadLetters:
      count(dlq, 'ApproximateNumberOfMessages') + count(dlq, 'ApproximateNumberOfMessagesNotVisible'),
    deadLetterOldestMessageAgeSeconds: deadLetterAge?.seconds ?? null,
    deadLetterKinds: target.local ? await deadLetterKinds(target.local, target.deadLetterQueueUrl, io) : null,
  };
  if (values.json) {
    io.stdout.write(`${JSON.stringify(status)}\n`);
    return 0;
  }
  io.stdout.write(statusText(status, target, queueAge, deadLetterAge));
  return 0;
}

/** `status` as text: the local pipeline, the queue, the dead-letter queue by kind. */
function statusText(
  status: {
    readonly queueUrl: string;
    readonly deadLetterQueueUrl: string;
    readonly waiting: number;
    readonly inFlight: number;
    readonly deadLetters: number;
    readonly deadLetterKinds: { readonly processor: number; readonly verifierRejections: number } | null;
  },
  target: QueueTarget,
  queueAge: AgeReading | null | undefined,
  deadLetterAge: AgeReading | null | undefined,
): string {
  const describe = (age: AgeReading | null | undefined) => describeAge(age, target.local !== undefined);
  return [
    ...(target.local
      ? [`local pipeline     ${target.local.url}   (npm start, pid ${target.local.pid})`]
      : []),
    `queue              ${status.queueUrl}`,
    `  waiting          ${status.waiting}`,
    `  in flight        ${status.inFlight}`,
    `  oldest message   ${describe(queueAge)}`,
    `dead-letter queue  ${status.deadLetterQueueUrl}`,
    ...deadLetterLines(status.deadLetters, status.deadLetterKinds),
    ...(status.deadLetters > 0 ? [`  oldest message   ${describe(deadLetterAge)}`] : []),
    '',
  ].join('\n');
}

/** The dead letters by kind, counted on the local queue; null (with a warning) when it cannot be read. */
async function deadLetterKinds(local: LocalPipelineState, queueUrl: string, io: CliIo) {
  try {
    return await localDeadLetterKinds(local, queueUrl);
  } catch (error) {
    io.stderr.write(`warning: could not count the dead letters by kind: ${String(error)}\n`);
    return null;
  }
}

/** `status`'s lines on the dead letters: how many, of which kind, and what to do. */
function deadLetterLines(
  total: number,
  kinds: { readonly processor: number; readonly verifierRejections: number } | null,
): string[] {
  if (total === 0) return ['  messages         0'];
  const lines = [`  messages         ${total}`];
  if (kinds) {
    lines.push(
      `    processor      ${kinds.processor}${kinds.processor > 0 ? '   events it gave up on: fix the cause, then `redrive`' : ''}`,
      `    verifier       ${kinds.verifierRejections}${kinds.verifierRejections > 0 ? '   rejected bodies (not events): `redrive` leaves them; --export-rejected FILE or --drop-rejected removes them' : ''}`,
    );
  } else {
    lines[0] +=
      "   → fix the cause, then `redrive` (it leaves the verifier's rejected bodies in place and counts them)";
  }
  return lines;
}

/** The oldest message's age, as `status` prints it. */
function describeAge(age: AgeReading | null | undefined, local: boolean): string {
  if (age === undefined) return 'unavailable (could not be read, see the warning above)';
  if (age === null) {
    return local
      ? 'none (the queue is empty)'
      : `no CloudWatch datapoint in the last ${AGE_WINDOW_MINUTES} min (SQS sends one a minute while a queue is active)`;
  }
  return local
    ? `${formatAge(age.seconds)}   (from the queue's messages)`
    : `${formatAge(age.seconds)}   (CloudWatch, ${age.at.toISOString().slice(11, 16)} UTC)`;
}

/** The age of the oldest message of a queue, and when it was read. */
interface AgeReading {
  readonly seconds: number;
  readonly at: Date;
}

/** Each local queue's oldest message's age, read from fauxqs (there is no CloudWatch locally). */
async function localAges(
  local: LocalPipelineState,
  queueUrls: readonly string[],
): Promise<{ readonly values: Array<AgeReading | null> } | { readonly error: unknown }> {
  try {
    const at = new Date();
    const seconds = await Promise.all(
      queueUrls.map((url) => localOldestMessageAge(local, url, at.getTime())),
    );
    return { values: seconds.map((value) => (value === null ? null : { seconds: value, at })) };
  } catch (error) {
    return { error };
  }
}

/** The queue's name, which is the metric's `QueueName` dimension: the last segment of its URL. */
export function queueNameOf(queueUrl: string): string {
  return new URL(queueUrl).pathname.split('/').filter(Boolean).at(-1) ?? queueUrl;
}

/**
 * The latest `ApproximateAgeOfOldestMessage` (1-minute Maximum) of each queue within the last
 * {@link AGE_WINDOW_MINUTES} minutes, null where CloudWatch has no datapoint; one request for all.
 * SQS's own attributes do not carry the age, hence CloudWatch.
 */
async function oldestMessageAges(
  cloudwatch: CloudWatchClient,
  queueUrls: readonly string[],
  now = new Date(),
): Promise<{ readonly values: Array<AgeReading | null> } | { readonly error: unknown }> {
  try {
    const result = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(now.getTime() - AGE_WINDOW_MINUTES * 60_000),
        EndTime: now,
        ScanBy: 'TimestampDescending',
        MetricDataQueries: queueUrls.map((queueUrl, index) => ({
          Id: `age${index}`,
          ReturnData: true,
          MetricStat: {
            Metric: {
              Namespace: 'AWS/SQS',
              MetricName: 'ApproximateAgeOfOldestMessage',
              Dimensions: [{ Name: 'QueueName', Value: queueNameOf(queueUrl) }],
            },
            Period: 60,
            Stat: 'Maximum',
          },
        })),
      }),
    );
    return {
      values: queueUrls.map((_, index) => {
        const series = result?.MetricDataResults?.find((entry) => entry.Id === `age${index}`);
        // Newest first (ScanBy), but sorted here too: the order is the API's promise, not ours.
        const points = (series?.Timestamps ?? [])
          .map((at, i) => ({ at: new Date(at), seconds: series?.Values?.[i] }))
          .filter((point): point is AgeReading => typeof point.seconds === 'number')
          .sort((a, b) => b.at.getTime() - a.at.getTime());
        return points[0] ?? null;
      }),
    };
  } catch (error) {
    return { error };
  }
}

/** Seconds as a short human duration: `42 s`, `12 min`, `3.5 h`, `2.0 days`. */
export function formatAge(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 2 * 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 2 * 86_400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} days`;
}
