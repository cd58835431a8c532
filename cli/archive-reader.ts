/**
 * Reading the event archive back for `replay`: the same S3 code against the deployed bucket and
 * against fauxqs's S3 locally. Objects are listed hour by hour (`lambda/shared/archive-layout.ts`),
 * read, filtered by receipt time, type, connection and event id, and deduplicated by event key (a
 * batch that was retried is archived again).
 */
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod/mini';
import { archiveHourPrefixes } from '../lambda/shared/archive-layout.ts';
import { type ArchivedEvent, messageGroupIdFor } from '../lambda/shared/queue-message.ts';

/**
 * How far before `--since` the listing starts: the processor archives an event after its
 * `receivedAt` (never before), but the verifier's and Firehose's clocks may differ a little.
 */
const CLOCK_SKEW_MS = 15 * 60_000;

/** Objects read at once. */
const READ_CONCURRENCY = 8;

/** Which archived events to read. */
export interface ArchiveQuery {
  /** Received at or after this time. */
  readonly since: Date;
  /** Received before this time. */
  readonly until: Date;
  /**
   * How long after `until` an event of the window may have been archived: the time it waited on
   * the queue before the processor first received it (a backlog, a blocked connection).
   */
  readonly maxQueueDelayMs: number;
  /** Only these types, when given. */
  readonly types?: ReadonlySet<string>;
  /** Only these connection ids, when given. */
  readonly connections?: ReadonlySet<string>;
  /** Only these event keys, when given. */
  readonly eventIds?: ReadonlySet<string>;
  /** @default new Date() */
  readonly now?: Date;
}

/** What {@link readArchive} found. */
export interface ArchiveReadResult {
  /** The selected events, each once, in no particular order. */
  readonly events: ArchivedEvent[];
  /** Objects read. */
  readonly objects: number;
  /** Lines that were not archived events (reported, never replayed). */
  readonly invalidLines: number;
}

/** Reads the selected events of an archive bucket. */
export async function readArchive(
  s3: S3Client,
  bucket: string,
  query: ArchiveQuery,
): Promise<ArchiveReadResult> {
  const now = query.now ?? new Date();
  const lastArchived = Math.min(now.getTime(), query.until.getTime() + query.maxQueueDelayMs);
  const prefixes = archiveHourPrefixes(
    new Date(query.since.getTime() - CLOCK_SKEW_MS),
    new Date(lastArchived),
  );
  const keys: string[] = [];
  for (const prefix of prefixes) {
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    }
  }
  const selected = new Map<string, ArchivedEvent>();
  let invalidLines = 0;
  await forEachConcurrently(keys, READ_CONCURRENCY, async (key) => {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const parsed = parseArchiveObject((await object.Body?.transformToString('utf8')) ?? '');
    invalidLines += parsed.invalidLines;
    for (const event of parsed.events) {
      if (matches(event, query) && !selected.has(event.eventKey)) selected.set(event.eventKey, event);
    }
  });
  return { events: [...selected.values()], objects: keys.length, invalidLines };
}

function matches(event: ArchivedEvent, query: ArchiveQuery): boolean {
  const receivedAt = Date.parse(event.receivedAt);
  return (
    receivedAt >= query.since.getTime() &&
    receivedAt < query.until.getTime() &&
    (!query.types?.size || query.types.has(event.eventType)) &&
    (!query.connections?.size ||
      (event.connectionId !== undefined && query.connections.has(event.connectionId))) &&
    (!query.eventIds?.size || query.eventIds.has(event.eventKey))
  );
}

/**
 * The events grouped by the FIFO message group they were queued in (their connection, or their
 * type for account-wide events), each group in its original order: by receipt time (the key the
 * stores order events of one second by), then by the archived queue sequence number, then by
 * event key so that the order is total. The send order only decides the order handlers see; the
 * stores' guard does not depend on it.
 */
export function replayGroups(events: readonly ArchivedEvent[]): ArchivedEvent[][] {
  const groups = new Map<string, ArchivedEvent[]>();
  for (const event of events) {
    const group = messageGroupIdFor({ type: event.eventType, connectionId: event.connectionId });
    const members = groups.get(group) ?? [];
    members.push(event);
    groups.set(group, members);
  }
  return [...groups.values()].map((members) => members.sort(originalOrder));
}

function originalOrder(a: ArchivedEvent, b: ArchivedEvent): number {
  const byTime = Date.parse(a.receivedAt) - Date.parse(b.receivedAt);
  if (byTime !== 0) return byTime;
  if (a.sequenceNumber !== undefined && b.sequenceNumber !== undefined) {
    const bySequence = BigInt(a.sequenceNumber) - BigInt(b.sequenceNumber);
    if (bySequence !== 0n) return bySequence < 0n ? -1 : 1;
  }
  return a.eventKey < b.eventKey ? -1 : a.eventKey > b.eventKey ? 1 : 0;
}

const isoTime = z.string().check(z.refine((value) => !Number.isNaN(Date.parse(value))));

/** One line of an archive object, as the writers produce it (`ArchivedEvent`). */
const archivedEventSchema = z.object({
  eventKey: z.string().check(z.minLength(1)),
  eventType: z.string().check(z.minLength(1)),
  connectionId: z.optional(z.string()),
  eventTime: z.optional(isoTime),
  receivedAt: isoTime,
  signatureScheme: z.enum(['ofauth', 'svix']),
  body: z.string(),
  sequenceNumber: z.optional(z.string().check(z.regex(/^[0-9]{1,40}$/))),
});

/** The events of one archive object, and how many of its lines were not archived events. */
export function parseArchiveObject(text: string): { events: ArchivedEvent[]; invalidLines: number } {
  const events: ArchivedEvent[] = [];
  let invalidLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      invalidLines += 1;
      continue;
    }
    const parsed = archivedEventSchema.safeParse(value);
    if (parsed.success) events.push(parsed.data as ArchivedEvent);
    else invalidLines += 1;
  }
  return { events, invalidLines };
}

async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
