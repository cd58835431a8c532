import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { runCli } from '../../cli/index.ts';
import type { AwsClients } from '../../cli/queues.ts';
import { DEFAULT_STACK_NAME } from '../../lambda/shared/deployment-names.ts';
import { writeLocalState } from '../../local/state.ts';
import { captureIo } from '../support/cli-io.ts';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/events.fifo';
const DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/events-dlq.fifo';
const QUEUE_ARN = 'arn:aws:sqs:eu-west-1:123456789012:events.fifo';
const DLQ_ARN = 'arn:aws:sqs:eu-west-1:123456789012:events-dlq.fifo';

const cloudformation = mockClient(CloudFormationClient);
const sqs = mockClient(SQSClient);
const cloudwatch = mockClient(CloudWatchClient);
const clients: AwsClients = {
  cloudformation: () => new CloudFormationClient({ region: 'eu-west-1' }),
  sqs: () => new SQSClient({ region: 'eu-west-1' }),
  cloudwatch: () => new CloudWatchClient({ region: 'eu-west-1' }),
};

/** This file's own local-pipeline state file: a developer's running `npm start` must not count. */
const STATE_FILE = join(mkdtempSync(join(tmpdir(), 'ofauth-cli-queues-')), 'pipeline.json');

async function cli(args: string[]) {
  const { io, out, err } = captureIo({ env: { OFAUTH_LOCAL_STATE_FILE: STATE_FILE } });
  const code = await runCli(args, io, clients);
  return { code, stdout: out(), stderr: err() };
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
    cloudwatch.reset();
    // By default CloudWatch has no datapoint, as for a queue that has just been created.
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
  });

  it('shows the depths of the queues found from the stack outputs', async () => {
    // GIVEN a deployed stack with 3 waiting, 2 in-flight and 4 dead messages
    stackWithOutputs({ QueueUrl: QUEUE_URL, DeadLetterQueueUrl: DLQ_URL });
    queues({ queue: 3, inFlight: 2, dlq: 4 });
    // WHEN asking for its status as JSON
    const { code, stdout } = await cli(['status', '--region', 'eu-west-1', '--json']);
    // THEN the numbers come from the queues the outputs name
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      local: false,
      queueUrl: QUEUE_URL,
      deadLetterQueueUrl: DLQ_URL,
      waiting: 3,
      inFlight: 2,
      delayed: 0,
      oldestMessageAgeSeconds: null,
      oldestMessageAgeMeasuredAt: null,
      deadLetters: 4,
      deadLetterOldestMessageAgeSeconds: null,
      deadLetterKinds: null,
    });
    expect(cloudformation.commandCalls(DescribeStacksCommand)[0]?.args[0].input).toEqual({
      StackName: DEFAULT_STACK_NAME,
    });
  });

  it("shows the oldest message's age from CloudWatch's latest datapoint", async () => {
    // GIVEN a stack whose queue's oldest message was 95 s old a minute ago and 42 s old before,
    // and whose dead-letter queue holds a message 2 days old
    stackWithOutputs({ QueueUrl: QUEUE_URL, DeadLetterQueueUrl: DLQ_URL });
    queues({ queue: 3, inFlight: 0, dlq: 1 });
    const latest = new Date(Date.now() - 60_000);
    const earlier = new Date(Date.now() - 180_000);
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'age1', Timestamps: [latest], Values: [172_800] },
        { Id: 'age0', Timestamps: [earlier, latest], Values: [42, 95] },
      ],
    });
    // WHEN asking for its status, as JSON and as text
    const json = await cli(['status', '--region', 'eu-west-1', '--json']);
    const text = await cli(['status', '--region', 'eu-west-1']);
    // THEN the newest datapoint of each queue is shown
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      oldestMessageAgeSeconds: 95,
      oldestMessageAgeMeasuredAt: latest.toISOString(),
      deadLetterOldestMessageAgeSeconds: 172_800,
    });
    expect(text.stdout).toMatch(/oldest message {3}95 s {3}\(CloudWatch, \d\d:\d\d UTC\)/);
    expect(text.stdout).toContain('oldest message   2.0 days');
    // AND the metric asked for is SQS's ApproximateAgeOfOldestMessage of each queue by name,
    // the 1-minute maximum over the last 5 minutes
    const input = cloudwatch.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    expect(input.MetricDataQueries).toEqual(
      [
        ['age0', 'events.fifo'],
        ['age1', 'events-dlq.fifo'],
      ].map(([Id, QueueName]) => ({
        Id,
        ReturnData: true,
        MetricStat: {
          Metric: {
            Namespace: 'AWS/SQS',
            MetricName: 'ApproximateAgeOfOldestMessage',
            Dimensions: [{ Name: 'QueueName', Value: QueueName }],
          },
          Period: 60,
          Stat: 'Maximum',
        },
      })),
    );
    expect(input.EndTime!.getTime() - input.StartTime!.getTime()).toBe(5 * 60_000);
    expect(Math.abs((input.EndTime as Date).getTime() - Date.now())).toBeLessThan(5_000);
  });

  it('says plainly when CloudWatch has no datapoint of the age yet', async () => {
    // GIVEN a queue CloudWatch has no recent datapoint for (new, or idle for hours)
    stackWithOutputs({ QueueUrl: QUEUE_URL, DeadLetterQueueUrl: DLQ_URL });
    queues({ queue: 0, inFlight: 0, dlq: 0 });
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'age0', Timestamps: [], Values: [], StatusCode: 'Complete' }],
    });
    // WHEN asking for its status
    const { code, stdout, stderr } = await cli(['status', '--region', 'eu-west-1']);
    // THEN it says there is no datapoint and why, rather than a number or an error
    expect(code).toBe(0);
    expect(stdout).toContain('oldest message   no CloudWatch datapoint in the last 5 min');
    expect(stdout).toContain('(SQS sends one a minute while a queue is active)');
    expect(stderr).toBe('');
  });

  it('fails only the age, not the whole status, when CloudWatch cannot be read', async () => {
    // GIVEN credentials that may read the queues but not CloudWatch
    stackWithOutputs({ QueueUrl: QUEUE_URL, DeadLetterQueueUrl: DLQ_URL });
    queues({ queue: 7, inFlight: 1, dlq: 0 });
    cloudwatch.on(GetMetricDataCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: cloudwatch:GetMetricData'), {
        name: 'AccessDenied',
      }),
    );
    // WHEN asking for its status
    const { code, stdout, stderr } = await cli(['status', '--region', 'eu-west-1']);
    // THEN the depths are shown, the age is marked unavailable and the reason goes to stderr
    expect(code).toBe(0);
    expect(stdout).toContain('waiting          7');
    expect(stdout).toContain('oldest message   unavailable');
    expect(stderr).toContain(
      "warning: could not read the oldest message's age from CloudWatch: access denied: User is not authorized to perform: cloudwatch:GetMetricData",
    );
  });

  it('redrives with SQS move task on request, and waits for the move', async () => {
    // GIVEN 4 dead messages
    stackWithOutputs({ QueueUrl: QUEUE_URL, DeadLetterQueueUrl: DLQ_URL });
    queues({ queue: 0, inFlight: 0, dlq: 4 });
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
    sqs.on(ListMessageMoveTasksCommand).resolves({
      Results: [{ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 4, SourceArn: DLQ_ARN }],
    });
    // WHEN redriving with the move task, a rate and --wait
    const { code, stdout } = await cli([
      'redrive',
      '--region',
      'eu-west-1',
      '--move-task',
      '--rate',
      '10',
      '--wait',
      '--yes',
    ]);
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
    expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
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
    const { code, stderr } = await cli(['status', '--region', 'eu-west-1']);
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
    const { code, stderr } = await cli(['redrive', '--stack', DEFAULT_STACK_NAME]);
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
      '--move-task',
      '--yes',
    ]);
    // THEN SQS's reason is shown
    expect(code).toBe(1);
    expect(stderr).toContain('UnsupportedOperation: There is already a task running.');
  });

  it('uses the deployed stack when a stack option is given, even while a local pipeline runs', async () => {
    // GIVEN a live local pipeline (this process) described in the state file
    await writeLocalState(
      {
        url: 'http://127.0.0.1:1/webhooks/ofauth',
        port: 1,
        pid: process.pid,
        region: 'us-east-1',
        endpoints: { dynamodb: 'http://127.0.0.1:1', sqs: 'http://127.0.0.1:1' },
        resources: {
          ledgerTableName: 'ofauth-ledger',
          connectionsTableName: 'ofauth-connections',
          queueUrl: 'http://127.0.0.1:1/000000000000/ofauth-events.fifo',
          deadLetterQueueUrl: 'http://127.0.0.1:1/000000000000/ofauth-events-dlq.fifo',
        },
        startedAt: new Date().toISOString(),
      },
      STATE_FILE,
    );
    stackWithOutputs({ QueueUrl: QUEUE_URL, DeadLetterQueueUrl: DLQ_URL });
    queues({ queue: 1, inFlight: 0, dlq: 0 });
    // WHEN `status --stack` names the deployed stack
    const { code, stdout } = await cli(['status', '--stack', DEFAULT_STACK_NAME, '--json']);
    rmSync(STATE_FILE);
    // THEN its queues are shown, not the local ones
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ local: false, queueUrl: QUEUE_URL, waiting: 1 });
  });

  it.each([[['status']], [['redrive', '--yes']], [['replay', '--since', '1h', '--yes']]])(
    'fails %j with no local pipeline and no stack, saying how to start one or name a stack',
    async (args) => {
      // GIVEN no `npm start` running (this file's state file does not exist) and no stack named
      // WHEN the command runs with no target option
      const { code, stderr } = await cli(args);
      // THEN it says that no local pipeline runs and how to target a deployed stack, and asks AWS nothing
      expect(code).toBe(1);
      expect(stderr).toBe(
        'error: no local pipeline is running on this machine (start one with `npm start` in another terminal), ' +
          'and no deployed stack was named (pass --stack NAME --region REGION; `npx cdk deploy` creates OFAuthWebhookReceiver)\n',
      );
      expect(cloudformation.calls()).toHaveLength(0);
      expect(sqs.calls()).toHaveLength(0);
    },
  );
});
