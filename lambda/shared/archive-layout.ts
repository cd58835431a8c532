/**
 * How the archive lays out events in its S3 bucket, shared by the writers (the processor, through
 * Firehose or S3) and the reader (`replay` in the CLI), so that both agree on every byte.
 *
 * Objects hold JSON lines, one {@link ArchivedEvent} per line, under
 * `events/yyyy/MM/dd/HH/` where the hour (UTC) is when the event was archived, i.e. when the
 * processor first received it: at or after its `receivedAt`, later by the time it waited on the
 * queue. Firehose names its objects itself; direct writes are named `direct-…`.
 */
import type { ArchivedEvent } from './queue-message.ts';

/** The prefix of every archived event's object. */
export const ARCHIVE_EVENTS_PREFIX = 'events/';

/**
 * Where Firehose puts records whose Lambda transformation or format conversion failed (with the
 * error type in the path). The archive stream has neither, so nothing is written here: a record
 * Firehose could not deliver to S3 within 24 hours is dropped, not parked.
 */
export const ARCHIVE_ERRORS_PREFIX = 'errors/';

/** Firehose's `Prefix` expression that yields {@link archiveHourPrefix} for its arrival time. */
export const FIREHOSE_EVENTS_PREFIX = `${ARCHIVE_EVENTS_PREFIX}!{timestamp:yyyy/MM/dd/HH}/`;

/** Firehose's `ErrorOutputPrefix` expression. */
export const FIREHOSE_ERRORS_PREFIX = `${ARCHIVE_ERRORS_PREFIX}!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/`;

const HOUR_MS = 3_600_000;
const two = (value: number) => String(value).padStart(2, '0');

/** The prefix of the objects archived in the UTC hour of `at`, e.g. `events/2026/01/05/13/`. */
export function archiveHourPrefix(at: Date): string {
  return `${ARCHIVE_EVENTS_PREFIX}${at.getUTCFullYear()}/${two(at.getUTCMonth() + 1)}/${two(at.getUTCDate())}/${two(at.getUTCHours())}/`;
}

/** The hour prefixes from the hour of `from` to the hour of `to`, both included, oldest first. */
export function archiveHourPrefixes(from: Date, to: Date): string[] {
  const prefixes: string[] = [];
  for (let hour = Math.floor(from.getTime() / HOUR_MS); hour <= Math.floor(to.getTime() / HOUR_MS); hour++) {
    prefixes.push(archiveHourPrefix(new Date(hour * HOUR_MS)));
  }
  return prefixes;
}

/** One archived event as one line of an archive object (the newline included). */
export function archiveLine(event: ArchivedEvent): string {
  return `${JSON.stringify(event)}\n`;
}
