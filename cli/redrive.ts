/**
 * `redrive`: the dead-letter queue's events back to the event queue, after the user has seen
 * where and said yes. Local and deployed queues are redriven by the same code as the local
 * inspector's Redrive button ({@link redriveMessages}); SQS's own move task is opt-in.
 */
import { appendFileSync, closeSync, openSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  ListMessageMoveTasksCommand,
  type Message,
  type ListMessageMoveTasksResultEntry as MessageMoveTask,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { CliError, type CliIo, positiveInteger, UsageError } from '../dev/errors.ts';
import { describeRedrive, type RedriveResult, redriveMessages } from '../local/move-messages.ts';
import { localSqsClient } from './local-pipeline.ts';
import {
  type AwsClients,
  DEPLOYED_OPTIONS_HELP,
  defaultAwsClients,
  describeAwsError,
  parse,
  QUEUE_OPTIONS,
  type QueueTarget,
  queueAttributes,
  resolveTarget,
} from './queues.ts';
import { confirm, processTerminal, type Terminal } from './terminal.ts';

/** `redrive --help`. */
export const REDRIVE_HELP = `Usage: npm run cli -- redrive [options]

Moves the dead-letter queue's events back to the event queue, in their original order per
connection, so that the processor tries them again. Fix the cause of the failures first.

It names the queues and asks before it moves anything (on a terminal; without one it refuses
unless --yes is given). It moves at most the messages that were on the dead-letter queue when it
started, and never the same event twice: one that is dead-lettered again during the run (a poison
event the processor sends straight back) is left there. Its report:
  moved      sent to the event queue and deleted from the dead-letter queue
  skipped    the verifier's rejected bodies (signed, but not events) seen and left in place;
             redriven, the processor would only reject them again
  removed    the verifier's rejected bodies exported or dropped (see below)
  returned   events this run moved that were on the dead-letter queue again before it ended
  left       messages that arrived after the run had taken its share

Which queues: with none of --stack, --region and the URLs, those of the local pipeline that
\`npm start\` runs on this machine; with one of them, those of a deployed stack; with neither, it
says that no local pipeline runs and changes nothing. Both are redriven the same way: receive,
send to the event queue, delete.

Options:
${DEPLOYED_OPTIONS_HELP}
  --yes                            do not ask for confirmation (required when stdin is not a terminal)
  --export-rejected <file>         append each of the verifier's rejected bodies to <file> as a JSON
                                   line, then delete it from the dead-letter queue
  --drop-rejected                  delete the verifier's rejected bodies without keeping them
  --move-task                      deployed only: let SQS move the messages (StartMessageMoveTask),
                                   for a large backlog. It moves EVERY message, the verifier's
                                   rejected bodies included, and reports no skipped or returned
  --rate <n>                       with --move-task: at most n messages per second, 1-500
                                   (default: SQS's, system-optimized)
  --wait                           with --move-task: wait until the move has finished
  -h, --help                       show this help

Needs sqs:ReceiveMessage, sqs:DeleteMessage, sqs:ChangeMessageVisibility and
sqs:GetQueueAttributes on the dead-letter queue, sqs:SendMessage on the event queue, and
cloudformation:DescribeStacks (without both URLs); --move-task needs sqs:StartMessageMoveTask and
sqs:ListMessageMoveTasks instead of the receive and delete.`;

const REDRIVE_OPTIONS = {
  ...QUEUE_OPTIONS,
  yes: { type: 'boolean' },
  'export-rejected': { type: 'string' },
  'drop-rejected': { type: 'boolean' },
  'move-task': { type: 'boolean' },
  rate: { type: 'string' },
  wait: { type: 'boolean' },
} as const;

type Values = Record<string, string | boolean | undefined>;

/** What `redrive` runs besides the options: the terminal it asks on, the move task's polling. */
export interface RedriveDependencies {
  /** @default the process's standard input */
  readonly terminal?: Terminal;
  /** @default 2000 */
  readonly pollIntervalMs?: number;
}

/** Runs `redrive`. Returns the exit code. */
export async function runRedrive(
  args: string[],
  io: CliIo,
  clients: AwsClients = defaultAwsClients,
  dependencies: RedriveDependencies = {},
): Promise<number> {
  const values = parse(args, REDRIVE_OPTIONS);
  if (values.help) {
    io.stdout.write(`${REDRIVE_HELP}\n`);
    return 0;
  }
  const exportFile = checkFlags(values);
  const target = await resolveTarget(values, clients, io.env);
  if (values['move-task'] && target.local) {
    throw new UsageError('--move-task is for a deployed stack: the local SQS has no move task');
  }
  const sqs = target.local ? localSqsClient(target.local) : clients.sqs(target.region);
  const dlq = await queueAttributes(
    sqs,
    target.deadLetterQueueUrl,
    ['QueueArn', 'ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    target.stack,
  );
  const depth =
    Number(dlq.ApproximateNumberOfMessages ?? 0) + Number(dlq.ApproximateNumberOfMessagesNotVisible ?? 0);
  const where = await describeTarget(target, values, sqs);
  io.stdout.write(
    `redrive  ${where}\n  from   ${target.deadLetterQueueUrl}   (${depth} message${depth === 1 ? '' : 's'})\n  to     ${target.queueUrl}\n`,
  );
  if (depth === 0) {
    io.stdout.write('the dead-letter queue is empty: nothing to redrive\n');
    return 0;
  }
  io.stdout.write(`  the verifier's rejected bodies: ${rejectedPlan(values, exportFile)}\n`);
  await confirm(
    {
      verb: 'redrive',
      question: `redrive the dead-letter queue of ${where}?`,
      unchanged: 'nothing was moved',
    },
    values.yes === true,
    dependencies.terminal ?? processTerminal,
  );
  if (values['move-task']) {
    return runMoveTask(sqs, target, dlq.QueueArn, values, io, dependencies.pollIntervalMs ?? 2000);
  }
  const result = await redriveWithExport(sqs, target, values, exportFile);
  io.stdout.write(`${describeRedrive(result)}\n`);
  return 0;
}

/** Refuses flags that do not go together; answers the export file's path, if any. */
function checkFlags(values: Values): string | undefined {
  const exportFile = values['export-rejected'] as string | undefined;
  if (exportFile !== undefined && exportFile.trim() === '') {
    throw new UsageError('--export-rejected needs a file name');
  }
  if (exportFile !== undefined && values['drop-rejected']) {
    throw new UsageError('give --export-rejected or --drop-rejected, not both');
  }
  if (values['move-task'] && (exportFile !== undefined || values['drop-rejected'])) {
    throw new UsageError(
      '--move-task moves every message as it is: it cannot export or drop the rejected bodies',
    );
  }
  for (const flag of ['rate', 'wait'] as const) {
    if (values[flag] !== undefined && !values['move-task'])
      throw new UsageError(`--${flag} needs --move-task`);
  }
  positiveInteger('rate', values.rate as string | undefined, 500);
  return exportFile === undefined ? undefined : resolve(exportFile);
}

/** The target, as the user should recognise it before saying yes. */
async function describeTarget(target: QueueTarget, values: Values, sqs: SQSClient): Promise<string> {
  if (target.local) return `the local pipeline (npm start, pid ${target.local.pid}, ${target.local.url})`;
  let region = target.region;
  try {
    region ??= await sqs.config.region();
  } catch {
    // The SDK found no region: the queue URL names it, and the first call will fail clearly.
  }
  const named = values['queue-url'] !== undefined && values['dead-letter-queue-url'] !== undefined;
  return `${named ? 'the queues named by URL' : `stack ${target.stack}`}, region ${region ?? 'unknown'}`;
}

function rejectedPlan(values: Values, exportFile: string | undefined): string {
  if (values['move-task']) return 'moved with the rest (--move-task)';
  if (exportFile) return `appended to ${exportFile}, then deleted`;
  if (values['drop-rejected']) return 'deleted (--drop-rejected)';
  return 'left in place (--export-rejected FILE or --drop-rejected removes them)';
}

/** Runs the shared redrive; with an export file, each rejected body is appended before it is deleted. */
async function redriveWithExport(
  sqs: SQSClient,
  target: QueueTarget,
  values: Values,
  exportFile: string | undefined,
): Promise<RedriveResult> {
  let fd: number | undefined;
  try {
    if (exportFile) fd = openSync(exportFile, 'a', 0o600);
  } catch (error) {
    throw new CliError(`cannot write ${exportFile}: ${(error as Error).message}`);
  }
  try {
    return await redriveMessages({
      sqs,
      sourceUrl: target.deadLetterQueueUrl,
      destinationUrl: target.queueUrl,
      rejected: exportFile || values['drop-rejected'] ? 'drop' : 'skip',
      ...(fd !== undefined && { onRejected: (message: Message) => appendFileSync(fd!, exportLine(message)) }),
    });
  } catch (error) {
    throw describeAwsError(error, target.stack);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** One exported rejected body: its id, group, send time, attributes and body, as a JSON line. */
export function exportLine(message: Message): string {
  return `${JSON.stringify({
    messageId: message.MessageId,
    messageGroupId: message.Attributes?.MessageGroupId,
    sentAt: message.Attributes?.SentTimestamp
      ? new Date(Number(message.Attributes.SentTimestamp)).toISOString()
      : undefined,
    attributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue]),
    ),
    body: message.Body ?? '',
  })}\n`;
}

/** SQS's own move task (opt-in): every message, at the given rate, optionally waited for. */
async function runMoveTask(
  sqs: SQSClient,
  target: QueueTarget,
  sourceArn: string | undefined,
  values: Values,
  io: CliIo,
  pollIntervalMs: number,
): Promise<number> {
  const rate = positiveInteger('rate', values.rate as string | undefined, 500);
  const aws = async <T>(call: () => Promise<T>) => {
    try {
      return await call();
    } catch (error) {
      throw describeAwsError(error, target.stack);
    }
  };
  const queue = await queueAttributes(sqs, target.queueUrl, ['QueueArn'], target.stack);
  const started = await aws(() =>
    sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: sourceArn,
        DestinationArn: queue.QueueArn,
        ...(rate !== undefined && { MaxNumberOfMessagesPerSecond: rate }),
      }),
    ),
  );
  io.stdout.write(`  task ${started.TaskHandle}\n`);
  if (!values.wait) return 0;
  for (;;) {
    await new Promise((wake) => setTimeout(wake, pollIntervalMs));
    const listed = await aws(() =>
      sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 })),
    );
    const task: MessageMoveTask | undefined = listed.Results?.[0];
    io.stdout.write(`  ${task?.Status ?? 'UNKNOWN'}: ${task?.ApproximateNumberOfMessagesMoved ?? 0} moved\n`);
    if (task?.Status === 'COMPLETED') return 0;
    if (task?.Status === 'FAILED' || task?.Status === 'CANCELLED') {
      throw new CliError(
        `the move task ended ${task.Status}${task.FailureReason ? `: ${task.FailureReason}` : ''}`,
      );
    }
  }
}
