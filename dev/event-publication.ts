/**
 * What an event record says about the event bus, in the words `trace` and the local inspector
 * both use: when the event was published, or that its handler succeeded but the publish failed
 * (the record's `handledAt` without `processedAt`), with the bus's error and what publishes it.
 */
import type { EventRecord } from '../lambda/shared/event-record.ts';

/** One line about the event bus: a label (`published` or `handled`) and its text. */
export interface PublicationLine {
  readonly label: 'published' | 'handled';
  readonly text: string;
}

/**
 * The record's event-bus line, or `undefined` when it has none (no bus configured, or the
 * handler has not succeeded yet).
 *
 * @example
 * publicationOf({ eventKey: 'msg_1', processedAt: t, publishedAt: t }); // { label: 'published', text: t }
 */
export function publicationOf(record: EventRecord): PublicationLine | undefined {
  if (record.publishedAt) return { label: 'published', text: record.publishedAt };
  if (!record.handledAt || record.processedAt) return undefined;
  // The processor skips the handler of a key with handledAt: a later receive only publishes.
  const next = record.deadLetteredAt ? 'a redrive publishes it' : 'the next receive publishes it';
  return {
    label: 'handled',
    text: `${record.handledAt}, not published (${record.lastError ?? 'publishing failed'}; ${next} without running the handler again)`,
  };
}
