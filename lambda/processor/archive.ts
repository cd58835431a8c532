/**
 * Archiving each batch before its handlers run, so that an event whose handler later fails (or
 * that a bug mis-processes) is still archived and can be replayed.
 *
 * The archive must never make ingest fail: the verifier does not know about it. A record the
 * archive could not take is reported as a batch item failure before its handler runs, so the
 * queue keeps it and delivers it again later, in order; its handler runs once, after it is
 * archived. Replayed messages are not archived again: the archive already holds them.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSRecord } from 'aws-lambda';
import { parseEnvelope } from '../shared/event-model.ts';
import {
  type ArchivedEvent,
  MESSAGE_ATTRIBUTES,
  REPLAY_ATTRIBUTES,
  type SignatureScheme,
} from '../shared/queue-message.ts';

/** One event the archive did not take, by its index in the written list. */
export interface ArchiveFailure {
  readonly index: number;
  /** Why, e.g. an SDK error name or Firehose's `ErrorCode`. */
  readonly reason: string;
}

/** The port the processor archives through; adapters in `archive-writers.ts`. */
export interface ArchiveWriter {
  /**
   * Archives the events durably and answers which ones it could not archive (none: an empty
   * list). Throwing means none of them was archived.
   */
  write(events: readonly ArchivedEvent[]): Promise<readonly ArchiveFailure[]>;
}

/** Thrown for a record whose archive write failed, so that it is retried instead of handled. */
export class ArchiveWriteError extends Error {
  constructor(messageId: string, reason: string) {
    super(`the event of message ${messageId} could not be archived (${reason}); it will be retried`);
    this.name = 'ArchiveWriteError';
  }
}

const readAttribute = (record: SQSRecord, name: string) => record.messageAttributes?.[name]?.stringValue;

/**
 * The archive entry of a record the verifier queued, or `undefined` for a replayed message (the
 * archive holds it already) and for a message without the verifier's attributes (not a verified
 * delivery).
 */
export function archivedEventOf(record: SQSRecord): ArchivedEvent | undefined {
  if (readAttribute(record, REPLAY_ATTRIBUTES.replay) === 'true') return undefined;
  const eventKey = readAttribute(record, MESSAGE_ATTRIBUTES.eventKey);
  const eventType = readAttribute(record, MESSAGE_ATTRIBUTES.eventType);
  const receivedAt = readAttribute(record, MESSAGE_ATTRIBUTES.receivedAt);
  const scheme = readAttribute(record, MESSAGE_ATTRIBUTES.signatureScheme);
  if (!eventKey || !eventType || !receivedAt || (scheme !== 'ofauth' && scheme !== 'svix')) return undefined;
  const parsed = parseEnvelope(record.body);
  const envelope = parsed.ok ? parsed.envelope : undefined;
  const eventTime = envelope?.timestamp ? Date.parse(envelope.timestamp) : Number.NaN;
  return {
    eventKey,
    eventType,
    ...(envelope?.connectionId !== undefined && { connectionId: envelope.connectionId }),
    ...(!Number.isNaN(eventTime) && { eventTime: new Date(eventTime).toISOString() }),
    receivedAt,
    signatureScheme: scheme satisfies SignatureScheme,
    body: record.body,
    ...(record.attributes?.SequenceNumber && { sequenceNumber: record.attributes.SequenceNumber }),
  };
}

/**
 * Archives the batch's records and answers the message ids whose archive write failed (their
 * handlers must not run now). Failures are logged here; the caller counts them.
 */
export async function archiveBatch(
  records: readonly SQSRecord[],
  writer: ArchiveWriter,
  logger: Pick<Logger, 'error'>,
): Promise<Map<string, string>> {
  const entries = records.flatMap((record) => {
    const event = archivedEventOf(record);
    return event ? [{ messageId: record.messageId, event }] : [];
  });
  const failed = new Map<string, string>();
  if (entries.length === 0) return failed;
  let failures: readonly ArchiveFailure[];
  try {
    failures = await writer.write(entries.map((entry) => entry.event));
  } catch (error) {
    const reason = (error as Error)?.name || String(error);
    failures = entries.map((_, index) => ({ index, reason }));
  }
  for (const { index, reason } of failures) {
    const entry = entries[index];
    if (entry) failed.set(entry.messageId, reason);
  }
  if (failed.size > 0) {
    logger.error('archive write failed; these events will be retried before their handlers run', {
      failed: failures.map(({ index, reason }) => ({ eventId: entries[index]?.event.eventKey, reason })),
    });
  }
  return failed;
}
