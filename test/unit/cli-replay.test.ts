/**
 * `replay`'s pure parts: time arguments, usage errors, the original order per connection, archive
 * lines, and the messages it sends (attributes, group, deduplication id), with SQS's
 * `SendMessageBatch` partial failures mocked (aws-sdk-client-mock). The whole command against
 * fauxqs is in test/integration/cli-replay.test.ts; against the local pipeline in test/e2e/.
 */
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { parseArchiveObject, replayGroups } from '../../cli/archive-reader.ts';
import { runCli } from '../../cli/index.ts';
import { parseTime, runReplay } from '../../cli/replay.ts';
import { replayEntry, sendReplay } from '../../cli/replay-send.ts';
import { UsageError } from '../../dev/errors.ts';
import type { ArchivedEvent } from '../../lambda/shared/queue-message.ts';
import { captureIo } from '../support/cli-io.ts';

const sqs = mockClient(SQSClient);
beforeEach(() => sqs.reset());

const now = new Date('2026-01-05T12:00:00.000Z');

function event(overrides: Partial<ArchivedEvent> & { eventKey: string }): ArchivedEvent {
  return {
    eventType: 'connection.updated',
    connectionId: 'conn_a',
    receivedAt: '2026-01-05T10:00:00.000Z',
    signatureScheme: 'ofauth',
    body: `{"type":"connection.updated","n":"${overrides.eventKey}"}`,
    ...overrides,
  };
}

describe('replay time arguments', () => {
  it.each([
    ['6h', '2026-01-05T06:00:00.000Z'],
    ['90m', '2026-01-05T10:30:00.000Z'],
    ['3d', '2026-01-02T12:00:00.000Z'],
    ['2026-01-05T10:00Z', '2026-01-05T10:00:00.000Z'],
    ['2026-01-05', '2026-01-05T00:00:00.000Z'],
    ['2026-01-05T11:00:00+01:00', '2026-01-05T10:00:00.000Z'],
  ])('reads %s', (raw, iso) => {
    expect(parseTime('since', raw, now).toISOString()).toBe(iso);
  });

  it.each([['yesterday'], ['6 hours'], ['2026-13-45'], ['1700000000']])('rejects %s', (raw) => {
    expect(() => parseTime('since', raw, now)).toThrow(/--since must be an ISO-8601 time .* got/);
  });

  it('rejects a time in the future', () => {
    expect(() => parseTime('until', '2026-01-06T00:00Z', now)).toThrow('--until must not be in the future');
  });
});

describe('replay usage errors', () => {
  it.each([
    [[], '--since is required'],
    [['--since', '1h', '--until', '2h'], '--since must be before --until'],
    [['--since', '1h', '--stack', 'S', '--local'], 'give --stack or --local, not both'],
    [['--since', '1h', '--max-queue-delay', 'forever'], '--max-queue-delay must be a duration'],
    [['--since', '1h', 'extra'], 'unexpected argument: extra'],
  ])('rejects %j as a usage error before looking for a pipeline or a stack', async (args, message) => {
    let looked = false;
    const lookup = async () => {
      looked = true;
      return undefined;
    };
    await expect(runReplay(args, captureIo().io, { localState: lookup, now: () => now })).rejects.toThrow(
      UsageError,
    );
    await expect(runReplay(args, captureIo().io, { localState: lookup, now: () => now })).rejects.toThrow(
      message,
    );
    expect(looked).toBe(false);
  });

  it('exits 2 with the message and a hint on a usage error', async () => {
    const out = captureIo();
    expect(await runCli(['replay', '--since', 'soon'], out.io)).toBe(2);
    expect(out.err()).toContain('error: --since must be an ISO-8601 time');
    expect(out.err()).toContain('Run with --help for usage.');
  });

  it('fails with a clear message for --local when no local pipeline runs', async () => {
    const out = captureIo();
    await expect(
      runReplay(['--since', '1h', '--local'], out.io, { localState: async () => undefined, now: () => now }),
    ).rejects.toThrow('no local pipeline is running on this machine (start one with `npm start`');
  });
});

describe('the original order per connection', () => {
  it('groups by message group and orders by receipt time, then original sequence number, then key', () => {
    const events = [
      event({ eventKey: 'a3', receivedAt: '2026-01-05T10:00:02.000Z' }),
      event({ eventKey: 'b1', connectionId: 'conn_b' }),
      event({
        eventKey: 'a2',
        receivedAt: '2026-01-05T10:00:01.000Z',
        sequenceNumber: '18000000000000000010',
      }),
      event({ eventKey: 'a1', receivedAt: '2026-01-05T10:00:01.000Z', sequenceNumber: '9' }),
      event({ eventKey: 'r1', eventType: 'rules.updated', connectionId: undefined }),
      event({ eventKey: 'a0', receivedAt: '2026-01-05T09:59:59.000Z' }),
    ];
    expect(replayGroups(events).map((group) => group.map((e) => e.eventKey))).toEqual([
      ['a0', 'a1', 'a2', 'a3'],
      ['b1'],
      ['r1'],
    ]);
  });
});

describe('archive objects', () => {
  it('yields the events of valid lines and counts the others', () => {
    const good = event({ eventKey: 'k1' });
    const text = [
      JSON.stringify(good),
      '',
      '{"not":"an event"}',
      'not json',
      JSON.stringify({ ...good, signatureScheme: 'hmac' }),
      JSON.stringify({ ...good, eventKey: 'k2', sequenceNumber: '12' }),
    ].join('\n');
    const parsed = parseArchiveObject(text);
    expect(parsed.events.map((e) => e.eventKey)).toEqual(['k1', 'k2']);
    expect(parsed.invalidLines).toBe(3);
  });
});

describe('replayed messages', () => {
  it('carry the raw body, the original group, attributes and receipt time, the replay marker, replay id and original sequence', () => {
    const archived = event({
      eventKey: 'msg_1',
      sequenceNumber: '42',
      receivedAt: '2026-01-04T09:00:00.000Z',
    });
    const { request } = replayEntry(archived, { replayId: 'run1', replayedAt: now });
    expect(request).toEqual({
      Id: '0',
      MessageBody: archived.body,
      MessageGroupId: 'conn_a',
      MessageDeduplicationId: 'r:run1:msg_1',
      MessageAttributes: {
        eventType: { DataType: 'String', StringValue: 'connection.updated' },
        eventKey: { DataType: 'String', StringValue: 'msg_1' },
        signatureScheme: { DataType: 'String', StringValue: 'ofauth' },
        receivedAt: { DataType: 'String', StringValue: '2026-01-04T09:00:00.000Z' },
        replay: { DataType: 'String', StringValue: 'true' },
        replayedAt: { DataType: 'String', StringValue: now.toISOString() },
        replayId: { DataType: 'String', StringValue: 'run1' },
        originalSequenceNumber: { DataType: 'String', StringValue: '42' },
      },
    });
  });

  it('go to the fixed group of their type when they have no connection', () => {
    const { request } = replayEntry(
      event({ eventKey: 'r', eventType: 'rules.updated', connectionId: undefined }),
      {
        replayId: 'x',
        replayedAt: now,
      },
    );
    expect(request.MessageGroupId).toBe('type:rules.updated');
    expect(request.MessageAttributes).not.toHaveProperty('originalSequenceNumber');
  });
});

describe('sending a replay', () => {
  const group = (n: number, body = 'x') =>
    Array.from({ length: n }, (_, i) => event({ eventKey: `k${i}`, body: `${body}${i}` }));
  const sentKeys = () =>
    sqs
      .commandCalls(SendMessageBatchCommand)
      .map((call) =>
        (call.args[0].input.Entries ?? []).map((entry) => entry.MessageAttributes?.eventKey?.StringValue),
      );

  it('sends a group in order, in batches of at most 10', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const result = await sendReplay(new SQSClient({}), 'q', [group(23)], { replayId: 'r', replayedAt: now });
    expect(result).toEqual({ sent: 23, failed: [] });
    expect(sentKeys().map((keys) => keys.length)).toEqual([10, 10, 3]);
    expect(sentKeys().flat()).toEqual(Array.from({ length: 23 }, (_, i) => `k${i}`));
  });

  it('keeps a batch within 1 MiB', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    await sendReplay(new SQSClient({}), 'q', [group(5, 'y'.repeat(400_000))], {
      replayId: 'r',
      replayedAt: now,
    });
    expect(sentKeys().map((keys) => keys.length)).toEqual([2, 2, 1]);
  });

  it("sends a rejected entry again with the entries after it, and fails one rejected as the sender's fault", async () => {
    // GIVEN SQS rejects entry 2 (retryable) and entry 4 (sender's fault) of the first batch
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [],
        Failed: [
          { Id: '4', Code: 'InvalidParameterValue', SenderFault: true, Message: 'bad' },
          { Id: '2', Code: 'InternalError', SenderFault: false },
        ],
      })
      .resolves({ Successful: [], Failed: [] });
    // WHEN six events of one connection are replayed
    const result = await sendReplay(new SQSClient({}), 'q', [group(6)], {
      replayId: 'r',
      replayedAt: now,
      retryDelayMs: 1,
    });
    // THEN the retry carries k2 and everything after it except the permanent failure, same dedup ids
    expect(sentKeys()).toEqual([
      ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'],
      ['k2', 'k3', 'k5'],
    ]);
    const dedup = sqs
      .commandCalls(SendMessageBatchCommand)
      .map((c) => c.args[0].input.Entries?.[0]?.MessageDeduplicationId);
    expect(dedup).toEqual(['r:r:k0', 'r:r:k2']);
    expect(result).toEqual({
      sent: 5,
      failed: [{ eventKey: 'k4', eventType: 'connection.updated', reason: 'InvalidParameterValue: bad' }],
    });
  });

  it('fails an entry still rejected after three attempts', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolves({ Failed: [{ Id: '0', Code: 'ServiceUnavailable', SenderFault: false }] });
    const result = await sendReplay(new SQSClient({}), 'q', [group(1)], {
      replayId: 'r',
      replayedAt: now,
      retryDelayMs: 1,
    });
    expect(result.failed).toEqual([
      { eventKey: 'k0', eventType: 'connection.updated', reason: 'ServiceUnavailable' },
    ]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(3);
  });
});
