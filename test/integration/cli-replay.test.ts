/**
 * The archive's write and read sides and `replay` against fauxqs (S3 and SQS): the processor's S3
 * adapter writes objects, the CLI's reader finds the window's events in them, and `replay` puts
 * them on a real FIFO queue, asking first. The stack's outputs are the only mocked part.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { readArchive } from '../../cli/archive-reader.ts';
import { type ReplayClients, runReplay } from '../../cli/replay.ts';
import { S3ArchiveWriter } from '../../lambda/processor/archive-writers.ts';
import type { ArchivedEvent } from '../../lambda/shared/queue-message.ts';
import { answeringTerminal, captureIo, localStateOf } from '../support/cli-io.ts';
import { createTestResources, testS3Client, testSqsClient } from '../support/emulators.ts';
import { drainQueue } from './verifier-harness.ts';

type Resources = Awaited<ReturnType<typeof createTestResources>>;

const cloudformation = mockClient(CloudFormationClient);
const clients: ReplayClients = {
  cloudformation: () => new CloudFormationClient({ region: 'us-east-1' }),
  s3: () => testS3Client(),
  sqs: () => testSqsClient(),
};

function event(n: number, overrides: Partial<ArchivedEvent> = {}): ArchivedEvent {
  return {
    eventKey: `key-${n}`,
    eventType: 'connection.updated',
    connectionId: 'conn_a',
    receivedAt: new Date(Date.parse('2026-01-05T10:00:00Z') + n * 1000).toISOString(),
    signatureScheme: 'svix',
    body: `{"type":"connection.updated","data":{"connection":{"id":"conn_a"}},"n":${n}}`,
    sequenceNumber: String(1000 + n),
    ...overrides,
  };
}

/** Writes events as the processor would, archived at `archivedAt`. */
async function archive(resources: Resources, archivedAt: string, events: ArchivedEvent[]) {
  const writer = new S3ArchiveWriter({
    bucketName: resources.archiveBucketName,
    client: resources.s3,
    clock: () => new Date(archivedAt),
  });
  expect(await writer.write(events)).toEqual([]);
}

const now = new Date('2026-01-05T12:00:00Z');

describe('reading the archive', () => {
  let resources: Resources;
  beforeAll(async () => {
    // GIVEN an archive with events received from 10:00:00, written in three hours, one twice,
    // and one that waited 30 hours on the queue before it was archived
    resources = await createTestResources();
    await archive(resources, '2026-01-05T10:00:30Z', [
      event(1),
      event(2),
      event(3, { connectionId: 'conn_b' }),
    ]);
    await archive(resources, '2026-01-05T11:00:05Z', [
      event(3, { connectionId: 'conn_b' }),
      event(4, { eventType: 'rules.updated', connectionId: undefined }),
    ]);
    await archive(resources, '2026-01-06T16:00:00Z', [event(5)]);
    await archive(resources, '2026-01-05T09:10:00Z', [event(-3600)]);
  });

  const read = (query: Partial<Parameters<typeof readArchive>[2]> = {}) =>
    readArchive(resources.s3, resources.archiveBucketName, {
      since: new Date('2026-01-05T10:00:00Z'),
      until: new Date('2026-01-05T11:00:00Z'),
      maxQueueDelayMs: 24 * 3_600_000,
      now: new Date('2026-01-07T00:00:00Z'),
      ...query,
    });
  const keys = async (query: Partial<Parameters<typeof readArchive>[2]> = {}) =>
    (await read(query)).events.map((e) => e.eventKey).sort();

  it('finds each event of the window once, by receipt time, wherever it was archived within the delay', async () => {
    expect(await keys()).toEqual(['key-1', 'key-2', 'key-3', 'key-4']);
  });

  it('finds an event that waited longer on the queue only with a longer --max-queue-delay', async () => {
    expect(await keys({ maxQueueDelayMs: 48 * 3_600_000 })).toEqual([
      'key-1',
      'key-2',
      'key-3',
      'key-4',
      'key-5',
    ]);
  });

  it('filters by type, connection and event id', async () => {
    expect(await keys({ types: new Set(['rules.updated']) })).toEqual(['key-4']);
    expect(await keys({ connections: new Set(['conn_b']) })).toEqual(['key-3']);
    expect(await keys({ eventIds: new Set(['key-2', 'key-9']) })).toEqual(['key-2']);
  });

  it('returns the archived event exactly as written', async () => {
    const [found] = (await read({ eventIds: new Set(['key-1']) })).events;
    expect(found).toEqual(event(1));
  });
});

describe('npm run cli -- replay', () => {
  it('refuses without a terminal and without --yes, and sends nothing', async () => {
    const resources = await createTestResources();
    await archive(resources, '2026-01-05T10:01:00Z', [event(1)]);
    const out = captureIo();
    const run = runReplay(['--since', '2026-01-05T10:00Z'], out.io, {
      clients,
      terminal: answeringTerminal(false),
      localState: async () => localStateOf(resources),
      now: () => now,
    });
    await expect(run).rejects.toThrow(
      'refusing to replay without confirmation: standard input is not a terminal; pass --yes',
    );
    expect(out.out()).toContain('1 event(s) received from 2026-01-05T10:00:00.000Z');
    expect(await drainQueue(resources.sqs, resources.queueUrl)).toEqual([]);
  });

  it('asks on a terminal, and sends nothing when the answer is no', async () => {
    const resources = await createTestResources();
    await archive(resources, '2026-01-05T10:01:00Z', [event(1), event(2)]);
    const tty = answeringTerminal(true, 'n');
    const run = runReplay(['--since', '2026-01-05T10:00Z'], captureIo().io, {
      clients,
      terminal: tty,
      localState: async () => localStateOf(resources),
      now: () => now,
    });
    await expect(run).rejects.toThrow('replay cancelled: nothing was sent');
    expect(tty.asked).toEqual([`replay 2 event(s) to ${resources.queueUrl}? [y/N] `]);
    expect(await drainQueue(resources.sqs, resources.queueUrl)).toEqual([]);
  });

  it('shows the count per type and sends nothing with --dry-run', async () => {
    const resources = await createTestResources();
    await archive(resources, '2026-01-05T10:01:00Z', [
      event(1),
      event(2),
      event(3, { eventType: 'connection.created' }),
    ]);
    const out = captureIo();
    const code = await runReplay(['--since', '2026-01-05T10:00Z', '--dry-run'], out.io, {
      clients,
      localState: async () => localStateOf(resources),
      now: () => now,
    });
    expect(code).toBe(0);
    expect(out.out()).toMatch(
      /3 event\(s\) received .*, 1 connection\(s\) or account-wide group\(s\):\n {2}connection\.created {2}1\n {2}connection\.updated {2}2\n/,
    );
    expect(await drainQueue(resources.sqs, resources.queueUrl)).toEqual([]);
  });

  it('puts the window back on the queue in order per connection after a yes, marked as a replay', async () => {
    // GIVEN six events of two connections, archived out of order
    const resources = await createTestResources();
    const a = [1, 2, 3].map((n) => event(n));
    const b = [4, 5, 6].map((n) =>
      event(n, { connectionId: 'conn_b', body: `{"type":"connection.updated","b":${n}}` }),
    );
    await archive(resources, '2026-01-05T10:01:00Z', [a[2]!, b[1]!, a[0]!]);
    await archive(resources, '2026-01-05T10:02:00Z', [b[2]!, a[1]!, b[0]!]);
    // WHEN replay is confirmed on a terminal
    const out = captureIo();
    const code = await runReplay(['--since', '2026-01-05T10:00Z', '--until', '2026-01-05T11:00Z'], out.io, {
      clients,
      terminal: answeringTerminal(true, 'yes'),
      localState: async () => localStateOf(resources),
      now: () => now,
    });
    // THEN all six are on the queue, in order per connection, each with its original attributes and the replay marker
    expect(code).toBe(0);
    expect(out.out()).toMatch(/replayed 6 of 6 event\(s\) to .* \(replay id [0-9a-z]+\)\n$/);
    const messages = await drainQueue(resources.sqs, resources.queueUrl);
    const keysOf = (group: string) =>
      messages
        .filter((m) => m.Attributes?.MessageGroupId === group)
        .map((m) => m.MessageAttributes?.eventKey?.StringValue);
    expect(keysOf('conn_a')).toEqual(['key-1', 'key-2', 'key-3']);
    expect(keysOf('conn_b')).toEqual(['key-4', 'key-5', 'key-6']);
    const first = messages.find((m) => m.MessageAttributes?.eventKey?.StringValue === 'key-1')!;
    expect(first.Body).toBe(a[0]!.body);
    expect(first.MessageAttributes).toMatchObject({
      receivedAt: { StringValue: a[0]!.receivedAt },
      signatureScheme: { StringValue: 'svix' },
      eventType: { StringValue: 'connection.updated' },
      replay: { StringValue: 'true' },
      originalSequenceNumber: { StringValue: '1001' },
    });
    expect(first.Attributes?.MessageDeduplicationId).toMatch(/^r:[0-9a-z]+:key-1$/);
  });

  it('replays the same window again when asked again (a new replay id, not deduplicated)', async () => {
    const resources = await createTestResources();
    await archive(resources, '2026-01-05T10:01:00Z', [event(1)]);
    const options = { clients, localState: async () => localStateOf(resources), now: () => now };
    await runReplay(['--since', '2026-01-05T10:00Z', '--yes'], captureIo().io, options);
    await runReplay(['--since', '2026-01-05T10:00Z', '--yes'], captureIo().io, options);
    expect(
      (await drainQueue(resources.sqs, resources.queueUrl)).map(
        (m) => m.MessageAttributes?.eventKey?.StringValue,
      ),
    ).toEqual(['key-1', 'key-1']);
  });

  it('marks the replayed messages for publishing to the event bus only with --publish', async () => {
    // GIVEN an archived event
    const resources = await createTestResources();
    await archive(resources, '2026-01-05T10:01:00Z', [event(1)]);
    const options = { clients, localState: async () => localStateOf(resources), now: () => now };

    // WHEN it is replayed without --publish, then with it
    await runReplay(['--since', '2026-01-05T10:00Z', '--yes'], captureIo().io, options);
    await runReplay(['--since', '2026-01-05T10:00Z', '--yes', '--publish'], captureIo().io, options);

    // THEN only the second message carries the publish attribute the processor honours
    const publish = (await drainQueue(resources.sqs, resources.queueUrl)).map(
      (m) => m.MessageAttributes?.publish?.StringValue,
    );
    expect(publish).toEqual([undefined, 'true']);
  });

  it("finds the queue and the bucket in a deployed stack's outputs", async () => {
    const resources = await createTestResources();
    await archive(resources, '2026-01-05T10:01:00Z', [event(1)]);
    cloudformation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'Hooks',
          CreationTime: now,
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [
            { OutputKey: 'QueueUrl', OutputValue: resources.queueUrl },
            { OutputKey: 'ArchiveBucketName', OutputValue: resources.archiveBucketName },
          ],
        },
      ],
    });
    const out = captureIo();
    const code = await runReplay(['--since', '2026-01-05T10:00Z', '--stack', 'Hooks', '--yes'], out.io, {
      clients,
      localState: async () => localStateOf(resources),
      now: () => now,
    });
    expect(code).toBe(0);
    expect(out.out()).toContain(`reading the archive s3://${resources.archiveBucketName} of stack Hooks`);
    expect(cloudformation.commandCalls(DescribeStacksCommand)[0]?.args[0].input).toEqual({
      StackName: 'Hooks',
    });
    expect(await drainQueue(resources.sqs, resources.queueUrl)).toHaveLength(1);
  });

  it('fails clearly for a stack deployed without the archive', async () => {
    cloudformation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'Hooks',
          CreationTime: now,
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [{ OutputKey: 'QueueUrl', OutputValue: 'https://q' }],
        },
      ],
    });
    await expect(
      runReplay(['--since', '1h', '--stack', 'Hooks'], captureIo().io, {
        clients,
        localState: async () => undefined,
        now: () => now,
      }),
    ).rejects.toThrow('stack "Hooks" has no ArchiveBucketName output: it was deployed with archive=false');
  });
});
