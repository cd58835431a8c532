/**
 * What the CLI tests hand a command instead of a terminal: captured output, a scripted answer to
 * its question, and the state file `npm start` would write for resources on the test emulators.
 */
import type { Terminal } from '../../cli/terminal.ts';
import type { CliIo } from '../../dev/errors.ts';
import type { LocalPipelineState } from '../../local/state.ts';
import type { createTestResources } from './emulators.ts';

/** A command's output so far, and the io that collects it. */
export interface CapturedIo {
  readonly io: CliIo;
  readonly out: () => string;
  readonly err: () => string;
}

/**
 * An io whose stdout and stderr are collected.
 *
 * @param options.isTTY - whether stderr claims a terminal; @default false
 * @param options.env - the environment the command sees; @default {}
 */
export function captureIo(options: { isTTY?: boolean; env?: CliIo['env'] } = {}): CapturedIo {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text), isTTY: options.isTTY ?? false },
    env: options.env ?? {},
  };
  return { io, out: () => stdout, err: () => stderr };
}

/** A terminal that gives `answer` to every question and keeps the questions it was asked. */
export function answeringTerminal(isTTY: boolean, answer = ''): Terminal & { asked: string[] } {
  const asked: string[] = [];
  return {
    isTTY,
    asked,
    ask: async (question) => {
      asked.push(question);
      return answer;
    },
  };
}

/** The state file of a pipeline on the test emulators that owns `resources` (nothing listens on its url). */
export function localStateOf(
  resources: Awaited<ReturnType<typeof createTestResources>>,
  startedAt = new Date(),
): LocalPipelineState {
  return {
    url: 'http://127.0.0.1:1/webhooks/ofauth',
    port: 1,
    pid: process.pid,
    region: 'us-east-1',
    endpoints: {
      dynamodb: process.env.TEST_DYNAMODB_ENDPOINT!,
      sqs: process.env.TEST_SQS_ENDPOINT!,
      archive: process.env.TEST_SQS_ENDPOINT!,
    },
    resources: {
      ledgerTableName: resources.ledgerTableName,
      connectionsTableName: resources.connectionsTableName,
      queueUrl: resources.queueUrl,
      deadLetterQueueUrl: resources.deadLetterQueueUrl,
      archive: resources.archiveBucketName,
      processedEventsTableName: resources.processedEventsTableName,
    },
    startedAt: startedAt.toISOString(),
  };
}
