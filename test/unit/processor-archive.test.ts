/**
 * The processor's archive: which records become archive entries, how a batch's failures are
 * reported, and the two adapters against the SDK's semantics (aws-sdk-client-mock): Firehose's
 * partial failures (`FailedPutCount`, per-record `ErrorCode`), its record and request limits, and
 * S3 for the lines Firehose cannot carry.
 */
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
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
import { archiveHourPrefix, archiveHourPrefixes } from '../../lambda/shared/archive-layout.ts';
import { ConfigurationError } from '../../lambda/shared/config.ts';
import type { ArchivedEvent } from '../../lambda/shared/queue-message.ts';
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

  it('writes nothing for a batch of replayed messages', async () => {
    const writer = new RecordingWriter();
    const record = replayedRecord(sqsRecord({ body: connectionEvent('connection.updated') }));
    expect((await archiveBatch([record], writer, noLog)).size).toBe(0);
    expect(writer.written).toEqual([]);
  });
});

describe('the Firehose archive writer', () => {
  const writer = (oversize: ArchiveWriter = new RecordingWriter()) =>
    new FirehoseArchiveWriter({
      deliveryStreamName: 'archive',
      oversize,
      client: new FirehoseClient({ region: 'us-east-1' }),
      retryDelayMs: 1,
    });

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
