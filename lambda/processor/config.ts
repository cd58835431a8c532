/**
 * The processor's configuration, read once from the environment at start-up.
 */
import { ConfigurationError, intEnv, optionalEnv, requireEnv } from '../shared/config.ts';
import { PROCESSOR_ENVIRONMENT as P } from '../shared/deployment-names.ts';
import { LEDGER_TABLE } from '../shared/resource-definitions.ts';

/** What the processor needs from its environment. */
export interface ProcessorConfig extends RecordKeepingConfig {
  /** The connections table (connection registry and latest Dynamic Rules). */
  readonly connectionsTableName: string;
}

/** Where the processor keeps its records of events: the archive and the processed-events record. */
export interface RecordKeepingConfig {
  /** The archive bucket (`ARCHIVE_BUCKET_NAME`); absent when the archive is switched off. */
  readonly archiveBucketName?: string;
  /**
   * The Firehose stream that writes the archive (`ARCHIVE_STREAM_NAME`); absent locally, where
   * the processor writes to the bucket directly.
   */
  readonly archiveStreamName?: string;
  /** `ARCHIVE_S3_FORCE_PATH_STYLE=true`: path-style S3 URLs, as the local S3 emulator needs. */
  readonly archiveS3ForcePathStyle: boolean;
  /** The processed-events table (`PROCESSED_EVENTS_TABLE_NAME`); absent when the record is off. */
  readonly processedEventsTableName?: string;
  /** How long a processed event key is remembered (`PROCESSED_EVENT_TTL_SECONDS`). @default the ledger's, 72 h */
  readonly processedEventTtlSeconds: number;
}

/**
 * Reads the processor's environment, failing fast when `CONNECTIONS_TABLE_NAME` is missing.
 *
 * @example
 * const { connectionsTableName } = loadProcessorConfig();
 */
export function loadProcessorConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ProcessorConfig {
  return { connectionsTableName: requireEnv(P.connectionsTableName, env), ...loadRecordKeepingConfig(env) };
}

/**
 * Reads the archive's and the processed-events record's variables; each one that is unset
 * switches its part off.
 *
 * @throws {ConfigurationError} when `ARCHIVE_STREAM_NAME` is set without `ARCHIVE_BUCKET_NAME`
 *   (the bucket takes what Firehose cannot)
 */
export function loadRecordKeepingConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): RecordKeepingConfig {
  const optional = (name: string) => optionalEnv(name, '', env) || undefined;
  const archiveBucketName = optional(P.archiveBucketName);
  const archiveStreamName = optional(P.archiveStreamName);
  const processedEventsTableName = optional(P.processedEventsTableName);
  if (archiveStreamName && !archiveBucketName) {
    throw new ConfigurationError(
      `environment variable ${P.archiveBucketName} is required with ${P.archiveStreamName} ("${archiveStreamName}")`,
    );
  }
  return {
    ...(archiveBucketName && { archiveBucketName }),
    ...(archiveStreamName && { archiveStreamName }),
    archiveS3ForcePathStyle: optional(P.archiveS3ForcePathStyle) === 'true',
    ...(processedEventsTableName && { processedEventsTableName }),
    processedEventTtlSeconds: intEnv(P.processedEventTtlSeconds, LEDGER_TABLE.defaultRecordTtlSeconds, env),
  };
}

/**
 * The dead-letter queue the processor puts poison messages on (`DEAD_LETTER_QUEUE_URL`), or
 * `undefined` when unset: such messages then fail and are retried until SQS moves them.
 */
export function loadDeadLetterQueueUrl(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  return env[P.deadLetterQueueUrl]?.trim() || undefined;
}

/**
 * The event queue's `maxReceiveCount` (`MAX_RECEIVE_COUNT`), or `undefined` when unset: then no
 * failed attempt is known to be the last, and the record of an event SQS moved does not say so.
 *
 * @throws {ConfigurationError} when it is set but not a positive integer
 */
export function loadMaxReceiveCount(
  env: Readonly<Record<string, string | undefined>> = process.env,
): number | undefined {
  const value = env[P.maxReceiveCount]?.trim();
  if (!value) return undefined;
  const count = Number(value);
  if (!(Number.isInteger(count) && count > 0)) {
    throw new ConfigurationError(
      `environment variable ${P.maxReceiveCount} must be a positive integer, got "${value}"`,
    );
  }
  return count;
}

let cached: ProcessorConfig | undefined;

/** The process environment's configuration, read on first use and kept. */
export function getProcessorConfig(): ProcessorConfig {
  cached ??= loadProcessorConfig();
  return cached;
}
