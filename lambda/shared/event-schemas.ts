/**
 * JSON Schemas of the events the processor publishes to an event bus (`detail` of each
 * `PutEvents` entry, `processor/event-bus.ts`), generated from the event model with zod 4's
 * `toJSONSchema`: one per documented type with a fixed name. Draft 4, the dialect EventBridge's
 * schema registry takes (`JSONSchemaDraft4`), so that subscribers can download code bindings.
 *
 * The schemas describe what a delivery may contain (zod's input side): an optional field the
 * processor reads leniently accepts any value, as the processor does. Translated `realtime.*` and
 * unknown types have no schema: their `data` is published as sent.
 *
 * Not imported by the functions (the generator would grow their bundles); `npm run schemas`
 * writes the files in `schemas/`, and the construct registers the same documents.
 */
import * as z from 'zod/mini';
import { PUBLISHED_EVENT_SOURCE } from './deployment-names.ts';
import { EVENT_DATA_SCHEMAS, type KnownEventType } from './event-model.ts';

export { PUBLISHED_EVENT_SOURCE };

/** The types that have a schema, in a stable order. */
export const SCHEMA_EVENT_TYPES = Object.keys(EVENT_DATA_SCHEMAS).sort() as KnownEventType[];

/** The zod schema of the `detail` of a published event of `type`. */
export function publishedDetailSchema(type: KnownEventType) {
  return z.object({
    event: z.looseObject({
      type: z.literal(type),
      timestamp: z.optional(z.string()),
      live: z.optional(z.boolean()),
      id: z.optional(z.string()),
      connectionId: z.optional(z.string()),
      clientReferenceId: z.optional(z.nullable(z.string())),
      shape: z.enum(['documented', 'sdk']),
      data: EVENT_DATA_SCHEMAS[type],
    }),
    connectionId: z.optional(z.string()),
    eventKey: z.string().check(z.minLength(1)),
    eventTime: z.string(),
    eventTimeSource: z.enum(['envelope', 'svix-id', 'received', 'received-future']),
    receivedAt: z.optional(z.string()),
    replay: z.boolean(),
  });
}

/** The JSON Schema document (draft 4) of the `detail` of a published event of `type`. */
export function publishedEventJsonSchema(type: KnownEventType): Record<string, unknown> {
  const schema = z.toJSONSchema(publishedDetailSchema(type), {
    target: 'draft-04',
    io: 'input',
    // `lenient` fields are unions with a transform: their input is any value.
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return {
    ...schema,
    title: `${PUBLISHED_EVENT_SOURCE} ${type}`,
    description: `detail of an EventBridge event with source "${PUBLISHED_EVENT_SOURCE}" and detail-type "${type}"`,
  };
}

/** The file name of a type's schema in `schemas/`. */
export function schemaFileName(type: KnownEventType): string {
  return `${type}.json`;
}

/** A schema document as the committed file holds it (two-space JSON and a final newline). */
export function schemaFileText(type: KnownEventType): string {
  return `${JSON.stringify(publishedEventJsonSchema(type), null, 2)}\n`;
}
