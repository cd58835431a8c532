/**
 * A delivery's envelope: the part of the event model the verifier needs. OFAuth delivers two
 * envelope shapes (see `docs/ofauth-contract.md`):
 * - documented: `{ "type": "connection.created", "timestamp": "…", "data": { … } }`
 * - SDK:        `{ "eventType": "connection.created", "live": true, "data": { … } }`
 *
 * {@link parseEnvelope} accepts both and yields a {@link RealtimeEnvelope}: lenient, so that the
 * verifier hands on every genuine delivery, including types it does not know yet.
 *
 * Its own module, apart from the schemas of each type's `data` (`event-model.ts`, which re-exports
 * the envelope): the verifier never checks `data`, and building those schemas was half of the
 * zod work it did at load (docs/performance.md). In one shared module esbuild keeps them in the
 * verifier's bundle: to it, every zod call may have side effects.
 */
// zod/mini: the same schemas and types as 'zod', tree-shakable. The classic API put ~450 KB into
// each function bundle and made its cold start slower than the AWS SDK clients it uses.
import * as z from 'zod/mini';

/** Any non-empty string; OFAuth ids and names are opaque. */
export const text = z.string().check(z.minLength(1));

/** Any value, read as absent: the fallback of {@link lenient}. */
const absent = z.transform((): undefined => undefined);

/**
 * An optional field read leniently: a value of another type is dropped (read as absent) instead
 * of failing the whole object. For fields whose shape is not settled (the beta events, the
 * envelope's optional fields), so that one unexpected type never sends a genuine event to the
 * dead-letter queue. The raw body still holds the value as sent.
 *
 * A union with a catch-all rather than `z.catch(…, undefined)`: same result, but `z.catch` pulls
 * zod's issue formatting into the bundle (+10.4 KB minified for this module, 24.1 → 35.9 KB;
 * this way it is 25.5 KB).
 */
export function lenient<T extends z.core.SomeType>(schema: T) {
  return z.optional(z.union([schema, absent]));
}

/** Which of the two documented envelope shapes a delivery used. */
export type EnvelopeShape = 'documented' | 'sdk';

/**
 * A delivery's envelope, normalized from either shape. `data` is not checked yet.
 */
export interface RealtimeEnvelope {
  /** The event type, from `type` or `eventType`. */
  readonly type: string;
  /** ISO-8601 time the event happened (documented shape only). */
  readonly timestamp?: string;
  /** Live or test mode (SDK shape only). */
  readonly live?: boolean;
  /** A top-level `id`, should a future payload carry one. */
  readonly id?: string;
  /** `data.connection.id`, when the event belongs to a connection. */
  readonly connectionId?: string;
  /** `data.clientReferenceId` or `data.connection.clientReferenceId`; `null` when OFAuth sent null. */
  readonly clientReferenceId?: string | null;
  /** The envelope shape the delivery used. */
  readonly shape: EnvelopeShape;
  /** The event payload as sent. */
  readonly data: unknown;
}

/** A top-level `id`: a string, or a number read as its decimal text. */
const envelopeIdSchema = z.union([
  z.string(),
  z.pipe(
    z.number(),
    z.transform((id: number) => String(id)),
  ),
]);

// Only the type is required. The other top-level fields are read leniently: a genuine, correctly
// signed delivery must never be refused (and parked on the dead-letter queue) because an optional
// field came with a type we did not expect.
const documentedEnvelopeSchema = z.looseObject({
  type: text,
  timestamp: lenient(z.string()),
  id: lenient(envelopeIdSchema),
  data: z.optional(z.unknown()),
});

const sdkEnvelopeSchema = z.looseObject({
  eventType: text,
  live: lenient(z.boolean()),
  id: lenient(envelopeIdSchema),
  data: z.optional(z.unknown()),
});

/** U+FEFF, the byte order mark some senders put before a UTF-8 body; JSON.parse refuses it. */
const BYTE_ORDER_MARK = '\uFEFF';

/** Why a body is not an OFAuth envelope. */
export type EnvelopeProblem = 'invalid_json' | 'missing_event_type';

/** The result of {@link parseEnvelope}. */
export type EnvelopeResult =
  | { readonly ok: true; readonly envelope: RealtimeEnvelope }
  | { readonly ok: false; readonly problem: EnvelopeProblem; readonly message: string };

function pickString(value: unknown, ...path: string[]): string | null | undefined {
  let current: unknown = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  if (current === null) return null;
  return typeof current === 'string' && current.length > 0 ? current : undefined;
}

/**
 * Normalizes a delivery body (already parsed JSON, or the raw text) from either envelope shape.
 * Only a non-empty string `type` (or `eventType`) is required; `timestamp`, `live` and `id` of an
 * unexpected type are left out (a numeric `id` is read as its decimal text). A leading byte order
 * mark is ignored, so the raw body can travel on verbatim.
 *
 * @example
 * const result = parseEnvelope('{"type":"connection.created","data":{"connection":{"id":"conn_1"}}}');
 * if (result.ok) console.log(result.envelope.connectionId); // conn_1
 */
export function parseEnvelope(body: string | unknown): EnvelopeResult {
  let json: unknown = body;
  if (typeof body === 'string') {
    try {
      json = JSON.parse(body.startsWith(BYTE_ORDER_MARK) ? body.slice(BYTE_ORDER_MARK.length) : body);
    } catch {
      return { ok: false, problem: 'invalid_json', message: 'body is not valid JSON' };
    }
  }
  let type: string;
  let shape: EnvelopeShape;
  let timestamp: string | undefined;
  let live: boolean | undefined;
  let id: string | undefined;
  let data: unknown;
  const documented = documentedEnvelopeSchema.safeParse(json);
  if (documented.success) {
    ({ type, timestamp, id, data } = documented.data);
    shape = 'documented';
  } else {
    const sdk = sdkEnvelopeSchema.safeParse(json);
    if (!sdk.success) {
      return {
        ok: false,
        problem: 'missing_event_type',
        message: 'body is JSON but has no non-empty string "type" or "eventType"',
      };
    }
    ({ eventType: type, live, id, data } = sdk.data);
    shape = 'sdk';
  }
  const connectionId = pickString(data, 'connection', 'id') ?? undefined;
  const topLevelReference = pickString(data, 'clientReferenceId');
  const nestedReference = pickString(data, 'connection', 'clientReferenceId');
  // A string wins; an explicit null is kept as null (the connection has no user).
  const clientReferenceId =
    topLevelReference ??
    nestedReference ??
    (topLevelReference === null || nestedReference === null ? null : undefined);
  return {
    ok: true,
    envelope: {
      type,
      shape,
      data,
      ...(timestamp !== undefined && { timestamp }),
      ...(live !== undefined && { live }),
      ...(id !== undefined && { id }),
      ...(connectionId !== undefined && { connectionId }),
      ...(clientReferenceId !== undefined && { clientReferenceId }),
    },
  };
}
