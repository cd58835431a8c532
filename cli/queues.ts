/**
 * `status` and `redrive`: the queues of the local pipeline (`npm start`, found through its state
 * file) or of a deployed stack (found from its CloudFormation outputs, or given as URLs),
 * inspected or redriven with the SQS API.
 */

import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry as MessageMoveTask,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { moveMessages } from '../local/move-messages.ts';
import type { LocalPipelineState } from '../local/state.ts';
import { CliError, type CliIo, positiveInteger, UsageError } from './errors.ts';
import { findLocalPipeline, localOldestMessageAge, localSqsClient } from './local-pipeline.ts';

/**
 * The stack name `npx cdk deploy` creates (`lib/receiver-stack.ts`); copied, not imported, so the
 * CLI starts without loading the CDK. A unit test keeps the two equal.
 */
export const DEFAULT_STACK_NAME = 'OFAuthWebhookReceiver';
/** The stack outputs holding the queue URLs. */
export const STACK_OUTPUTS = { queueUrl: 'QueueUrl', deadLetterQueueUrl: 'DeadLetterQueueUrl' } as const;

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

export const STATUS_HELP = `Usage: npm run cli -- status [options]

Shows the event queue and the dead-letter queue: messages waiting and in flight, and the age of
the oldest message.

Which queues: with none of the options below, those of the local pipeline when \`npm start\` runs
on this machine (found through .local/pipeline.json; the age is computed from the queue's
messages), else those of the deployed stack ${DEFAULT_STACK_NAME} (the age is the latest
CloudWatch datapoint of the SQS metric ApproximateAgeOfOldestMessage in the last
${AGE_WINDOW_MINUTES} minutes).

Options:
  --stack <name>                   stack name (default: ${DEFAULT_STACK_NAME})
  --region <region>                AWS region (default: the SDK's: AWS_REGION, the profile)
  --queue-url <url>                use this queue instead of the stack's ${STACK_OUTPUTS.queueUrl} output
  --dead-letter-queue-url <url>    use this dead-letter queue instead of the ${STACK_OUTPUTS.deadLetterQueueUrl} output
  --json                           print JSON
  -h, --help                       show this help

Needs sqs:GetQueueAttributes, cloudformation:DescribeStacks (without both URLs) and
cloudwatch:GetMetricData (for the age; without it the age is shown as unavailable).`;

export const REDRIVE_HELP = `Usage: npm run cli -- redrive [options]

Moves the messages of the dead-letter queue back to the event queue, in their original order per
connection. Fix the cause of the failures first.

Which queues: with none of the options below, those of the local pipeline when \`npm start\` runs
on this machine (moved by receive, send and delete, since the local SQS has no move task; it
always waits until done), else those of the deployed stack ${DEFAULT_STACK_NAME} (SQS
StartMessageMoveTask).

Options:
  --stack <name>                   stack name (default: ${DEFAULT_STACK_NAME})
  --region <region>                AWS region (default: the SDK's: AWS_REGION, the profile)
  --queue-url <url>                use this queue instead of the stack's ${STACK_OUTPUTS.queueUrl} output
  --dead-letter-queue-url <url>    use this dead-letter queue instead of the ${STACK_OUTPUTS.deadLetterQueueUrl} output
  --rate <n>                       at most n messages per second, 1-500 (default: SQS's, system-optimized)
  --wait                           wait until the move has finished
  -h, --help                       show this help`;

const QUEUE_OPTIONS = {
  stack: { type: 'string' },
  region: { type: 'string' },
  'queue-url': { type: 'string' },
  'dead-letter-queue-url': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface QueueTarget {
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

async function resolveTarget(
  values: Record<string, string | boolean | undefined>,
  clients: AwsClients,
  env: CliIo['env'],
): Promise<QueueTarget> {
  if (DEPLOYED_TARGET_OPTIONS.every((option) => values[option] === undefined)) {
    const local = await findLocalPipeline(env);
    if (local) {
      const { queueUrl, deadLetterQueueUrl } = local.resources;
      return { region: local.region, stack: 'local pipeline', queueUrl, deadLetterQueueUrl, local };
    }
  }
  const region = values.region as string | undefined;
  if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    throw new UsageError(`--region must be an AWS region such as us-east-1, got "${region}"`);
  }
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
    const missing = Object.values(STACK_OUTPUTS).filter((key) => !outputs[key]);
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

function parse(args: string[], options: ParseArgsOptionsConfig) {
  try {
    const parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
    if (parsed.positionals.length > 0)
      throw new UsageError(`unexpected argument: ${parsed.positionals.join(' ')}`);
    return parsed.values as Record<string, string | boolean | undefined>;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message);
  }
}

async function queueAttributes(sqs: SQSClient, queueUrl: string, names: string[], stack: string) {
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
  };
  if (values.json) {
    io.stdout.write(`${JSON.stringify(status)}\n`);
    return 0;
  }
  const describe = (age: AgeReading | null | undefined) => describeAge(age, target.local !== undefined);
  io.stdout.write(
    [
      ...(target.local
        ? [`local pipeline     ${target.local.url}   (npm start, pid ${target.local.pid})`]
        : []),
      `queue              ${status.queueUrl}`,
      `  waiting          ${status.waiting}`,
      `  in flight        ${status.inFlight}`,
      `  oldest message   ${describe(queueAge)}`,
      `dead-letter queue  ${status.deadLetterQueueUrl}`,
      `  messages         ${status.deadLetters}${status.deadLetters > 0 ? '   → fix the cause, then `redrive`' : ''}`,
      ...(status.deadLetters > 0 ? [`  oldest message   ${describe(deadLetterAge)}`] : []),
      '',
    ].join('\n'),
  );
  return 0;
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

/**
 * Moves the local dead-letter queue's messages back with `moveMessages`: fauxqs has no
 * StartMessageMoveTask. Waits until done, as `--wait` does for a deployed stack.
 */
async function redriveLocal(sqs: SQSClient, target: QueueTarget, depth: number, io: CliIo): Promise<number> {
  io.stdout.write(
    `moving ~${depth} message(s) from ${target.deadLetterQueueUrl}\n  to ${target.queueUrl}   (local pipeline)\n`,
  );
  let moved: number;
  try {
    moved = await moveMessages({
      sqs,
      sourceUrl: target.deadLetterQueueUrl,
      destinationUrl: target.queueUrl,
    });
  } catch (error) {
    throw describeAwsError(error, target.stack);
  }
  io.stdout.write(`  COMPLETED: ${moved} moved\n`);
  return 0;
}

/** Runs `redrive`. Returns the exit code. */
export async function runRedrive(
  args: string[],
  io: CliIo,
  clients: AwsClients = defaultAwsClients,
  pollIntervalMs = 2000,
): Promise<number> {
  const values = parse(args, { ...QUEUE_OPTIONS, rate: { type: 'string' }, wait: { type: 'boolean' } });
  if (values.help) {
    io.stdout.write(`${REDRIVE_HELP}\n`);
    return 0;
  }
  const rate = positiveInteger('rate', values.rate as string | undefined, 500);
  const target = await resolveTarget(values, clients, io.env);
  const sqs = target.local ? localSqsClient(target.local) : clients.sqs(target.region);
  const [queue, dlq] = await Promise.all([
    queueAttributes(sqs, target.queueUrl, ['QueueArn'], target.stack),
    queueAttributes(
      sqs,
      target.deadLetterQueueUrl,
      ['QueueArn', 'ApproximateNumberOfMessages'],
      target.stack,
    ),
  ]);
  const depth = Number(dlq.ApproximateNumberOfMessages ?? 0);
  if (depth === 0) {
    io.stdout.write(`the dead-letter queue is empty: nothing to redrive\n`);
    return 0;
  }
  if (target.local) {
    if (rate !== undefined) io.stderr.write('warning: --rate applies to a deployed stack; ignored locally\n');
    return redriveLocal(sqs, target, depth, io);
  }
  let taskHandle: string | undefined;
  try {
    const started = await sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: dlq.QueueArn,
        DestinationArn: queue.QueueArn,
        ...(rate !== undefined && { MaxNumberOfMessagesPerSecond: rate }),
      }),
    );
    taskHandle = started.TaskHandle;
  } catch (error) {
    throw describeAwsError(error, target.stack);
  }
  io.stdout.write(
    `moving ~${depth} message(s) from ${target.deadLetterQueueUrl}\n  to ${target.queueUrl}\n  task ${taskHandle}\n`,
  );
  if (!values.wait) return 0;
  for (;;) {
    await new Promise((wake) => setTimeout(wake, pollIntervalMs));
    let task: MessageMoveTask | undefined;
    try {
      const listed = await sqs.send(
        new ListMessageMoveTasksCommand({ SourceArn: dlq.QueueArn, MaxResults: 1 }),
      );
      task = listed.Results?.[0];
    } catch (error) {
      throw describeAwsError(error, target.stack);
    }
    const moved = task?.ApproximateNumberOfMessagesMoved ?? 0;
    io.stdout.write(`  ${task?.Status ?? 'UNKNOWN'}: ${moved} moved\n`);
    if (task?.Status === 'COMPLETED') return 0;
    if (task?.Status === 'FAILED' || task?.Status === 'CANCELLED') {
      throw new CliError(
        `the move task ended ${task.Status}${task.FailureReason ? `: ${task.FailureReason}` : ''}`,
      );
    }
  }
}
