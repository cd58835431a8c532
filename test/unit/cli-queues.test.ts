import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import type { CliIo } from '../../cli/errors.ts';
import { runCli } from '../../cli/index.ts';
import { type AwsClients, DEFAULT_STACK_NAME, STACK_OUTPUTS } from '../../cli/queues.ts';
import {
  STACK_OUTPUTS as DEPLOYED_OUTPUTS,
  DEFAULT_STACK_NAME as DEPLOYED_STACK_NAME,
} from '../../lib/receiver-stack.ts';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/events.fifo';
const DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/events-dlq.fifo';
const QUEUE_ARN = 'arn:aws:sqs:eu-west-1:123456789012:events.fifo';
const DLQ_ARN = 'arn:aws:sqs:eu-west-1:123456789012:events-dlq.fifo';

const cloudformation = mockClient(CloudFormationClient);
const sqs = mockClient(SQSClient);
const clients: AwsClients = {
  cloudformation: () => new CloudFormationClient({ region: 'eu-west-1' }),
  sqs: () => new SQSClient({ region: 'eu-west-1' }),
};

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
  };
  const code = await runCli(args, io, clients);
  return { code, stdout, stderr };
}

function stackWithOutputs(outputs: Record<string, string>) {
  cloudformation.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: DEFAULT_STACK_NAME,
        CreationTime: new Date(),
        StackStatus: 'CREATE_COMPLETE',
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
}

function queues(depths: { queue: number; inFlight: number; dlq: number }) {
  sqs.on(GetQueueAttributesCommand, { QueueUrl: QUEUE_URL }).resolves({
    Attributes: {
      QueueArn: QUEUE_ARN,
      ApproximateNumberOfMessages: String(depths.queue),
      ApproximateNumberOfMessagesNotVisible: String(depths.inFlight),
    },
  });
  sqs.on(GetQueueAttributesCommand, { QueueUrl: DLQ_URL }).resolves({
    Attributes: { QueueArn: DLQ_ARN, ApproximateNumberOfMessages: String(depths.dlq) },
  });
}

describe('status and redrive', () => {
  beforeEach(() => {
    cloudformation.reset();
    sqs.reset();
  });

  it('looks for the stack name and outputs the CDK app deploys', () => {
    // The CLI keeps its own copy so that it starts without loading the CDK.
    expect(DEFAULT_STACK_NAME).toBe(DEPLOYED_STACK_NAME);
    expect(STACK_OUTPUTS.queueUrl).toBe(DEPLOYED_OUTPUTS.queueUrl);
    expect(STACK_OUTPUTS.deadLetterQueueUrl).toBe(DEPLOYED_OUTPUTS.deadLetterQueueUrl);
  });

  it('shows the depths of the queues found from the stack outputs', async () => {
    // GIVEN a deployed stack with 3 waiting, 2 in-flight and 4 dead messages
    stackWithOutputs({ QueueUrl: QUEUE_URL, DeadLetterQueueUrl: DLQ_URL });
    queues({ queue: 3, inFlight: 2, dlq: 4 });
    // WHEN asking for its status as JSON
    const { code, stdout } = await cli(['status', '--json']);
    // THEN the numbers come from the queues the outputs name
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      queueUrl: QUEUE_URL,
      deadLetterQueueUrl: DLQ_URL,
      waiting: 3,
      inFlight: 2,
      delayed: 0,
      oldestMessageAgeSeconds: null,
      deadLetters: 4,
    });
    expect(cloudformation.commandCalls(DescribeStacksCommand)[0]?.args[0].input).toEqual({
      StackName: DEFAULT_STACK_NAME,
    });
  });

  it('redrives the dead-letter queue into the event queue and waits for the move', async () => {
    // GIVEN 4 dead messages
    stackWithOutputs({ QueueUrl: QUEUE_URL, DeadLetterQueueUrl: DLQ_URL });
    queues({ queue: 0, inFlight: 0, dlq: 4 });
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
    sqs.on(ListMessageMoveTasksCommand).resolves({
      Results: [{ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 4, SourceArn: DLQ_ARN }],
    });
    // WHEN redriving with a rate and --wait
    const { code, stdout } = await cli(['redrive', '--rate', '10', '--wait']);
    // THEN the move goes from the DLQ's ARN to the queue's ARN, and its completion is reported
    expect(code).toBe(0);
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)[0]?.args[0].input).toEqual({
      SourceArn: DLQ_ARN,
      DestinationArn: QUEUE_ARN,
      MaxNumberOfMessagesPerSecond: 10,
    });
    expect(stdout).toContain('task task-1');
    expect(stdout).toContain('COMPLETED: 4 moved');
  }, 10_000);

  it('does not start a move when the dead-letter queue is empty', async () => {
    // GIVEN an empty DLQ, named by URL rather than the stack
    queues({ queue: 0, inFlight: 0, dlq: 0 });
    // WHEN redriving
    const { code, stdout } = await cli([
      'redrive',
      '--queue-url',
      QUEUE_URL,
      '--dead-letter-queue-url',
      DLQ_URL,
    ]);
    // THEN nothing is moved and CloudFormation is not asked
    expect(code).toBe(0);
    expect(stdout).toContain('nothing to redrive');
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
    expect(cloudformation.commandCalls(DescribeStacksCommand)).toHaveLength(0);
  });

  it('fails with a clear message when the stack does not exist', async () => {
    // GIVEN no such stack
    cloudformation
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('Stack with id Nope does not exist'), { name: 'ValidationError' }));
    // WHEN asking for its status
    const { code, stderr } = await cli(['status', '--stack', 'Nope']);
    // THEN it names the stack and the way out, and exits 1
    expect(code).toBe(1);
    expect(stderr).toContain(
      'stack "Nope" not found: deploy it with `npx cdk deploy`, or pass --stack and --region',
    );
  });

  it('fails with a clear message when the stack lacks the queue outputs', async () => {
    // GIVEN a stack without the outputs
    stackWithOutputs({ WebhookUrl: 'https://example.com' });
    // WHEN asking for its status
    const { code, stderr } = await cli(['status']);
    // THEN it lists what the stack has
    expect(code).toBe(1);
    expect(stderr).toContain(
      `stack "${DEFAULT_STACK_NAME}" has no output QueueUrl or DeadLetterQueueUrl (its outputs: WebhookUrl)`,
    );
  });

  it('fails with a clear message when there are no AWS credentials', async () => {
    // GIVEN the SDK finds no credentials
    cloudformation.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
    );
    // WHEN redriving
    const { code, stderr } = await cli(['redrive']);
    // THEN it says how to provide them
    expect(code).toBe(1);
    expect(stderr).toContain('no AWS credentials found');
    expect(stderr).toContain('AWS_PROFILE');
  });

  it('fails with the reason when a move task cannot start', async () => {
    // GIVEN a move that SQS refuses (one is already running)
    queues({ queue: 0, inFlight: 0, dlq: 2 });
    sqs
      .on(StartMessageMoveTaskCommand)
      .rejects(
        Object.assign(new Error('There is already a task running.'), { name: 'UnsupportedOperation' }),
      );
    // WHEN redriving
    const { code, stderr } = await cli([
      'redrive',
      '--queue-url',
      QUEUE_URL,
      '--dead-letter-queue-url',
      DLQ_URL,
    ]);
    // THEN SQS's reason is shown
    expect(code).toBe(1);
    expect(stderr).toContain('UnsupportedOperation: There is already a task running.');
  });
});
