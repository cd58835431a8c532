/**
 * The one internal event model, shared by the verifier, the processor and the tests.
 *
 * OFAuth delivers two envelope shapes (see `docs/ofauth-contract.md`):
 * - documented: `{ "type": "connection.created", "timestamp": "…", "data": { … } }`
 * - SDK:        `{ "eventType": "connection.created", "live": true, "data": { … } }`
 *
 * {@link parseEnvelope} accepts both and yields a {@link RealtimeEnvelope}: lenient, so that the
 * verifier hands on every genuine delivery, including types it does not know yet. It lives in
 * `envelope.ts` (re-exported here), so that the verifier, which needs nothing else, does not build
 * the schemas below at its cold start.
 * {@link parseEvent} then checks `data` against the schema of a known type and yields a typed
 * {@link RealtimeEvent}; the processor uses it. Every object schema is loose: fields OFAuth adds
 * later pass through untouched. An optional field sent as `null` reads as absent (the SDKs type
 * several of them as nullable), except `clientReferenceId`, whose `null` means "no user".
 */
// zod/mini: the same schemas and types as 'zod', tree-shakable. The classic API put ~450 KB into
// each function bundle and made its cold start slower than the AWS SDK clients it uses.
import * as z from 'zod/mini';
import { lenient, type RealtimeEnvelope, text } from './envelope.ts';

export {
  type EnvelopeProblem,
  type EnvelopeResult,
  type EnvelopeShape,
  parseEnvelope,
  type RealtimeEnvelope,
} from './envelope.ts';

/**
 * An optional field whose `null` reads as absent: a value of the schema's type is kept, `null` or
 * a missing field is `undefined`, anything else still fails (unlike {@link lenient}), with the
 * path of the field inside it in the error. For the documented fields that the SDKs type as
 * nullable, or that a sender may null out.
 */
function optionalOrNull<T extends z.core.SomeType>(schema: T) {
  return z.optional(
    z.pipe(
      z.nullish(schema),
      z.transform((value: z.output<T> | null | undefined) => value ?? undefined),
    ),
  );
}

/** `userData` as documented (`id`) and as the SDKs type it (`userId`). */
export const userDataSchema = z.looseObject({
  id: optionalOrNull(z.string()),
  userId: optionalOrNull(z.string()),
  name: optionalOrNull(z.string()),
  username: optionalOrNull(z.string()),
  avatar: optionalOrNull(z.string()),
});

/** The `data.connection` object of a connection event. */
export const connectionSchema = z.looseObject({
  id: text,
  /** `active`, `awaiting_2fa`, `expired`, or a status OFAuth adds later. */
  status: optionalOrNull(z.string()),
  permissions: optionalOrNull(z.array(z.string())),
  userData: optionalOrNull(userDataSchema),
  platformUserId: optionalOrNull(z.string()),
});

/** `data` of `connection.created|updated|expired|disconnected`. */
export const connectionEventDataSchema = z.looseObject({
  clientReferenceId: z.nullish(z.string()),
  connection: connectionSchema,
});

/** `data` of `rules.updated`: the latest Dynamic Rules revision, and the rules body when present. */
export const rulesUpdatedDataSchema = z.looseObject({
  revision: optionalOrNull(z.union([z.string(), z.number()])),
  rules: optionalOrNull(z.record(z.string(), z.unknown())),
});

/** The small `data.connection` reference carried by the beta events. */
export const connectionRefSchema = z.looseObject({
  id: text,
  clientReferenceId: lenient(z.nullable(z.string())),
});

/** `live`, `test`, `sandbox`, or an environment OFAuth adds later. */
export const environmentSchema = z.string();

/**
 * `data.connection` of a beta event: optional, because one revision of OFAuth's Realtime guide
 * shows `of.websocket.event.received` without it; `null` reads as absent. When present, its `id`
 * is required: a connection we cannot name cannot be ordered or looked up.
 */
const betaConnectionSchema = optionalOrNull(connectionRefSchema);

/**
 * `data` of the beta `of.websocket.event.received`. The shapes still evolve
 * (docs/ofauth-contract.md): `json` stays unknown, `connection` may be missing, and an optional
 * field of an unexpected type reads as absent (the value is still in the raw body) rather than
 * failing the event.
 */
export const websocketEventDataSchema = z.looseObject({
  connection: betaConnectionSchema,
  environment: lenient(environmentSchema),
  receivedAt: lenient(z.string()),
  messageType: lenient(z.string()),
  payloadKey: lenient(z.string()),
  shapeSubtype: lenient(z.string()),
  truncated: lenient(z.boolean()),
  json: z.optional(z.unknown()),
  rawText: lenient(z.string()),
  rawBase64: lenient(z.string()),
});

/**
 * `data` of a beta translated `realtime.*` event; an optional field of an unexpected type reads as
 * absent, as in {@link websocketEventDataSchema}.
 */
export const translatedEventDataSchema = z.looseObject({
  connection: betaConnectionSchema,
  environment: lenient(environmentSchema),
  eventBody: z.optional(z.unknown()),
});

/** The connection lifecycle event types. */
export const CONNECTION_EVENT_TYPES = [
  'connection.created',
  'connection.updated',
  'connection.expired',
  'connection.disconnected',
] as const;
export type ConnectionEventType = (typeof CONNECTION_EVENT_TYPES)[number];

/** Schemas of `data` for every documented type with a fixed name. */
export const EVENT_DATA_SCHEMAS = {
  'connection.created': connectionEventDataSchema,
  'connection.updated': connectionEventDataSchema,
  'connection.expired': connectionEventDataSchema,
  'connection.disconnected': connectionEventDataSchema,
  'rules.updated': rulesUpdatedDataSchema,
  'of.websocket.event.received': websocketEventDataSchema,
} as const;

/** A documented type with a fixed name. */
export type KnownEventType = keyof typeof EVENT_DATA_SCHEMAS;
/** A beta translated event type, e.g. `realtime.chat_typing.updated`. */
export type TranslatedEventType = `realtime.${string}`;
/** The prefix shared by every translated event type. */
export const TRANSLATED_EVENT_PREFIX = 'realtime.';

export type ConnectionEventData = z.infer<typeof connectionEventDataSchema>;
export type RulesUpdatedData = z.infer<typeof rulesUpdatedDataSchema>;
export type WebsocketEventData = z.infer<typeof websocketEventDataSchema>;
export type TranslatedEventData = z.infer<typeof translatedEventDataSchema>;

/** The `data` type of an event type. */
export type EventDataOf<T extends string> = T extends KnownEventType
  ? z.infer<(typeof EVENT_DATA_SCHEMAS)[T]>
  : T extends TranslatedEventType
    ? TranslatedEventData
    : unknown;

/** A normalized event whose `data` has been checked against the schema of its type. */
export interface RealtimeEvent<T extends string = string> extends Omit<RealtimeEnvelope, 'type' | 'data'> {
  readonly type: T;
  readonly data: EventDataOf<T>;
}

/** Whether a type is one of the documented types with a fixed name. */
export function isKnownEventType(type: string): type is KnownEventType {
  return Object.hasOwn(EVENT_DATA_SCHEMAS, type);
}

/** Whether a type is a beta translated `realtime.*` type. */
export function isTranslatedEventType(type: string): type is TranslatedEventType {
  return type.startsWith(TRANSLATED_EVENT_PREFIX) && type.length > TRANSLATED_EVENT_PREFIX.length;
}

/** Thrown by {@link parseEvent} when `data` does not match the schema of a known type. */
export class EventDataError extends Error {
  constructor(
    readonly eventType: string,
    readonly issues: readonly z.core.$ZodIssue[],
  ) {
    super(
      `data of event type "${eventType}" does not match its schema: ${issues
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
        .join('; ')}`,
    );
    this.name = 'EventDataError';
  }
}

/**
 * Checks an envelope's `data` against the schema of its type. Unknown types pass through with
 * `data: unknown`.
 *
 * @throws {EventDataError} when `data` of a known or translated type does not match its schema
 */
export function parseEvent(envelope: RealtimeEnvelope): RealtimeEvent {
  const schema = isKnownEventType(envelope.type)
    ? EVENT_DATA_SCHEMAS[envelope.type]
    : isTranslatedEventType(envelope.type)
      ? translatedEventDataSchema
      : undefined;
  if (!schema) return envelope as RealtimeEvent;
  const result = schema.safeParse(envelope.data);
  if (!result.success) throw new EventDataError(envelope.type, result.error.issues);
  return { ...envelope, data: result.data } as RealtimeEvent;
}

/**
 * Narrows an event to a type, for code that holds a `RealtimeEvent` of unknown type.
 *
 * @example
 * if (isEventOfType(event, 'connection.created')) event.data.connection.id;
 */
export function isEventOfType<T extends KnownEventType>(
  event: RealtimeEvent,
  type: T,
): event is RealtimeEvent<T> {
  return event.type === type;
}
