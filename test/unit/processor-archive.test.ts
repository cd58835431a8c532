/**
 * The processor's archive: which records become archive entries, how a batch's failures are
 * reported, and the two adapters against the SDK's semantics (aws-sdk-client-mock): Firehose's
 * partial failures (`FailedPutCount`, per-record `ErrorCode`), its record and request limits, and
 * S3 for the lines Firehose cannot carry.
 */

import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { jest } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import {
  type ArchiveFailure,
  type ArchiveWriter,
  archiveBatch,
  archivedEventOf,
} from '../../lambda/processor/archive.ts';
import {
  archiveWriterFor,
  FirehoseArchiveWriter,
  S3ArchiveWriter,
} from '../../lambda/processor/archive-writers.ts';
import { loadProcessorConfig, loadRecordKeepingConfig } from '../../lambda/processor/config.ts';
import {
  ARCHIVE_ERRORS_PREFIX,
  ARCHIVE_EVENTS_PREFIX,
  archiveHourPrefix,
  archiveHourPrefixes,
  archiveLine,
  FIREHOSE_ERRORS_PREFIX,
  FIREHOSE_EVENTS_PREFIX,
} from '../../lambda/shared/archive-layout.ts';
import { ConfigurationError } from '../../lambda/shared/config.ts';
import { type ArchivedEvent, MESSAGE_ATTRIBUTES } from '../../lambda/shared/queue-message.ts';
import { ARCHIVE } from '../../lambda/shared/resource-definitions.ts';
import { connectionEvent, toSdkShape } from '../fixtures/events.ts';
import { replayedRecord, sqsRecord } from '../fixtures/sqs-events.ts';

const firehose = mockClient(FirehoseClient);
const s3 = mockClient(S3Client);
beforeEach(() => {
  firehose.reset();
  s3.reset();
});

function archived(n: number, bodyBytes = 100): ArchivedEvent {
  return {
    eventKey: `key-${n}`,
    eventType: 'connection.updated',
    connectionId: 'conn_a',
    receivedAt: '2026-01-05T13:45:00.000Z',
    signatureScheme: 'ofauth',
    body: JSON.stringify({ type: 'connection.updated', pad: 'x'.repeat(bodyBytes) }),
  };
}

/** An archived event whose archive line is exactly `lineBytes` bytes long. */
function archivedOfLineBytes(n: number, lineBytes: number): ArchivedEvent {
  const base = Buffer.byteLength(archiveLine(archived(n, 0)));
  return archived(n, lineBytes - base);
}

/** What the mocked Firehose received, as the archive lines of each request. */
function sentLines(): string[][] {
  return firehose
    .commandCalls(PutRecordBatchCommand)
    .map((call) => (call.args[0].input.Records ?? []).map((r) => Buffer.from(r.Data!).toString('utf8')));
}

/** A writer fake that fails the events whose key is in `fail`. */
class RecordingWriter implements ArchiveWriter {
  readonly written: ArchivedEvent[][] = [];
  constructor(private readonly fail: ReadonlySet<string> = new Set()) {}
  async write(events: readonly ArchivedEvent[]): Promise<readonly ArchiveFailure[]> {
    this.written.push([...events]);
    return events.flatMap((event, index) =>
      this.fail.has(event.eventKey) ? [{ index, reason: 'Boom' }] : [],
    );
  }
}

describe('the archive entry of a record', () => {
  it('keeps the raw body, the key, type, connection, event time, receipt, scheme and sequence', () => {
    // GIVEN a record the verifier queued
    const record = sqsRecord({
      body: connectionEvent('connection.created', {
        connectionId: 'conn_x',
        timestamp: '2024-01-15T10:30:00Z',
      }),
      eventKey: 'msg_1',
      receivedAt: '2026-01-05T13:45:00.123Z',
      signatureScheme: 'svix',
      sequenceNumber: '18000000000000000042',
    });
    // WHEN it becomes an archive entry THEN every field a replay needs is there, the body verbatim
    expect(archivedEventOf(record)).toEqual({
      eventKey: 'msg_1',
      eventType: 'connection.created',
      connectionId: 'conn_x',
      eventTime: '2024-01-15T10:30:00.000Z',
      receivedAt: '2026-01-05T13:45:00.123Z',
      signatureScheme: 'svix',
      body: record.body,
      sequenceNumber: '18000000000000000042',
    });
  });

  it('has no event time for an SDK-shaped body, which carries none', () => {
    const record = sqsRecord({ body: toSdkShape(connectionEvent('connection.updated', { timestamp: 'x' })) });
    expect(archivedEventOf(record)).not.toHaveProperty('eventTime');
  });

  it('is not made for a replayed message (the archive holds it already)', () => {
    const original = sqsRecord({ body: connectionEvent('connection.updated') });
    expect(archivedEventOf(replayedRecord(original, '1'))).toBeUndefined();
  });

  it('is not made for a message without the verifier attributes', () => {
    const record = sqsRecord({ body: connectionEvent('connection.updated'), eventKey: null });
    expect(archivedEventOf(record)).toBeUndefined();
  });

  it('is not made for a message whose signature scheme is not one OFAuth uses', () => {
    // GIVEN a message with every verifier attribute, its scheme one the verifier never sets
    const record = sqsRecord({ body: connectionEvent('connection.updated') });
    record.messageAttributes[MESSAGE_ATTRIBUTES.signatureScheme] = {
      dataType: 'String',
      stringValue: 'hmac',
    };
    // WHEN it becomes an archive entry THEN there is none: it is not a verified delivery
    expect(archivedEventOf(record)).toBeUndefined();
  });

  it('keeps a body that is not JSON verbatim, without an event time or a connection', () => {
    // GIVEN a message with the verifier attributes whose body does not parse
    const record = sqsRecord({ body: '{"type":"connection.updated"', eventKey: 'k1', groupId: 'A' });
    record.messageAttributes[MESSAGE_ATTRIBUTES.eventType] = {
      dataType: 'String',
      stringValue: 'connection.updated',
    };
    // WHEN it becomes an archive entry
    const entry = archivedEventOf(record);
    // THEN the body is archived as it came, with what the attributes tell
    expect(entry).toMatchObject({ eventKey: 'k1', eventType: 'connection.updated', body: record.body });
    expect(entry).not.toHaveProperty('eventTime');
    expect(entry).not.toHaveProperty('connectionId');
  });
});

describe('archiving a batch', () => {
  const noLog = { error: () => undefined };

  it('answers the message ids whose write failed, with the reason', async () => {
    // GIVEN three records, the archive failing the second
    const records = [1, 2, 3].map((n) =>
      sqsRecord({ body: connectionEvent('connection.updated'), eventKey: `k${n}`, messageId: `m${n}` }),
    );
    const writer = new RecordingWriter(new Set(['k2']));
    // WHEN the batch is archived
    const failed = await archiveBatch(records, writer, noLog);
    // THEN all three were written in one call and only m2 failed
    expect(writer.written.map((call) => call.map((event) => event.eventKey))).toEqual([['k1', 'k2', 'k3']]);
    expect([...failed]).toEqual([['m2', 'Boom']]);
  });

  it('fails every record when the writer throws', async () => {
    const records = [1, 2].map((n) =>
      sqsRecord({ body: connectionEvent('connection.updated'), messageId: `m${n}` }),
    );
    const writer: ArchiveWriter = {
      write: async () => {
        throw Object.assign(new Error('down'), { name: 'ServiceUnavailableException' });
      },
    };
    const failed = await archiveBatch(records, writer, noLog);
    expect([...failed]).toEqual([
      ['m1', 'ServiceUnavailableException'],
      ['m2', 'ServiceUnavailableException'],
    ]);
  });

  it('logs nothing when every record was archived', async () => {
    // GIVEN a writer that takes everything
    const errors: unknown[] = [];
    const records = [1, 2].map((n) =>
      sqsRecord({ body: connectionEvent('connection.updated'), eventKey: `k${n}` }),
    );
    // WHEN the batch is archived
    const failed = await archiveBatch(records, new RecordingWriter(), {
      error: (...args) => errors.push(args),
    });
    // THEN no record failed and no error was logged
    expect(failed.size).toBe(0);
    expect(errors).toEqual([]);
  });

  it('fails every record, with a reason, when the writer rejects without an error', async () => {
    const records = [sqsRecord({ body: connectionEvent('connection.updated'), messageId: 'm1' })];
    const writer: ArchiveWriter = { write: () => Promise.reject(undefined) };
    const failed = await archiveBatch(records, writer, noLog);
    expect([...failed]).toEqual([['m1', 'undefined']]);
  });

  it('writes nothing for a batch of replayed messages', async () => {
    const writer = new RecordingWriter();
    const record = replayedRecord(sqsRecord({ body: connectionEvent('connection.updated') }));
    expect((await archiveBatch([record], writer, noLog)).size).toBe(0);
    expect(writer.written).toEqual([]);
  });
});

/** A Firehose writer to stream `archive`, retrying after 1 ms, with `oversize` for long lines. */
const firehoseWriter = (oversize: ArchiveWriter = new RecordingWriter()) =>
  new FirehoseArchiveWriter({
    deliveryStreamName: 'archive',
    oversize,
    client: new FirehoseClient({ region: 'us-east-1' }),
    retryDelayMs: 1,
  });

describe('the Firehose archive writer', () => {
  const writer = firehoseWriter;

  it('puts one JSON line per event in one request', async () => {
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0, RequestResponses: [] });
    const events = [archived(1), archived(2)];
    expect(await writer().write(events)).toEqual([]);
    expect(sentLines()).toEqual([events.map((event) => `${JSON.stringify(event)}\n`)]);
    expect(firehose.commandCalls(PutRecordBatchCommand)[0]?.args[0].input.DeliveryStreamName).toBe('archive');
  });

  it('retries only the records Firehose rejected (FailedPutCount, ErrorCode) until they are taken', async () => {
    // GIVEN Firehose throttles the second of three records once
    firehose
      .on(PutRecordBatchCommand)
      .resolvesOnce({
        FailedPutCount: 1,
        RequestResponses: [
          { RecordId: 'a' },
          { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' },
          { RecordId: 'c' },
        ],
      })
      .resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: 'b' }] });
    // WHEN three events are written
    const failures = await writer().write([archived(1), archived(2), archived(3)]);
    // THEN nothing failed, and the retry carried only the rejected record
    expect(failures).toEqual([]);
    expect(sentLines().map((lines) => lines.map((line) => JSON.parse(line).eventKey))).toEqual([
      ['key-1', 'key-2', 'key-3'],
      ['key-2'],
    ]);
  });

  it('fails a record Firehose rejects on every attempt, by its index and error code', async () => {
    firehose.on(PutRecordBatchCommand).callsFake((input: { Records: unknown[] }) => ({
      FailedPutCount: 1,
      RequestResponses: input.Records.map((_, i) =>
        i === input.Records.length - 1 ? { ErrorCode: 'InternalFailure' } : { RecordId: `r${i}` },
      ),
    }));
    const failures = await writer().write([archived(1), archived(2)]);
    expect(failures).toEqual([{ index: 1, reason: 'InternalFailure' }]);
    expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(3);
  });

  it('fails every record of a request that failed as a whole', async () => {
    firehose
      .on(PutRecordBatchCommand)
      .rejects(Object.assign(new Error('gone'), { name: 'ResourceNotFoundException' }));
    expect(await writer().write([archived(1), archived(2)])).toEqual([
      { index: 0, reason: 'ResourceNotFoundException' },
      { index: 1, reason: 'ResourceNotFoundException' },
    ]);
  });

  it('sends a line longer than a Firehose record to the oversize writer, and maps its failures back', async () => {
    // GIVEN a 1 MiB body between two small ones, and an oversize writer that fails it
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0 });
    const big = archived(2, 1024 * 1024 - 200);
    const oversize = new RecordingWriter(new Set([big.eventKey]));
    // WHEN the three are written
    const failures = await writer(oversize).write([archived(1), big, archived(3)]);
    // THEN the big one went to the oversize writer, the others to Firehose, and its failure keeps its index
    expect(Buffer.byteLength(`${JSON.stringify(big)}\n`)).toBeGreaterThan(ARCHIVE.maxFirehoseRecordBytes);
    expect(oversize.written).toEqual([[big]]);
    expect(sentLines().map((lines) => lines.map((line) => JSON.parse(line).eventKey))).toEqual([
      ['key-1', 'key-3'],
    ]);
    expect(failures).toEqual([{ index: 1, reason: 'Boom' }]);
  });

  it('splits requests at 500 records and at 4 MiB, keeping the order', async () => {
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0 });
    // 600 small events: 500 + 100
    await writer().write(Array.from({ length: 600 }, (_, n) => archived(n)));
    expect(sentLines().map((lines) => lines.length)).toEqual([500, 100]);
    firehose.resetHistory();
    // 6 events of ~900 KB: at most 4 per 4 MiB request
    await writer().write(Array.from({ length: 6 }, (_, n) => archived(n, 900_000)));
    const requests = sentLines();
    expect(requests.map((lines) => lines.length)).toEqual([4, 2]);
    for (const lines of requests) {
      expect(lines.reduce((sum, line) => sum + Buffer.byteLength(line), 0)).toBeLessThanOrEqual(
        ARCHIVE.maxBatchBytes,
      );
    }
    expect(requests.flat().map((line) => JSON.parse(line).eventKey)).toEqual(
      Array.from({ length: 6 }, (_, n) => `key-${n}`),
    );
  });
});

describe('the Firehose archive writer at its limits', () => {
  const writer = firehoseWriter;
  afterEach(() => {
    jest.useRealTimers();
  });

  it('puts a line of exactly a Firehose record (1,000 KiB) into Firehose, not the oversize writer', async () => {
    // GIVEN a line at Firehose's record limit, which Firehose takes
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0 });
    const oversize = new RecordingWriter();
    const event = archivedOfLineBytes(1, ARCHIVE.maxFirehoseRecordBytes);
    // WHEN it is written
    const failures = await writer(oversize).write([event]);
    // THEN Firehose got it, and the oversize writer was not asked
    expect(failures).toEqual([]);
    expect(sentLines().map((lines) => lines.map((line) => Buffer.byteLength(line)))).toEqual([
      [ARCHIVE.maxFirehoseRecordBytes],
    ]);
    expect(oversize.written).toEqual([]);
  });

  it('sends a line one byte over 1,000 KiB, Firehose’s largest record, to the oversize writer', async () => {
    // GIVEN a line Firehose would refuse (its documented record limit, written out here on purpose)
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0 });
    const oversize = new RecordingWriter();
    const event = archivedOfLineBytes(1, 1000 * 1024 + 1);
    // WHEN it is written THEN it goes to the oversize writer, and Firehose is not asked
    expect(await writer(oversize).write([event])).toEqual([]);
    expect(oversize.written).toEqual([[event]]);
    expect(firehose.commandCalls(PutRecordBatchCommand)).toEqual([]);
  });

  it('fills a request up to exactly 4 MiB', async () => {
    // GIVEN five lines that add up to exactly PutRecordBatch's 4 MiB
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0 });
    const events = [
      ...[0, 1, 2, 3].map((n) => archivedOfLineBytes(n, 1_000_000)),
      archivedOfLineBytes(4, ARCHIVE.maxBatchBytes - 4_000_000),
    ];
    // WHEN they are written THEN one request carries all five
    expect(await writer().write(events)).toEqual([]);
    expect(sentLines().map((lines) => lines.length)).toEqual([5]);
  });

  it('fails the long lines, with the reason, when the oversize writer throws', async () => {
    // GIVEN an oversize writer that throws, once with an error and once with nothing
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0 });
    const big = archived(2, 1024 * 1024);
    const throwing = (reason: unknown): ArchiveWriter => ({ write: () => Promise.reject(reason) });
    const error = Object.assign(new Error('no'), { name: 'NoSuchBucket' });
    // WHEN a small and a big event are written THEN only the big one fails, by its index
    expect(await writer(throwing(error)).write([archived(1), big])).toEqual([
      { index: 1, reason: 'NoSuchBucket' },
    ]);
    expect(await writer(throwing(undefined)).write([big])).toEqual([{ index: 0, reason: 'undefined' }]);
    expect(
      sentLines()
        .flat()
        .map((line) => JSON.parse(line).eventKey),
    ).toEqual(['key-1']);
  });

  it('asks the oversize writer nothing when every line fits a Firehose record', async () => {
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0 });
    const oversize = new RecordingWriter();
    await writer(oversize).write([archived(1)]);
    expect(oversize.written).toEqual([]);
  });

  it('retries, then fails as NoRecordId, a record Firehose answers neither taken nor rejected', async () => {
    // GIVEN Firehose reports a failure without listing the records (no RequestResponses), then an
    // entry with neither a RecordId nor an ErrorCode
    firehose
      .on(PutRecordBatchCommand)
      .resolvesOnce({ FailedPutCount: 1 })
      .resolves({ FailedPutCount: 1, RequestResponses: [{}] });
    // WHEN an event is written
    const failures = await writer().write([archived(1)]);
    // THEN every attempt was made, and the record failed: it was never confirmed
    expect(failures).toEqual([{ index: 0, reason: 'NoRecordId' }]);
    expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(3);
  });

  it('waits 100 ms before the first retry and doubles the wait for each next one', async () => {
    // GIVEN a writer with the default retry delay, and Firehose rejecting the record every time
    jest.useFakeTimers();
    firehose.on(PutRecordBatchCommand).resolves({
      FailedPutCount: 1,
      RequestResponses: [{ ErrorCode: 'ServiceUnavailableException' }],
    });
    const defaults = new FirehoseArchiveWriter({
      deliveryStreamName: 'archive',
      oversize: new RecordingWriter(),
      client: new FirehoseClient({ region: 'us-east-1' }),
    });
    const calls = () => firehose.commandCalls(PutRecordBatchCommand).length;
    // WHEN an event is written
    const written = defaults.write([archived(1)]);
    // THEN the first attempt goes at once, the second after 100 ms, the third 200 ms later
    await jest.advanceTimersByTimeAsync(0);
    expect(calls()).toBe(1);
    await jest.advanceTimersByTimeAsync(99);
    expect(calls()).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(calls()).toBe(2);
    await jest.advanceTimersByTimeAsync(199);
    expect(calls()).toBe(2);
    await jest.advanceTimersByTimeAsync(1);
    expect(calls()).toBe(3);
    expect(await written).toEqual([{ index: 0, reason: 'ServiceUnavailableException' }]);
  });
});

describe('the S3 archive writer', () => {
  it('writes one object of JSON lines under the hour prefix of the write', async () => {
    s3.on(PutObjectCommand).resolves({});
    const at = new Date('2026-01-05T13:45:12.345Z');
    const writer = new S3ArchiveWriter({
      bucketName: 'archive-bucket',
      client: new S3Client({ region: 'us-east-1' }),
      clock: () => at,
    });
    const events = [archived(1), archived(2)];
    expect(await writer.write(events)).toEqual([]);
    const input = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(input.Bucket).toBe('archive-bucket');
    expect(input.Key).toMatch(/^events\/2026\/01\/05\/13\/direct-20260105T134512345Z-[0-9a-f-]{36}\.jsonl$/);
    expect(input.Body).toBe(events.map((event) => `${JSON.stringify(event)}\n`).join(''));
    expect(input.ContentType).toBe('application/x-ndjson');
  });

  it('writes nothing for no events', async () => {
    s3.on(PutObjectCommand).resolves({});
    const writer = new S3ArchiveWriter({
      bucketName: 'archive-bucket',
      client: new S3Client({ region: 'us-east-1' }),
    });
    expect(await writer.write([])).toEqual([]);
    expect(s3.commandCalls(PutObjectCommand)).toEqual([]);
  });

  it('writes with a client and clock of its own when given none', async () => {
    // GIVEN a writer given only its bucket
    s3.on(PutObjectCommand).resolves({});
    const writer = new S3ArchiveWriter({ bucketName: 'archive-bucket' });
    // WHEN it writes THEN the object lands under the current hour
    const before = new Date();
    expect(await writer.write([archived(1)])).toEqual([]);
    const input = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(input.Bucket).toBe('archive-bucket');
    expect([archiveHourPrefix(before), archiveHourPrefix(new Date())]).toContain(
      input.Key?.slice(0, 'events/yyyy/MM/dd/HH/'.length),
    );
  });

  it('fails (throws) when S3 does', async () => {
    s3.on(PutObjectCommand).rejects(Object.assign(new Error('no'), { name: 'NoSuchBucket' }));
    const writer = new S3ArchiveWriter({ bucketName: 'gone', client: new S3Client({ region: 'us-east-1' }) });
    await expect(writer.write([archived(1)])).rejects.toThrow('no');
  });
});

describe('the archive layout', () => {
  it('names hour prefixes in UTC', () => {
    expect(archiveHourPrefix(new Date('2026-12-31T23:59:59.999Z'))).toBe('events/2026/12/31/23/');
  });

  it('gives Firehose prefixes that put events where the reader looks, and its errors apart', () => {
    // GIVEN Firehose's prefix expressions, filled in as Firehose does for an arrival time
    const at = new Date('2026-01-05T13:45:12Z');
    const fill = (expression: string) =>
      expression
        .replace('!{timestamp:yyyy/MM/dd/HH}', '2026/01/05/13')
        .replace('!{firehose:error-output-type}', 'processing-failed');
    // THEN events land under the hour prefix the replay reads, errors under their own prefix
    expect(fill(FIREHOSE_EVENTS_PREFIX)).toBe(archiveHourPrefix(at));
    expect(fill(FIREHOSE_ERRORS_PREFIX)).toBe('errors/processing-failed/2026/01/05/13/');
    expect(ARCHIVE_ERRORS_PREFIX).not.toBe(ARCHIVE_EVENTS_PREFIX);
    expect(fill(FIREHOSE_ERRORS_PREFIX).startsWith(ARCHIVE_EVENTS_PREFIX)).toBe(false);
  });

  it('lists every hour of a window, both ends included', () => {
    expect(archiveHourPrefixes(new Date('2026-01-05T22:30:00Z'), new Date('2026-01-06T01:00:00Z'))).toEqual([
      'events/2026/01/05/22/',
      'events/2026/01/05/23/',
      'events/2026/01/06/00/',
      'events/2026/01/06/01/',
    ]);
  });
});

describe('the archive and record configuration', () => {
  const base = { CONNECTIONS_TABLE_NAME: 'connections' };

  it('switches each part off when its variables are unset', () => {
    expect(loadProcessorConfig(base)).toEqual({
      connectionsTableName: 'connections',
      archiveS3ForcePathStyle: false,
      processedEventTtlSeconds: 72 * 3600,
    });
    expect(archiveWriterFor(loadRecordKeepingConfig({}))).toBeUndefined();
  });

  it('archives through Firehose (S3 for long lines) when a stream is named, through S3 alone otherwise', () => {
    const deployed = loadRecordKeepingConfig({
      ARCHIVE_BUCKET_NAME: 'bucket',
      ARCHIVE_STREAM_NAME: 'stream',
      PROCESSED_EVENTS_TABLE_NAME: 'processed',
      PROCESSED_EVENT_TTL_SECONDS: '345600',
    });
    expect(deployed).toEqual({
      archiveBucketName: 'bucket',
      archiveStreamName: 'stream',
      archiveS3ForcePathStyle: false,
      processedEventsTableName: 'processed',
      processedEventTtlSeconds: 345600,
    });
    expect(archiveWriterFor(deployed)).toBeInstanceOf(FirehoseArchiveWriter);
    expect(archiveWriterFor(loadRecordKeepingConfig({ ARCHIVE_BUCKET_NAME: 'b' }))).toBeInstanceOf(
      S3ArchiveWriter,
    );
  });

  it('archives into the named stream, and long lines into the named bucket', async () => {
    // GIVEN the deployed configuration: a stream and a bucket
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0 });
    s3.on(PutObjectCommand).resolves({});
    const writer = archiveWriterFor(
      loadRecordKeepingConfig({ ARCHIVE_BUCKET_NAME: 'bucket', ARCHIVE_STREAM_NAME: 'stream' }),
    );
    // WHEN a small and a long event are written
    const failures = await writer!.write([archived(1), archived(2, 1024 * 1024)]);
    // THEN the small one went to the stream and the long one to the bucket
    expect(failures).toEqual([]);
    expect(
      firehose.commandCalls(PutRecordBatchCommand).map((call) => call.args[0].input.DeliveryStreamName),
    ).toEqual(['stream']);
    expect(s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Bucket)).toEqual(['bucket']);
  });

  it('rejects a stream without a bucket, and a TTL that is not a positive integer', () => {
    expect(() => loadRecordKeepingConfig({ ARCHIVE_STREAM_NAME: 'stream' })).toThrow(ConfigurationError);
    expect(() => loadRecordKeepingConfig({ ARCHIVE_STREAM_NAME: 'stream' })).toThrow(
      'environment variable ARCHIVE_BUCKET_NAME is required with ARCHIVE_STREAM_NAME ("stream")',
    );
    expect(() => loadRecordKeepingConfig({ PROCESSED_EVENT_TTL_SECONDS: '-5' })).toThrow(
      'environment variable PROCESSED_EVENT_TTL_SECONDS must be a positive integer, got "-5"',
    );
  });
});
