/**
 * What `send`, the inspector, the benchmarks and the reliability suites put on the wire: an
 * example payload of a documented type (the examples in `examples/events/`, each with its source
 * in PROVENANCE.md there), a JSON file or a body built to a size, optionally rewritten, then
 * signed with either scheme exactly as OFAuth or Svix would sign it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { KSUID_EPOCH_SECONDS } from '../lambda/shared/event-time.ts';
import { signOfAuth, svixHeaders } from '../testing/signers.ts';
import { UsageError } from './errors.ts';
import { REPO_ROOT } from './signing-secrets.ts';
import { suggest } from './suggest.ts';

/** Where the example payloads live, one `<type>.json` per documented type. */
export const EXAMPLES_DIR = resolve(REPO_ROOT, 'examples', 'events');

/** The signature schemes `send` can use. */
export const SCHEMES = ['ofauth', 'svix'] as const;
export type Scheme = (typeof SCHEMES)[number];

/** The envelope shapes `send` can use. */
export const SHAPES = ['documented', 'sdk'] as const;
export type Shape = (typeof SHAPES)[number];

/** How far in the past `--stale` signs: beyond the verifier's 5-minute tolerance. */
export const STALE_SECONDS = 10 * 60;

/** The event types that have an example payload. */
export function exampleTypes(dir = EXAMPLES_DIR): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.slice(0, -'.json'.length))
    .sort();
}

/**
 * Reads the payload named on the command line: an example type (`connection.created`) or a path
 * to a JSON file.
 *
 * @throws {UsageError} for an unknown type, a missing file or a file that is not a JSON object
 */
export function loadPayload(typeOrFile: string, cwd = process.cwd()): Record<string, unknown> {
  const types = exampleTypes();
  let file: string;
  if (types.includes(typeOrFile)) {
    file = resolve(EXAMPLES_DIR, `${typeOrFile}.json`);
  } else if (
    typeOrFile.endsWith('.json') ||
    typeOrFile.includes('/') ||
    existsSync(resolve(cwd, typeOrFile))
  ) {
    file = resolve(cwd, typeOrFile);
    if (!existsSync(file)) throw new UsageError(`file not found: ${file}`);
  } else {
    const guess = suggest(typeOrFile, types);
    throw new UsageError(
      `unknown event type "${typeOrFile}"${guess ? `; did you mean ${guess}?` : ''}; known types: ${types.join(', ')} (or pass a path to a .json file)`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new UsageError(`${file} must hold a JSON object (an OFAuth envelope)`);
  }
  return json as Record<string, unknown>;
}

/** How `send` rewrites a payload before signing it. */
export interface Rewrite {
  /** Replaces `data.connection.id`. */
  readonly connectionId?: string;
  /** Replaces the client reference (`data.clientReferenceId` or `data.connection.clientReferenceId`). */
  readonly clientReferenceId?: string;
  /** Replaces `timestamp` (documented shape), so that each send is a new event. */
  readonly timestamp?: string;
  /** Sets the top-level `id`, which the verifier takes as the event's key (see {@link asNewEvent}). */
  readonly id?: string;
  /** Converts to the SDK shape (`eventType`, `live`) or to the documented one. */
  readonly shape?: Shape;
}

function objectAt(value: unknown, key: string): Record<string, unknown> | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const child = (value as Record<string, unknown>)[key];
  return child !== null && typeof child === 'object' && !Array.isArray(child)
    ? (child as Record<string, unknown>)
    : undefined;
}

/** The payload's client reference (`data.clientReferenceId`, else `data.connection.clientReferenceId`), if a string. */
export function clientReferenceOf(payload: Record<string, unknown>): string | undefined {
  const data = objectAt(payload, 'data');
  const value = data?.clientReferenceId ?? objectAt(data, 'connection')?.clientReferenceId;
  return typeof value === 'string' ? value : undefined;
}

/** Applies a {@link Rewrite} to a copy of the payload. */
export function rewritePayload(payload: Record<string, unknown>, rewrite: Rewrite): Record<string, unknown> {
  let envelope: Record<string, unknown> = structuredClone(payload);
  const data = objectAt(envelope, 'data');
  const connection = objectAt(data, 'connection');
  if (rewrite.connectionId !== undefined) {
    if (!data) throw new UsageError('--connection needs a payload with a "data" object');
    if (connection) connection.id = rewrite.connectionId;
    else data.connection = { id: rewrite.connectionId };
  }
  if (rewrite.clientReferenceId !== undefined) {
    if (!data) throw new UsageError('--client-reference needs a payload with a "data" object');
    // Connection events carry it on `data`, the beta events on `data.connection`.
    if (connection && 'clientReferenceId' in connection && !('clientReferenceId' in data)) {
      connection.clientReferenceId = rewrite.clientReferenceId;
    } else {
      data.clientReferenceId = rewrite.clientReferenceId;
    }
  }
  if (rewrite.shape === 'sdk' && typeof envelope.type === 'string') {
    const { type, timestamp: _timestamp, ...rest } = envelope;
    envelope = { eventType: type, live: true, ...rest };
  } else if (rewrite.shape === 'documented' && typeof envelope.eventType === 'string') {
    const { eventType, live: _live, ...rest } = envelope;
    envelope = { type: eventType, timestamp: rewrite.timestamp ?? new Date().toISOString(), ...rest };
  }
  if (rewrite.timestamp !== undefined && typeof envelope.type === 'string') {
    envelope.timestamp = rewrite.timestamp;
  }
  if (rewrite.id !== undefined) envelope.id = rewrite.id;
  return envelope;
}

/** A new top-level event id: `evt_` and 27 random base64url characters. */
export function newEventId(): string {
  return `evt_${randomBytes(20).toString('base64url').slice(0, 27)}`;
}

/**
 * A copy of the payload that the verifier sees as a new event, whatever the signature scheme.
 * Its event key is the signed Svix id, else a top-level `id`, else the SHA-256 of the body
 * (`lambda/verifier/event-key.ts`), so for an `OFAuth-Signature` delivery the body must change:
 * a documented-shape payload gets `at` as its `timestamp`; an SDK-shaped one has no timestamp to
 * vary and gets a new top-level `id`, as does any payload that already carries one (its old id
 * would keep the old key).
 *
 * @example
 * asNewEvent({ eventType: 'rules.updated', live: true, data: {} }, new Date()).id; // 'evt_…'
 */
export function asNewEvent(payload: Record<string, unknown>, at: Date): Record<string, unknown> {
  const documented = typeof payload.type === 'string';
  return rewritePayload(payload, {
    ...(documented && { timestamp: at.toISOString() }),
    ...((!documented || 'id' in payload) && { id: newEventId() }),
  });
}

/** The event type of a payload, for display. */
export function payloadType(payload: Record<string, unknown>): string {
  const type = payload.type ?? payload.eventType;
  return typeof type === 'string' ? type : '(no type)';
}

/** One signed delivery, ready to POST. */
export interface SignedDelivery {
  readonly body: string;
  readonly headers: Record<string, string>;
}

/** How to sign a delivery. */
export interface SigningOptions {
  readonly scheme: Scheme;
  readonly secret: string;
  /** Unix seconds. @default now */
  readonly timestamp?: number;
  /** The Svix message id, the event key (Svix scheme only). @default a new one ({@link newMessageId}) */
  readonly id?: string;
  /** Sign with a timestamp beyond the tolerance. */
  readonly stale?: boolean;
  /** Change the body after signing. */
  readonly tamper?: boolean;
}

const KSUID_BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * A Svix message id as Svix mints them: `msg_` and a KSUID (27 base62 characters of 4 bytes of
 * seconds since 2014-05-13 and 16 random bytes), so that the processor reads `now` as the event
 * time of an SDK-shaped send, as it would for a real Svix delivery.
 */
export function newMessageId(now: number = Date.now()): string {
  const seconds = BigInt(Math.floor(now / 1000) - KSUID_EPOCH_SECONDS);
  let value = (seconds << 128n) | BigInt(`0x${randomBytes(16).toString('hex')}`);
  let text = '';
  for (let digit = 0; digit < 27; digit += 1) {
    text = KSUID_BASE62[Number(value % 62n)] + text;
    value /= 62n;
  }
  return `msg_${text}`;
}

/**
 * Signs a body as OFAuth or Svix would, with the package's signers (`testing/signers.ts`, which
 * the repository's tests check against the `svix` and `standardwebhooks` libraries).
 *
 * @example
 * const delivery = signDelivery(eventBody(), { scheme: 'svix', secret: generateSvixSecret() });
 *
 * @throws {UsageError} when a Svix signature is asked for with a secret that is not `whsec_` base64
 */
export function signDelivery(body: string, options: SigningOptions): SignedDelivery {
  const now = options.timestamp ?? Math.floor(Date.now() / 1000);
  const timestamp = options.stale ? now - STALE_SECONDS : now;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.scheme === 'ofauth') {
    headers['ofauth-signature'] = signOfAuth({ secret: options.secret, body, timestamp });
  } else {
    try {
      const id = options.id ?? newMessageId();
      Object.assign(headers, svixHeaders({ secret: options.secret, id, body, timestamp }));
    } catch {
      throw new UsageError('--scheme svix needs a Svix secret: "whsec_" followed by base64');
    }
  }
  // A tampered body keeps its signature: the verifier must answer 401 invalid_signature.
  const sent = options.tamper ? `{"tampered":true,${body.slice(1)}` : body;
  return { body: sent, headers };
}

/** A fresh OFAuth-style secret string (`ofauth_sk_` and 48 hex digits), for a second, wrong secret. */
export function newOfauthSecret(): string {
  return `ofauth_sk_${randomBytes(24).toString('hex')}`;
}

/** Options for {@link eventBody}. */
export interface EventBodyOptions {
  /** @default 'connection.updated' */
  readonly type?: string;
  /** @default 'conn_bench' */
  readonly connectionId?: string;
  /** A sequence number carried in the body, so that order can be checked after processing. @default 0 */
  readonly seq?: number;
  /** Pads the body to exactly this many bytes (UTF-8). @default no padding */
  readonly sizeBytes?: number;
  /** Makes otherwise equal bodies distinct (the event key of an `OFAuth-Signature` delivery is the body's hash). @default a random nonce */
  readonly nonce?: string;
}

/**
 * A documented-shape connection event built to order, for the benchmarks and the reliability
 * suites. `data.connection.userData.name` carries the sequence number and `data.padding` fills the
 * body to `sizeBytes`; both are fields the schemas let pass.
 *
 * @throws {Error} when `sizeBytes` is smaller than the event without padding
 */
export function eventBody(options: EventBodyOptions = {}): string {
  const connectionId = options.connectionId ?? 'conn_bench';
  const seq = options.seq ?? 0;
  const event = {
    type: options.type ?? 'connection.updated',
    timestamp: new Date(Date.UTC(2026, 0, 1) + seq * 1000).toISOString(),
    data: {
      clientReferenceId: `user_${connectionId}`,
      connection: {
        id: connectionId,
        status: 'active',
        userData: { name: `seq ${seq}`, username: options.nonce ?? randomBytes(6).toString('hex') },
      },
      padding: '',
    },
  };
  if (options.sizeBytes === undefined) {
    const { padding: _, ...data } = event.data;
    return JSON.stringify({ ...event, data });
  }
  const base = JSON.stringify(event);
  const missing = options.sizeBytes - Buffer.byteLength(base);
  if (missing < 0)
    throw new Error(`a body of ${options.sizeBytes} bytes is too small for the event (${base.length})`);
  event.data.padding = 'x'.repeat(missing);
  return JSON.stringify(event);
}
