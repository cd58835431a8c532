/**
 * The adapters of the {@link ArchiveWriter} port.
 *
 * - {@link FirehoseArchiveWriter} (deployed): one `PutRecordBatch` per batch into a Kinesis Data
 *   Firehose stream that buffers records into S3 objects (about $0.15 per million 2 KB events;
 *   docs/archive-and-replay.md). Records Firehose rejects one by one (throttling, internal errors)
 *   are retried; a line longer than Firehose's 1,000 KiB record goes to S3 directly.
 * - {@link S3ArchiveWriter}: one `PutObject` per call, in the same layout. Locally it is the whole
 *   archive (fauxqs emulates S3; there is no Firehose emulator); deployed it takes the long lines.
 */
import { randomUUID } from 'node:crypto';
import {
  FirehoseClient,
  PutRecordBatchCommand,
  type PutRecordBatchResponseEntry,
} from '@aws-sdk/client-firehose';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { archiveHourPrefix, archiveLine } from '../shared/archive-layout.ts';
import type { ArchivedEvent } from '../shared/queue-message.ts';
import { ARCHIVE } from '../shared/resource-definitions.ts';
import type { ArchiveFailure, ArchiveWriter } from './archive.ts';
import type { RecordKeepingConfig } from './config.ts';

/**
 * Timeouts and retries of the archive clients: an unreachable archive costs a batch at most about
 * 2 × (0.5 + 3) s of the processor's 30 s before its records are handed back to the queue.
 */
export function archiveClientConfig() {
  return {
    maxAttempts: 2,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 500,
      requestTimeout: 3000,
      throwOnRequestTimeout: true,
    }),
  };
}

/**
 * `@aws-sdk/client-s3`, loaded on first use. Deployed, S3 takes only the rare line longer than a
 * Firehose record, so the client (about 100 KB of the bundle) is not evaluated at cold start; esbuild
 * keeps it in the one bundle file behind a lazy initializer (docs/performance.md measures both).
 */
const loadS3 = () => import('./s3-put-object.ts');

/** Options of {@link S3ArchiveWriter}. */
export interface S3ArchiveWriterOptions {
  readonly bucketName: string;
  /** @default an S3Client of `clientConfig`, created on the first write */
  readonly client?: S3Client;
  /** The configuration of the client created on the first write. @default {@link archiveClientConfig} */
  readonly clientConfig?: S3ClientConfig;
  /** @default () => new Date() */
  readonly clock?: () => Date;
}

/** Writes each call's events as one object of JSON lines under the current hour's prefix. */
export class S3ArchiveWriter implements ArchiveWriter {
  readonly #bucketName: string;
  readonly #clientConfig: S3ClientConfig;
  #client: S3Client | undefined;
  readonly #clock: () => Date;

  constructor(options: S3ArchiveWriterOptions) {
    this.#bucketName = options.bucketName;
    this.#client = options.client;
    this.#clientConfig = options.clientConfig ?? archiveClientConfig();
    this.#clock = options.clock ?? (() => new Date());
  }

  async write(events: readonly ArchivedEvent[]): Promise<readonly ArchiveFailure[]> {
    if (events.length === 0) return [];
    const { PutObjectCommand, S3Client } = await loadS3();
    this.#client ??= new S3Client(this.#clientConfig);
    const now = this.#clock();
    const stamp = now.toISOString().replace(/[-:.]/g, '');
    await this.#client.send(
      new PutObjectCommand({
        Bucket: this.#bucketName,
        Key: `${archiveHourPrefix(now)}direct-${stamp}-${randomUUID()}.jsonl`,
        Body: events.map(archiveLine).join(''),
        ContentType: 'application/x-ndjson',
      }),
    );
    return [];
  }
}

/** Options of {@link FirehoseArchiveWriter}. */
export interface FirehoseArchiveWriterOptions {
  readonly deliveryStreamName: string;
  /** Takes the lines longer than Firehose's record limit. */
  readonly oversize: ArchiveWriter;
  /** @default a FirehoseClient with {@link archiveClientConfig} */
  readonly client?: FirehoseClient;
  /** Attempts for records Firehose rejects one by one, the first included. @default 3 */
  readonly attempts?: number;
  /** Wait before the first retry, doubled for each next one. @default 100 */
  readonly retryDelayMs?: number;
}

interface Line {
  readonly index: number;
  readonly data: Uint8Array;
}

/** Archives through `PutRecordBatch`, one record (one JSON line) per event. */
export class FirehoseArchiveWriter implements ArchiveWriter {
  readonly #streamName: string;
  readonly #oversize: ArchiveWriter;
  readonly #client: FirehoseClient;
  readonly #attempts: number;
  readonly #retryDelayMs: number;

  constructor(options: FirehoseArchiveWriterOptions) {
    this.#streamName = options.deliveryStreamName;
    this.#oversize = options.oversize;
    this.#client = options.client ?? new FirehoseClient(archiveClientConfig());
    this.#attempts = Math.max(1, options.attempts ?? 3);
    this.#retryDelayMs = options.retryDelayMs ?? 100;
  }

  async write(events: readonly ArchivedEvent[]): Promise<readonly ArchiveFailure[]> {
    const lines = events.map((event, index) => ({ index, data: Buffer.from(archiveLine(event)) }));
    const long = lines.filter((line) => line.data.byteLength > ARCHIVE.maxFirehoseRecordBytes);
    const short = lines.filter((line) => line.data.byteLength <= ARCHIVE.maxFirehoseRecordBytes);
    const results = await Promise.all([
      this.#writeOversize(long, events),
      ...chunks(short).map((chunk) => this.#put(chunk)),
    ]);
    return results.flat();
  }

  async #writeOversize(long: readonly Line[], events: readonly ArchivedEvent[]): Promise<ArchiveFailure[]> {
    if (long.length === 0) return [];
    try {
      const failures = await this.#oversize.write(long.map((line) => events[line.index]!));
      return failures.map(({ index, reason }) => ({ index: long[index]!.index, reason }));
    } catch (error) {
      return long.map((line) => ({ index: line.index, reason: errorName(error) }));
    }
  }

  /** Puts one request's records, retrying those Firehose rejected; answers the ones still rejected. */
  async #put(chunk: readonly Line[]): Promise<ArchiveFailure[]> {
    let pending: Array<Line & { reason?: string }> = [...chunk];
    for (let attempt = 1; attempt <= this.#attempts && pending.length > 0; attempt++) {
      if (attempt > 1) await sleep(this.#retryDelayMs * 2 ** (attempt - 2));
      let responses: readonly PutRecordBatchResponseEntry[];
      try {
        responses = await this.#send(pending);
      } catch (error) {
        // The SDK has already retried what it could: the whole request failed.
        return pending.map((line) => ({ index: line.index, reason: errorName(error) }));
      }
      pending = pending.flatMap((line, i) => {
        const code = responses[i]?.ErrorCode;
        return code || !responses[i]?.RecordId ? [{ ...line, reason: code ?? 'NoRecordId' }] : [];
      });
    }
    return pending.map((line) => ({ index: line.index, reason: line.reason ?? 'Unknown' }));
  }

  /** One `PutRecordBatch`; answers one response entry per line, all successes when none failed. */
  async #send(lines: readonly Line[]): Promise<readonly PutRecordBatchResponseEntry[]> {
    const result = await this.#client.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: this.#streamName,
        Records: lines.map((line) => ({ Data: line.data })),
      }),
    );
    if (!result.FailedPutCount) return lines.map(() => ({ RecordId: 'ok' }));
    return result.RequestResponses ?? [];
  }
}

/** Splits lines into `PutRecordBatch` requests within its record and byte limits, in order. */
function chunks(lines: readonly Line[]): Line[][] {
  const result: Line[][] = [];
  let current: Line[] = [];
  let bytes = 0;
  for (const line of lines) {
    const full =
      current.length === ARCHIVE.maxBatchRecords || bytes + line.data.byteLength > ARCHIVE.maxBatchBytes;
    if (full && current.length > 0) {
      result.push(current);
      current = [];
      bytes = 0;
    }
    current.push(line);
    bytes += line.data.byteLength;
  }
  if (current.length > 0) result.push(current);
  return result;
}

function errorName(error: unknown): string {
  return (error as Error)?.name || String(error);
}

const sleep = (ms: number) => new Promise<void>((wake) => setTimeout(wake, ms));

/**
 * The archive writer the configuration asks for: Firehose (S3 for long lines) when a stream is
 * named, S3 alone when only a bucket is (the local pipeline), none when the archive is off.
 */
export function archiveWriterFor(config: RecordKeepingConfig): ArchiveWriter | undefined {
  if (!config.archiveBucketName) return undefined;
  const s3 = new S3ArchiveWriter({
    bucketName: config.archiveBucketName,
    clientConfig: { ...archiveClientConfig(), forcePathStyle: config.archiveS3ForcePathStyle },
  });
  return config.archiveStreamName
    ? new FirehoseArchiveWriter({ deliveryStreamName: config.archiveStreamName, oversize: s3 })
    : s3;
}
