/**
 * `trace` against the emulators: records written by the real processor (and a claim as the
 * verifier writes it) in DynamoDB Local, the archive in fauxqs's S3, read back through the local
 * pipeline's state and through a deployed stack's outputs (the stack's outputs are the only mocked
 * part).
 */
import { createHash } from 'node:crypto';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { runTrace, type TraceClients } from '../../cli/trace.ts';
import { S3ArchiveWriter } from '../../lambda/processor/archive-writers.ts';
import { DynamoDbEventRecords } from '../../lambda/processor/event-records.ts';
import type { EventHandlers } from '../../lambda/processor/router.ts';
import { STACK_OUTPUTS } from '../../lambda/shared/deployment-names.ts';
import type { LocalPipelineState } from '../../local/state.ts';
import { connectionEvent } from '../fixtures/events.ts';
import { type CapturedOutput, captureStdout } from '../fixtures/output.ts';
import { lambdaContext, replayedRecord, sqsEvent, sqsRecord } from '../fixtures/sqs-events.ts';
import { captureIo, localStateOf } from '../support/cli-io.ts';
import { createTestResources, testDynamoDbClient, testS3Client } from '../support/emulators.ts';
import { emulatorProcessor } from './processor-harness.ts';

type Resources = Awaited<ReturnType<typeof createTestResources>>;

const cloudformation = mockClient(CloudFormationClient);
const clients: TraceClients = {
  cloudformation: () => new CloudFormationClient({ region: 'us-east-1' }),
  s3: () => testS3Client(),
  dynamodb: () => testDynamoDbClient(),
};

let resources: Resources;
let documents: DynamoDBDocumentClient;
let output: CapturedOutput;
const connectionId = `conn_trace_${Date.now()}`;
const NOW = new Date();
const receivedAt = (secondsAgo: number) => new Date(NOW.getTime() - secondsAgo * 1000).toISOString();

/** The events of the connection: a, processed then replayed; b, failed at its last receive. */
const a = sqsRecord({
  body: connectionEvent('connection.updated', { connectionId, permissions: ['a'] }),
  eventKey: `msg_trace_a_${Date.now()}`,
  receivedAt: receivedAt(600),
  signatureScheme: 'svix',
});
const b = sqsRecord({
  body: connectionEvent('connection.updated', { connectionId, permissions: ['b'] }),
  eventKey: `msg_trace_b_${Date.now()}`,
  receivedAt: receivedAt(300),
});
/** A Svix id too long to be an event key: the verifier keys it by its SHA-256. */
const longId = `msg_${'x'.repeat(200)}`;
const longKey = createHash('sha256').update(longId).digest('hex');
/** Claimed by the verifier, not yet seen by the processor. */
const claimedKey = `msg_trace_claimed_${Date.now()}`;

const key = (record: SQSRecord) => record.messageAttributes.eventKey!.stringValue!;

beforeAll(async () => {
  resources = await createTestResources();
  documents = DynamoDBDocumentClient.from(resources.dynamodb);
  output = captureStdout();
  const handle = emulatorProcessor(resources, documents, {
    handlers: {
      'connection.updated': (event) => {
        if (event.data.connection.permissions?.[0] === 'b') throw new Error('registry unavailable');
      },
    } as Partial<EventHandlers>,
    processedEvents: new DynamoDbEventRecords({
      tableName: resources.processedEventsTableName,
      ttlSeconds: 72 * 3600,
      client: documents,
    }),
    maxReceiveCount: 2,
  });
  const run = (record: SQSRecord) => handle(sqsEvent(record), lambdaContext());
  // a was claimed by the verifier, as every event of this release is.
  await documents.send(
    new PutCommand({
      TableName: resources.processedEventsTableName,
      Item: {
        eventKey: key(a),
        eventType: 'connection.updated',
        connectionId,
        signatureScheme: 'svix',
        receivedAt: receivedAt(600),
        deliveries: 1,
        expiresAt: Math.floor(NOW.getTime() / 1000) + 3600,
      },
    }),
  );
  await run(a);
  await run(replayedRecord(a, undefined, 'r1'));
  await run(b);
  await run({ ...b, attributes: { ...b.attributes, ApproximateReceiveCount: '2' } });
  await run(
    sqsRecord({
      body: connectionEvent('connection.updated', { connectionId: 'conn_other', permissions: ['c'] }),
      eventKey: longKey,
    }),
  );
  output.restore();
  await documents.send(
    new PutCommand({
      TableName: resources.processedEventsTableName,
      Item: {
        eventKey: claimedKey,
        eventType: 'connection.created',
        connectionId,
        signatureScheme: 'ofauth',
        receivedAt: receivedAt(10),
        deliveries: 2,
        leaseUntil: NOW.getTime() + 5000,
        expiresAt: Math.floor(NOW.getTime() / 1000) + 3600,
      },
    }),
  );
  // The archive holds the three events of the connection, as the processor archived them.
  const writer = new S3ArchiveWriter({
    bucketName: resources.archiveBucketName,
    client: resources.s3,
    clock: () => NOW,
  });
  const archived = [
    { record: a, type: 'connection.updated' },
    { record: b, type: 'connection.updated' },
  ].map(({ record, type }) => ({
    eventKey: record.messageAttributes.eventKey!.stringValue!,
    eventType: type,
    connectionId,
    receivedAt: record.messageAttributes.receivedAt!.stringValue!,
    signatureScheme: 'ofauth' as const,
    body: record.body,
  }));
  archived.push({
    ...archived[0]!,
    eventKey: claimedKey,
    eventType: 'connection.created',
    receivedAt: receivedAt(10),
  });
  expect(await writer.write(archived)).toEqual([]);
});

beforeEach(() => cloudformation.reset());

async function trace(args: string[], local: LocalPipelineState | null = localStateOf(resources, NOW)) {
  const { io, out, err } = captureIo();
  let thrown = '';
  let code: number;
  try {
    code = await runTrace(args, io, { clients, localState: async () => local ?? undefined, now: () => NOW });
  } catch (error) {
    code = (error as { exitCode?: number }).exitCode ?? 99;
    thrown = (error as Error).message;
  }
  return { code, stdout: out(), stderr: err() + thrown };
}

describe('trace <event key>', () => {
  it("shows a processed and replayed event's fate from its record, on the local pipeline", async () => {
    // WHEN event a (processed, then replayed by r1) is traced
    const { code, stdout } = await trace([key(a)]);
    // THEN the text says how it was received, that the processor saw it, its attempts, processed, replayed
    expect(code).toBe(0);
    expect(stdout).toContain(`event ${key(a)} (connection.updated, connection ${connectionId})`);
    expect(stdout).toMatch(/fate {11}processed/);
    expect(stdout).toContain(`received       ${receivedAt(600)}, svix signature`);
    expect(stdout).toContain('enqueued       yes, seen by the processor');
    expect(stdout).toMatch(/attempts {7}2, first \S+, last \S+/);
    expect(stdout).toMatch(/replayed {7}\S+ \(replay r1\)/);
  });

  it('prints the record as JSON with --json', async () => {
    const { code, stdout } = await trace([key(a), '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      eventKey: key(a),
      fate: 'processed',
      record: {
        eventKey: key(a),
        attempts: 2,
        processedAt: expect.any(String),
        replays: { r1: expect.any(String) },
      },
    });
  });

  it('shows an event whose last attempt failed: attempts, the last error, dead-lettered', async () => {
    const { code, stdout } = await trace([key(b)]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/fate {11}dead-lettered/);
    expect(stdout).toMatch(/attempts {7}2,/);
    expect(stdout).toContain('last error     Error: registry unavailable');
    expect(stdout).toMatch(/dead-lettered {2}\S+ \(max_receive_count\)/);
  });

  it('shows an event the verifier claimed that the processor has not seen yet', async () => {
    const { code, stdout } = await trace([claimedKey]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/fate {11}received/);
    expect(stdout).toContain(`received       ${receivedAt(10)}, ofauth signature, 2 deliveries`);
    expect(stdout).toContain('enqueued       claimed by the verifier, not yet seen by the processor');
  });

  it('finds an event by a svix id too long to be a key, under its SHA-256', async () => {
    const { code, stdout } = await trace([longId]);
    expect(code).toBe(0);
    expect(stdout).toContain(`event ${longKey} (connection.updated, connection conn_other)`);
  });

  it('fails with exit code 1 when the event has no record', async () => {
    const { code, stdout } = await trace(['msg_never_sent']);
    expect(code).toBe(1);
    expect(stdout).toContain('no record of event msg_never_sent in the local pipeline');
    const json = await trace(['msg_never_sent', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({ eventKey: 'msg_never_sent', fate: 'no record' });
  });
});

describe('trace --connection', () => {
  it("lists a connection's events of the window with their fates, read from the archive", async () => {
    // WHEN the connection's last hour is traced
    const { code, stdout } = await trace(['--connection', connectionId, '--since', '1h']);
    // THEN its three archived events are listed in receipt order, each with its record's fate
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^3 event\\(s\\) of connection ${connectionId} received from`));
    expect(lines.slice(1)).toEqual([
      `  ${receivedAt(600)}  ${key(a)}  connection.updated  processed, 2 attempt(s)`,
      `  ${receivedAt(300)}  ${key(b)}  connection.updated  dead-lettered, 2 attempt(s), last error: Error: registry unavailable`,
      `  ${receivedAt(10)}  ${claimedKey}  connection.created  received`,
    ]);
  });

  it('prints an array with --json, and only the window', async () => {
    const { code, stdout } = await trace(['--connection', connectionId, '--since', '7m', '--json']);
    expect(code).toBe(0);
    expect(
      (JSON.parse(stdout) as Array<{ eventKey: string; fate: string }>).map((e) => [e.eventKey, e.fate]),
    ).toEqual([
      [key(b), 'dead-lettered'],
      [claimedKey, 'received'],
    ]);
  });

  it('rejects --connection without --since, and a call with neither a key nor --connection', async () => {
    expect(await trace(['--connection', connectionId])).toMatchObject({
      code: 2,
      stderr: '--connection needs --since, e.g. --since 1h',
    });
    expect(await trace([])).toMatchObject({
      code: 2,
      stderr: 'give an event key or svix id, or --connection <id> --since <time>',
    });
  });
});

describe('trace against a deployed stack', () => {
  const outputs = (withTable: boolean) => ({
    Stacks: [
      {
        StackName: 'Receiver',
        CreationTime: NOW,
        StackStatus: 'CREATE_COMPLETE' as const,
        Outputs: [
          ...(withTable
            ? [
                {
                  OutputKey: STACK_OUTPUTS.processedEventsTableName,
                  OutputValue: resources.processedEventsTableName,
                },
              ]
            : []),
          { OutputKey: STACK_OUTPUTS.archiveBucketName, OutputValue: resources.archiveBucketName },
        ],
      },
    ],
  });

  it("reads the record table the stack's outputs name", async () => {
    cloudformation.on(DescribeStacksCommand, { StackName: 'Receiver' }).resolves(outputs(true));
    const { code, stdout } = await trace([key(a), '--stack', 'Receiver', '--region', 'eu-west-1'], null);
    expect(code).toBe(0);
    expect(stdout).toMatch(/fate {11}processed/);
    const listed = await trace(
      ['--connection', connectionId, '--since', '1h', '--stack', 'Receiver'],
      undefined,
    );
    expect(listed.stdout).toContain('the archive lags by its buffer (about 60 s)');
  });

  it('fails on a stack deployed without the record', async () => {
    cloudformation.on(DescribeStacksCommand).resolves(outputs(false));
    const { code, stderr } = await trace([key(a), '--stack', 'Receiver'], null);
    expect(code).toBe(1);
    expect(stderr).toContain('stack "Receiver" has no ProcessedEventsTableName output');
  });

  it('fails, asking nothing of AWS, without --stack when no local pipeline runs', async () => {
    const { code, stderr } = await trace([key(a)], null);
    expect(code).toBe(1);
    expect(stderr).toMatch(/npm start/);
    expect(cloudformation.calls()).toHaveLength(0);
  });
});
